using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.IntegrationTests.Gateway;

/// <summary>Error translation, retries and paging of <see cref="ImmichGateway"/> against a scripted stub.</summary>
public sealed class ImmichGatewayStubTests
{
    private const string ApiKey = "secret-key-8f3b2c1d";

    private static readonly DateTimeOffset Stamp = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public async Task Sends_the_api_key_header_to_the_api_under_the_server_path_prefix()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => Results.Json(new { res = "pong" }));
        using var gateway = Create(new Uri(stub.BaseUrl, "immich/"));

        await gateway.PingAsync(CancellationToken.None);

        var request = stub.Requests.Single();
        request.Path.Should().Be("/immich/api/server/ping");
        request.ApiKey.Should().Be(ApiKey);
    }

    [Fact]
    public async Task A_401_becomes_an_authentication_error_that_says_to_check_the_key()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => ImmichError(401, "Invalid API key"));
        using var gateway = Create(stub.BaseUrl);

        var act = () => gateway.GetMyUserAsync(CancellationToken.None);

        var error = (await act.Should().ThrowAsync<ImmichAuthenticationException>()).Which;
        error.Message.Should().Contain("check the API key").And.Contain(stub.BaseUrl.ToString()).And.NotContain(ApiKey);
        stub.Requests.Should().HaveCount(1, "a 401 is not transient");
    }

    [Fact]
    public async Task A_403_names_the_operation_and_the_permission_it_needs()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => ImmichError(403, "Missing required permission: tag.asset"));
        using var gateway = Create(stub.BaseUrl);

        var act = () => gateway.TagAssetsAsync(Guid.NewGuid(), [Guid.NewGuid()], CancellationToken.None);

        var error = (await act.Should().ThrowAsync<ImmichPermissionException>()).Which;
        error.Operation.Should().Be("tagAssets");
        error.Permission.Should().Be(ImmichPermissions.TagAsset);
        error.Message.Should().Contain("'tag.asset'").And.NotContain(ApiKey);
    }

    [Fact]
    public async Task Other_errors_carry_Immichs_message()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => ImmichError(400, new[] { "tags must be an array", "each value in tags must be a string" }));
        using var gateway = Create(stub.BaseUrl);

        var act = () => gateway.UpsertTagsAsync(["a"], CancellationToken.None);

        var error = (await act.Should().ThrowAsync<ImmichApiException>()).Which;
        error.StatusCode.Should().Be(400);
        error.Operation.Should().Be("upsertTags");
        error.Message.Should().Contain("tags must be an array; each value in tags must be a string");
    }

    [Fact]
    public async Task A_refused_connection_becomes_unreachable_naming_the_url()
    {
        var url = new Uri($"http://127.0.0.1:{UnusedPort()}/photos/");
        using var gateway = Create(url, maxRetries: 1);

        var act = () => gateway.GetVersionAsync(CancellationToken.None);

        var error = (await act.Should().ThrowAsync<ImmichUnreachableException>()).Which;
        error.Url.Should().Be(url);
        error.Message.Should().Contain(url.ToString()).And.Contain("refused").And.NotContain(ApiKey);
    }

    [Fact]
    public async Task A_slow_answer_becomes_unreachable_after_the_timeout()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => new Delayed(TimeSpan.FromSeconds(5)));
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(stub.BaseUrl, ApiKey) { Timeout = TimeSpan.FromMilliseconds(200), MaxRetries = 0 });

        var act = () => gateway.GetTagsAsync(CancellationToken.None);

        (await act.Should().ThrowAsync<ImmichUnreachableException>()).Which.Message.Should().Contain("getAllTags");
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_also_runs_into_the_time_out()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => new Delayed(TimeSpan.FromSeconds(5), "[{"));
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(stub.BaseUrl, ApiKey) { Timeout = TimeSpan.FromMilliseconds(300), MaxRetries = 0 });

        var act = () => gateway.GetTagsAsync(CancellationToken.None);

        (await act.Should().ThrowAsync<ImmichUnreachableException>()).Which.Message.Should().Contain("getAllTags");
    }

    [Fact]
    public async Task A_503_on_an_idempotent_call_is_retried_until_it_succeeds()
    {
        await using var stub = await StubImmich.StartAsync((_, n) => n <= 2 ? ImmichError(503, "busy") : Results.Json(new[] { TagJson("a", "a") }));
        using var gateway = Create(stub.BaseUrl);

        var tags = await gateway.GetTagsAsync(CancellationToken.None);

        tags.Should().ContainSingle().Which.Value.Should().Be("a");
        stub.Requests.Should().HaveCount(3);
        gateway.Snapshot().Should().Contain("getAllTags", 3);
        gateway.WriteRequests.Should().Be(0);
    }

    [Fact]
    public async Task Retries_are_logged_with_the_operation_and_logs_never_contain_the_key()
    {
        await using var stub = await StubImmich.StartAsync((_, n) => n == 1 ? ImmichError(429, "slow down") : Results.Json(new { count = 2 }));
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(stub.BaseUrl, ApiKey) { RetryBaseDelay = TimeSpan.FromMilliseconds(1) }, factory);

        var added = await gateway.BulkTagAssetsAsync([Guid.NewGuid()], [Guid.NewGuid()], CancellationToken.None);

        added.Should().Be(2);
        logs.Lines.Should().Contain(l => l.StartsWith("Warning: Retrying bulkTagAssets after HTTP 429", StringComparison.Ordinal));
        logs.Lines.Should().Contain(l => l.StartsWith("Debug: Immich bulkTagAssets answered 200", StringComparison.Ordinal));
        logs.Lines.Should().NotContain(l => l.Contains(ApiKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task A_retry_waits_as_long_as_Retry_After_says(int status)
    {
        // The back-off alone would wait about 1 ms; Retry-After: 1 asks for a second.
        await using var stub = await StubImmich.StartAsync((_, n) => n == 1 ? new RetryAfter(status, 1) : Results.Json(new[] { TagJson("a", "a") }));
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(stub.BaseUrl, ApiKey) { RetryBaseDelay = TimeSpan.FromMilliseconds(1) }, factory);

        var tags = await gateway.GetTagsAsync(CancellationToken.None);

        tags.Should().ContainSingle();
        stub.Requests.Should().HaveCount(2);
        logs.Lines.Should().Contain(l => l.StartsWith($"Warning: Retrying getAllTags after HTTP {status} (retry 1, waiting 1000 ms)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retries_give_up_after_the_configured_count()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => ImmichError(502, "bad gateway"));
        using var gateway = Create(stub.BaseUrl, maxRetries: 2);

        var act = () => gateway.BulkTagAssetsAsync([Guid.NewGuid()], [Guid.NewGuid()], CancellationToken.None);

        (await act.Should().ThrowAsync<ImmichApiException>()).Which.StatusCode.Should().Be(502);
        stub.Requests.Should().HaveCount(3);
        gateway.WriteRequests.Should().Be(3);
    }

    [Fact]
    public async Task CreateAlbum_is_not_retried_because_a_retry_could_create_a_second_album()
    {
        await using var stub = await StubImmich.StartAsync((_, _) => ImmichError(503, "busy"));
        using var gateway = Create(stub.BaseUrl);

        var act = () => gateway.CreateAlbumAsync("Trip", [], CancellationToken.None);

        (await act.Should().ThrowAsync<ImmichApiException>()).Which.StatusCode.Should().Be(503);
        stub.Requests.Should().ContainSingle().Which.Method.Should().Be("POST");
        gateway.Snapshot().Should().Contain("createAlbum", 1);
        gateway.WriteRequests.Should().Be(1);
    }

    [Fact]
    public async Task The_api_key_appears_in_no_error_message()
    {
        // A proxy that echoes the request (headers included) into its error page.
        await using var stub = await StubImmich.StartAsync((r, _) => Results.Text($"upstream failed for key {r.ApiKey}", statusCode: 500));
        using var gateway = Create(stub.BaseUrl, maxRetries: 0);
        var messages = new List<string>();

        foreach (var call in new Func<Task>[]
        {
            () => gateway.GetAlbumsAsync(CancellationToken.None),
            () => gateway.DeleteTagAsync(Guid.NewGuid(), CancellationToken.None),
            () => gateway.GetThumbnailAsync(Guid.NewGuid(), "preview", CancellationToken.None),
        })
        {
            var error = await Assert.ThrowsAnyAsync<ImmichException>(call);
            messages.Add(error.ToString());
        }

        messages.Should().HaveCount(3).And.OnlyContain(m => m.Contains("upstream failed for key") && !m.Contains(ApiKey));
        new ImmichConnectionOptions(stub.BaseUrl, ApiKey).ToString().Should().NotContain(ApiKey);
    }

    [Fact]
    public async Task Search_follows_nextPage_until_null_with_the_query_page_size()
    {
        var ids = Enumerable.Range(1, 3).Select(_ => Guid.NewGuid()).ToList();
        await using var stub = await StubImmich.StartAsync((_, n) => n switch
        {
            1 => SearchPage([ids[0], ids[1]], "2"),
            2 => SearchPage([ids[2]], null),
            _ => ImmichError(500, "asked for a page after the last one"),
        });
        using var gateway = Create(stub.BaseUrl);
        var query = AssetQuery.All with { PageSize = 2, TagIds = [Guid.Empty] };

        var pages = new List<IReadOnlyList<Core.Domain.Asset>>();
        await foreach (var page in gateway.SearchAssetsAsync(query, CancellationToken.None))
        {
            pages.Add(page);
        }

        pages.SelectMany(p => p).Select(a => a.Id).Should().Equal(ids);
        var bodies = stub.Requests.Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToList();
        bodies.Select(b => b["page"]!.GetValue<int>()).Should().Equal(1, 2);
        bodies.Should().OnlyContain(b => b["size"]!.GetValue<int>() == 2 && b["tagIds"]!.AsArray().Count == 1);
        bodies.Should().OnlyContain(b => !b.ContainsKey("visibility") && !b.ContainsKey("albumIds"), "unset filters are left out, not sent as null");
        stub.Requests.Should().OnlyContain(r => r.Path == "/api/search/metadata" && r.Method == "POST");
    }

    [Fact]
    public async Task Album_owner_is_the_album_user_with_the_owner_role()
    {
        var owner = Guid.NewGuid();
        var editor = Guid.NewGuid();
        await using var stub = await StubImmich.StartAsync((_, _) => Results.Json(new[]
        {
            AlbumJson("Shared trip", (editor, "editor"), (owner, "owner")),
            AlbumJson("Nobody's", (editor, "viewer")),
        }));
        using var gateway = Create(stub.BaseUrl);

        var albums = await gateway.GetAlbumsAsync(CancellationToken.None);

        albums.Select(a => (a.Name, a.OwnerId)).Should().Equal(("Shared trip", owner), ("Nobody's", null));
    }

    private static ImmichGateway Create(Uri url, int maxRetries = 3) =>
        ImmichGateway.Create(new ImmichConnectionOptions(url, ApiKey) { MaxRetries = maxRetries, RetryBaseDelay = TimeSpan.FromMilliseconds(1), Timeout = TimeSpan.FromSeconds(10) });

    /// <summary>An Immich-style error with a Retry-After header (seconds).</summary>
    private sealed class RetryAfter(int status, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ImmichError(status, "slow down").ExecuteAsync(httpContext);
        }
    }

    private static IResult ImmichError(int status, object message) =>
        Results.Json(new { message, error = "Error", statusCode = status }, statusCode: status);

    private static object TagJson(string name, string value) =>
        new { id = Guid.NewGuid(), name, value, createdAt = Stamp, updatedAt = Stamp };

    private static object AlbumJson(string name, params (Guid Id, string Role)[] users) => new
    {
        id = Guid.NewGuid(),
        albumName = name,
        albumThumbnailAssetId = (Guid?)null,
        albumUsers = users.Select(u => new
        {
            role = u.Role,
            user = new { id = u.Id, name = "u", email = "u@example.com", avatarColor = "blue", profileChangedAt = Stamp, profileImagePath = string.Empty },
        }),
        assetCount = 0,
        createdAt = Stamp,
        description = string.Empty,
        hasSharedLink = false,
        isActivityEnabled = true,
        shared = users.Length > 1,
        updatedAt = Stamp,
    };

    private static IResult SearchPage(IEnumerable<Guid> ids, string? nextPage)
    {
        var items = ids.Select(id => new
        {
            id,
            ownerId = Guid.Empty,
            type = "IMAGE",
            originalFileName = $"{id}.jpg",
            originalPath = $"/library/{id}.jpg",
            checksum = "AAAA",
            createdAt = Stamp,
            fileCreatedAt = Stamp,
            fileModifiedAt = Stamp,
            localDateTime = Stamp,
            updatedAt = Stamp,
            duration = (int?)null,
            height = 1,
            width = 1,
            thumbhash = (string?)null,
            hasMetadata = true,
            isArchived = false,
            isEdited = false,
            isFavorite = false,
            isOffline = false,
            isTrashed = false,
            visibility = "timeline",
        }).ToList();
        return Results.Json(new
        {
            assets = new { count = items.Count, total = items.Count, nextPage, facets = Array.Empty<object>(), items },
            albums = new { count = 0, total = 0, facets = Array.Empty<object>(), items = Array.Empty<object>() },
        });
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Answers only after a delay (optionally after sending the headers and a first chunk).</summary>
    private sealed class Delayed(TimeSpan delay, string? firstChunk = null) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            if (firstChunk is not null)
            {
                httpContext.Response.ContentType = "application/json";
                await httpContext.Response.WriteAsync(firstChunk);
                await httpContext.Response.Body.FlushAsync();
            }

            try
            {
                await Task.Delay(delay, httpContext.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (firstChunk is null)
            {
                httpContext.Response.StatusCode = 200;
            }
        }
    }
}
