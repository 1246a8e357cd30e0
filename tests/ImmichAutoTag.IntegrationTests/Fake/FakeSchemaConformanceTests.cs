using System.Text.Json;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Schema;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>Every operation the fake serves answers with a body the official Immich spec accepts.</summary>
public sealed class FakeSchemaConformanceTests : FakeServerTest
{
    public static readonly string[] ServedOperations =
    [
        "pingServer", "getServerVersion", "getServerFeatures", "getMyUser", "getMyApiKey", "searchAssets",
        "searchAssetStatistics", "getAssetInfo", "updateAssets", "getAllAlbums", "getAlbumInfo", "createAlbum",
        "addAssetsToAlbum", "removeAssetFromAlbum", "getAllTags", "upsertTags", "bulkTagAssets", "tagAssets",
        "untagAssets", "deleteTag", "getAssetDuplicates", "viewAsset", "getQueues", "updateQueue", "deleteAlbum",
        "getAllLibraries",
    ];

    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        foreach (var op in ServedOperations)
        {
            data.Add(op);
        }

        return data;
    }

    private sealed record Seeded(FakeAsset Tagged, FakeAsset Other, FakeAsset Partner, FakeAlbum Album, FakeTag Child, FakeTag Parent);

    private Seeded Seed()
    {
        var state = Server.State;
        var bob = state.AddUser("Bob", "bob@example.com");
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
        return new Seeded(tagged, other, partner, album, child, state.FindTag("Scene")!);
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
            "getQueues" => await SendAsync(HttpMethod.Get, "queues"),
            "getAllLibraries" => await SendAsync(HttpMethod.Get, "libraries"),
            "updateQueue" => await SendAsync(HttpMethod.Put, "queues/sidecar", new { isPaused = true }),
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

    [Fact]
    public void Test_list_covers_the_operations_the_spec_defines_for_the_fake()
    {
        var spec = OpenApiSpec.Official;
        foreach (var op in ServedOperations)
        {
            spec.Operation(op).OperationId.Should().Be(op);
        }
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Fake_demands_the_permission_the_spec_names(string operationId)
    {
        var op = OpenApiSpec.Official.Operation(operationId);
        var noRights = Server.State.AddApiKey(User.Id);
        using var client = NewClient(noRights);
        var path = op.Path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
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
