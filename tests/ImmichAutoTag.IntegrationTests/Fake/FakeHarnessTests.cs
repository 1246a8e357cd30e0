using System.Diagnostics;
using System.Text.Json;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>Authentication, fault injection and the request log.</summary>
public sealed class FakeHarnessTests : FakeServerTest
{
    private static JsonElement Parse(string body) => JsonDocument.Parse(body).RootElement.Clone();

    [Fact]
    public async Task Missing_and_unknown_keys_get_401_with_an_Immich_error_body()
    {
        using var anonymous = NewClient(null);
        using var wrong = NewClient("not-a-key");
        foreach (var client in new[] { anonymous, wrong })
        {
            var (status, body, _) = await SendAsync(client, HttpMethod.Get, "tags");
            status.Should().Be(401);
            var json = Parse(body);
            json.GetProperty("error").GetString().Should().Be("Unauthorized");
            json.GetProperty("statusCode").GetInt32().Should().Be(401);
            json.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
            json.GetProperty("correlationId").GetString().Should().NotBeNullOrEmpty();
        }
    }

    [Fact]
    public async Task A_key_without_the_permission_gets_403_naming_it()
    {
        using var client = NewClient(Server.State.AddApiKey(User.Id, "tag.read", "asset.read"));
        (await SendAsync(client, HttpMethod.Get, "tags")).Status.Should().Be(200);
        var (status, body, _) = await SendAsync(client, HttpMethod.Put, "tags/assets", new { tagIds = Array.Empty<Guid>(), assetIds = Array.Empty<Guid>() });
        status.Should().Be(403);
        var json = Parse(body);
        json.GetProperty("message").GetString().Should().Be("Missing required permission: tag.asset");
        json.GetProperty("error").GetString().Should().Be("Forbidden");
    }

    [Fact]
    public async Task Ping_version_and_features_need_no_key()
    {
        using var anonymous = NewClient(null);
        (await SendAsync(anonymous, HttpMethod.Get, "server/ping")).Body.Should().Be("""{"res":"pong"}""");
        (await SendAsync(anonymous, HttpMethod.Get, "server/version")).Status.Should().Be(200);
        (await SendAsync(anonymous, HttpMethod.Get, "server/features")).Status.Should().Be(200);
        (await SendAsync(anonymous, HttpMethod.Get, "api-keys/me")).Status.Should().Be(401);
    }

    [Fact]
    public async Task Fail_answers_with_the_status_for_the_given_number_of_requests()
    {
        Server.Faults.Fail("getAllTags", 503, times: 2);
        var first = await SendAsync(HttpMethod.Get, "tags");
        var second = await SendAsync(HttpMethod.Get, "tags");
        var third = await SendAsync(HttpMethod.Get, "tags");
        var other = await SendAsync(HttpMethod.Get, "albums");

        (first.Status, second.Status, third.Status, other.Status).Should().Be((503, 503, 200, 200));
        var json = Parse(first.Body);
        json.GetProperty("statusCode").GetInt32().Should().Be(503);
        json.GetProperty("error").GetString().Should().Be("Service Unavailable");
        Server.Requests.All.Select(r => r.StatusCode).Should().Equal(503, 503, 200, 200);
    }

    [Fact]
    public async Task Wildcard_faults_hit_every_operation_until_cleared()
    {
        Server.Faults.Fail("*", 500, times: null);
        (await SendAsync(HttpMethod.Get, "tags")).Status.Should().Be(500);
        (await SendAsync(HttpMethod.Get, "server/ping")).Status.Should().Be(500);
        Server.Faults.Clear();
        (await SendAsync(HttpMethod.Get, "tags")).Status.Should().Be(200);
    }

    [Fact]
    public async Task Delay_holds_the_response_then_serves_it()
    {
        Server.Faults.Delay("getAllTags", TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var (status, _, _) = await SendAsync(HttpMethod.Get, "tags");
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(280));
        status.Should().Be(200);

        (await SendAsync(HttpMethod.Get, "tags")).Status.Should().Be(200);
    }

    [Fact]
    public async Task Drop_aborts_the_connection_without_a_response()
    {
        Server.Faults.Drop("searchAssets");
        var act = () => SendAsync(HttpMethod.Post, "search/metadata", new { });
        await act.Should().ThrowAsync<HttpRequestException>();
        (await SendAsync(HttpMethod.Post, "search/metadata", new { })).Status.Should().Be(200);
        Server.Requests.All.Select(r => r.StatusCode).Should().Equal(0, 200);
    }

    [Fact]
    public async Task Request_log_counts_by_operation_and_separates_writes()
    {
        var asset = Server.State.AddAsset(User.Id, "a.jpg", Day0);
        await SendAsync(HttpMethod.Post, "search/metadata", new { });
        await SendAsync(HttpMethod.Post, "search/statistics", new { });
        await SendAsync(HttpMethod.Get, "tags");
        await SendAsync(HttpMethod.Put, "tags", new { tags = new[] { "x" } });
        await SendAsync(HttpMethod.Put, "assets", new { ids = new[] { asset.Id }, isFavorite = true });
        await SendAsync(HttpMethod.Get, "no/such/route");

        Server.Requests.Total.Should().Be(6);
        Server.Requests.WriteCount.Should().Be(2);
        Server.Requests.Count("searchAssets").Should().Be(1);
        Server.Requests.ByOperation().Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["searchAssets"] = 1, ["searchAssetStatistics"] = 1, ["getAllTags"] = 1, ["upsertTags"] = 1,
            ["updateAssets"] = 1, ["unknown"] = 1,
        });
        var unknown = Server.Requests.All[^1];
        (unknown.Method, unknown.Path, unknown.StatusCode).Should().Be(("GET", "/api/no/such/route", 404));
        Server.Requests.All[3].Body.Should().Contain("\"x\"");

        Server.Requests.Clear();
        Server.Requests.Total.Should().Be(0);
    }

    [Fact]
    public async Task A_second_server_starts_on_its_own_port()
    {
        await using var other = await FakeImmichServer.StartAsync();
        other.BaseUrl.Host.Should().Be("127.0.0.1");
        other.BaseUrl.Port.Should().NotBe(Server.BaseUrl.Port);
    }
}
