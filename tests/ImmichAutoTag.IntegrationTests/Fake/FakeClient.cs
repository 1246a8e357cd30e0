using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>A started fake with one user and an all-permission key, plus raw HTTP helpers.</summary>
public abstract class FakeServerTest : IAsyncLifetime
{
    protected FakeImmichServer Server { get; private set; } = null!;
    protected FakeUser User { get; private set; } = null!;
    protected string Key { get; private set; } = "";
    protected HttpClient Http { get; private set; } = null!;

    protected virtual FakeImmichOptions Options => new();

    public async Task InitializeAsync()
    {
        Server = await FakeImmichServer.StartAsync(Options);
        User = Server.State.AddUser("Alice", "alice@example.com");
        Key = Server.State.AddApiKey(User.Id, "all");
        Http = NewClient(Key);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }

    protected HttpClient NewClient(string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri(Server.BaseUrl, "api/") };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return client;
    }

    protected static async Task<(int Status, string Body, MediaTypeHeaderValue? ContentType)> SendAsync(
        HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType);
    }

    protected Task<(int Status, string Body, MediaTypeHeaderValue? ContentType)> SendAsync(HttpMethod method, string path, object? body = null) =>
        SendAsync(Http, method, path, body);

    protected async Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null, int expected = 200)
    {
        var (status, text, _) = await SendAsync(method, path, body);
        status.Should().Be(expected, text);
        if (text.Length == 0)
        {
            return default;
        }

        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    protected async Task<List<Guid>> SearchIdsAsync(object body)
    {
        var json = await JsonAsync(HttpMethod.Post, "search/metadata", body);
        return json.GetProperty("assets").GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("id").GetGuid()).ToList();
    }

    protected static readonly DateTimeOffset Day0 = new(2020, 1, 1, 12, 0, 0, TimeSpan.Zero);
}
