using System.Text.Json;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Schema;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>
/// Every operation the fake serves (its route table, not a list kept by hand) has the spec's method, path, permission
/// and admin flag, answers with a body the official Immich spec accepts, and refuses a key without its permission.
/// </summary>
public sealed partial class FakeSchemaConformanceTests : FakeServerTest
{
    /// <summary>Every operation id the fake serves, read from its route table (so a new route cannot be left unchecked).</summary>
    public static IReadOnlyList<string> ServedOperations { get; } =
        [.. FakeImmichServer.Create().ServedOperations.Select(o => o.OperationId).Distinct(StringComparer.Ordinal)];

    /// <summary>Routes the fake serves that the spec leaves out, on purpose: Immich 3.x answers them, the document does not list them.</summary>
    private static readonly HashSet<(string Method, string Path)> UndocumentedTwins = [("PATCH", "/assets")];

    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        foreach (var op in ServedOperations)
        {
            data.Add(op);
        }

        return data;
    }

    /// <summary>
    /// Where the served routes disagree with the spec: an unknown operation id, another method or path, another
    /// permission (x-immich-permission) or admin-only flag (x-immich-admin-only). Empty when they all agree.
    /// </summary>
    public static IReadOnlyList<string> RouteProblems(IEnumerable<ServedOperation> routes, OpenApiSpec spec)
    {
        var byId = spec.Operations().ToDictionary(o => o.OperationId, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var route in routes)
        {
            if (!byId.TryGetValue(route.OperationId, out var op))
            {
                problems.Add($"{route.Method} {route.Path}: the spec has no operation {route.OperationId}");
                continue;
            }

            if (UndocumentedTwins.Contains((route.Method, route.Path)))
            {
                continue;
            }

            if (op.Method != route.Method || Placeholders(op.Path) != Placeholders(route.Path))
            {
                problems.Add($"{route.OperationId}: served as {route.Method} {route.Path}, the spec says {op.Method} {op.Path}");
            }

            if (op.Permission != route.Permission)
            {
                problems.Add($"{route.OperationId}: the fake demands {route.Permission ?? "no permission"}, the spec {op.Permission ?? "none"}");
            }

            var adminOnly = op.Element.TryGetProperty("x-immich-admin-only", out var flag) && flag.ValueKind == JsonValueKind.True;
            if (adminOnly != route.AdminOnly)
            {
                problems.Add($"{route.OperationId}: the fake is {(route.AdminOnly ? "" : "not ")}admin-only, the spec {(adminOnly ? "is" : "is not")}");
            }
        }

        return problems;
    }

    private static string Placeholders(string path) => Placeholder().Replace(path, "{}");

    [System.Text.RegularExpressions.GeneratedRegex(@"\{[^}]+\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    [Fact]
    public void Every_route_the_fake_serves_has_the_spec_operation_method_path_permission_and_admin_flag()
    {
        Server.ServedOperations.Should().HaveCountGreaterThan(25);
        RouteProblems(Server.ServedOperations, OpenApiSpec.Official).Should().BeEmpty();
    }

    [Fact]
    public void The_route_check_reports_each_kind_of_disagreement()
    {
        // Deliberately wrong routes: the check must name every one, or it could not fail.
        ServedOperation[] wrong =
        [
            new("GET", "/albums/{id}/users", "addUsersToAlbum", "albumUser.create", false, true),
            new("PUT", "/albums/{id}/user/{name}", "updateAlbumUser", "albumUser.create", false, true),
            new("GET", "/queues", "getQueues", "queue.read", false, true),
            new("GET", "/nothing", "noSuchOperation", null, false, true),
        ];

        var problems = RouteProblems(wrong, OpenApiSpec.Official);

        problems.Should().HaveCount(4);
        problems.Should().Contain(p => p.StartsWith("addUsersToAlbum: served as GET", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("updateAlbumUser: the fake demands albumUser.create", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("getQueues: the fake is not admin-only", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("no operation noSuchOperation", StringComparison.Ordinal));
    }

    private sealed record Seeded(FakeAsset Tagged, FakeAsset Other, FakeAsset Partner, FakeAlbum Album, FakeTag Child, FakeTag Parent, FakeUser Bob, FakeUser Carol);

    private Seeded Seed()
    {
        var state = Server.State;
        var bob = state.AddUser("Bob", "bob@example.com");
        var carol = state.AddUser("Carol", "carol@example.com");
        state.AddPartner(User.Id, bob.Id);
        var tagged = state.AddAsset(User.Id, "IMG_0001.jpg", Day0);
        var other = state.AddAsset(User.Id, "IMG_0002.jpg", Day0.AddDays(1));
        var video = state.AddAsset(User.Id, "MOV_0003.mp4", Day0.AddDays(2), type: "VIDEO");
        var partner = state.AddAsset(bob.Id, "BOB_0001.jpg", Day0.AddHours(1));
        var album = state.AddAlbum(User.Id, "2020-01-01 New Year", [tagged.Id, video.Id]);
        state.ShareAlbum(album.Id, bob.Id, "viewer");
        var child = state.UpsertTag("Scene/Beach");
        state.TagAsset(child.Id, tagged.Id);
        state.AddDuplicateGroup([other.Id, video.Id]);
        var library = state.AddExternalLibrary(User.Id, "NAS photos", "/mnt/nas/photos", readOnly: true);
        state.AddLibraryAsset(library.Id, "NAS_0001.jpg", Day0.AddDays(3));
        return new Seeded(tagged, other, partner, album, child, state.FindTag("Scene")!, bob, carol);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Response_body_conforms_to_the_official_schema(string operationId)
    {
        var s = Seed();
        var (status, body, contentType) = operationId switch
        {
            "pingServer" => await SendAsync(HttpMethod.Get, "server/ping"),
            "getServerVersion" => await SendAsync(HttpMethod.Get, "server/version"),
            "getServerFeatures" => await SendAsync(HttpMethod.Get, "server/features"),
            "getMyUser" => await SendAsync(HttpMethod.Get, "users/me"),
            "getMyApiKey" => await SendAsync(HttpMethod.Get, "api-keys/me"),
            "searchAssets" => await SendAsync(HttpMethod.Post, "search/metadata", new { size = 2, withDeleted = true, withExif = true }),
            "searchAssetStatistics" => await SendAsync(HttpMethod.Post, "search/statistics", new { }),
            "getAssetInfo" => await SendAsync(HttpMethod.Get, $"assets/{s.Tagged.Id}"),
            "updateAssets" => await SendAsync(HttpMethod.Put, "assets", new { ids = new[] { s.Other.Id }, isFavorite = true }),
            "getAllAlbums" => await SendAsync(HttpMethod.Get, "albums"),
            "getAlbumInfo" => await SendAsync(HttpMethod.Get, $"albums/{s.Album.Id}"),
            "createAlbum" => await SendAsync(HttpMethod.Post, "albums", new { albumName = "2021-05-01 Hike", assetIds = new[] { s.Other.Id } }),
            "addAssetsToAlbum" => await SendAsync(HttpMethod.Put, $"albums/{s.Album.Id}/assets", new { ids = new[] { s.Other.Id, s.Tagged.Id } }),
            "removeAssetFromAlbum" => await SendAsync(HttpMethod.Delete, $"albums/{s.Album.Id}/assets", new { ids = new[] { s.Tagged.Id, s.Other.Id } }),
            "getAllTags" => await SendAsync(HttpMethod.Get, "tags"),
            "upsertTags" => await SendAsync(HttpMethod.Put, "tags", new { tags = new[] { "Scene/Beach", "Object/Dog/Puppy" } }),
            "bulkTagAssets" => await SendAsync(HttpMethod.Put, "tags/assets", new { tagIds = new[] { s.Child.Id }, assetIds = new[] { s.Other.Id } }),
            "tagAssets" => await SendAsync(HttpMethod.Put, $"tags/{s.Child.Id}/assets", new { ids = new[] { s.Other.Id, s.Tagged.Id, s.Partner.Id } }),
            "untagAssets" => await SendAsync(HttpMethod.Delete, $"tags/{s.Child.Id}/assets", new { ids = new[] { s.Tagged.Id, s.Other.Id } }),
            "deleteTag" => await SendAsync(HttpMethod.Delete, $"tags/{s.Parent.Id}"),
            "deleteAlbum" => await SendAsync(HttpMethod.Delete, $"albums/{s.Album.Id}"),
            "getAssetDuplicates" => await SendAsync(HttpMethod.Get, "duplicates"),
            "viewAsset" => await SendAsync(HttpMethod.Get, $"assets/{s.Tagged.Id}/thumbnail?size=preview"),
            "downloadAsset" => await SendAsync(HttpMethod.Get, $"assets/{s.Tagged.Id}/original"),
            "getQueues" => await SendAsync(HttpMethod.Get, "queues"),
            "getAllLibraries" => await SendAsync(HttpMethod.Get, "libraries"),
            "runAssetJobs" => await SendAsync(HttpMethod.Post, "assets/jobs", new { assetIds = new[] { s.Tagged.Id }, name = "refresh-metadata" }),
            "scanLibrary" => await SendAsync(HttpMethod.Post, $"libraries/{Server.State.Libraries[0].Id}/scan"),
            "runQueueCommandLegacy" => await SendAsync(HttpMethod.Put, "jobs/sidecar", new { command = "start", force = false }),
            "updateQueue" => await SendAsync(HttpMethod.Put, "queues/sidecar", new { isPaused = true }),
            "searchUsers" => await SendAsync(HttpMethod.Get, "users"),
            "addUsersToAlbum" => await SendAsync(HttpMethod.Put, $"albums/{s.Album.Id}/users", new { albumUsers = new[] { new { userId = s.Carol.Id, role = "editor" } } }),
            "updateAlbumUser" => await SendAsync(HttpMethod.Put, $"albums/{s.Album.Id}/user/{s.Bob.Id}", new { role = "editor" }),
            "removeUserFromAlbum" => await SendAsync(HttpMethod.Delete, $"albums/{s.Album.Id}/user/{s.Bob.Id}"),
            _ => throw new ArgumentOutOfRangeException(nameof(operationId)),
        };

        var spec = OpenApiSpec.Official;
        var documented = spec.Operation(operationId).Element.GetProperty("responses").EnumerateObject()
            .Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        documented.Should().Contain(status, $"{operationId} answered {status}: {body}");
        Server.Requests.Count(operationId).Should().Be(1, "the request log names the operation the fake served");

        var schema = spec.ResponseSchema(operationId, status);
        if (schema is null)
        {
            // 204s have no body; binary downloads are checked by their content type instead.
            if (operationId == "viewAsset")
            {
                contentType!.MediaType.Should().Be("image/jpeg");
                body.Should().NotBeEmpty();
            }
            else if (operationId == "downloadAsset")
            {
                contentType!.MediaType.Should().Be("application/octet-stream", "the spec documents the original as application/octet-stream");
                body.Should().NotBeEmpty();
            }
            else
            {
                body.Should().BeEmpty();
            }

            return;
        }

        using var doc = JsonDocument.Parse(body);
        var errors = spec.Validator.Validate(schema.Value, doc.RootElement);
        errors.Should().BeEmpty($"{operationId} answered {body}");
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Fake_demands_the_permission_the_spec_names(string operationId)
    {
        var op = OpenApiSpec.Official.Operation(operationId);
        var noRights = Server.State.AddApiKey(User.Id);
        using var client = NewClient(noRights);
        // Every placeholder ({id}, {userId}, {name}) gets a well-formed id: the permission is checked before the id is looked up.
        var path = Placeholder().Replace(op.Path, Guid.NewGuid().ToString());
        var (status, body, _) = await SendAsync(client, new HttpMethod(op.Method), path.TrimStart('/'), op.Method is "GET" ? null : new { });

        if (op.Permission is null)
        {
            status.Should().BeOneOf([200], $"{operationId} needs no permission: {body}");
            return;
        }

        status.Should().Be(403, body);
        using var doc = JsonDocument.Parse(body);
        doc.RootElement.GetProperty("message").GetString().Should().Be($"Missing required permission: {op.Permission}");
    }
}
