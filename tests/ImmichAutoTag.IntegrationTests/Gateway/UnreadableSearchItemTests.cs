using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich;
using ImmichAutoTag.TestKit;
using ImmichAutoTag.TestKit.Schema;

namespace ImmichAutoTag.IntegrationTests.Gateway;

/// <summary>
/// A generated corpus of damaged search items: every property of the official AssetResponseDto, damaged four
/// ways (missing, null, wrong type, extreme value). Whatever the damage, the walk goes on: the damaged item is
/// either read or listed as unreadable with its id, and every other asset of the page is read.
/// </summary>
public sealed class UnreadableSearchItemTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private FakeImmichServer _server = null!;
    private string _key = null!;
    private FakeAsset _damaged = null!;
    private readonly List<FakeAsset> _others = [];

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        var user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(user, "all");
        for (var i = 0; i < 5; i++)
        {
            _others.Add(_server.State.AddAsset(user, $"IMG_{i:D4}.jpg", T0.AddDays(i), type: i == 4 ? "VIDEO" : "IMAGE"));
        }

        _damaged = _server.State.AddAsset(user, "IMG_BAD.jpg", T0.AddDays(2).AddHours(1));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string> Damages()
    {
        var data = new TheoryData<string, string>();
        var asset = OpenApiSpec.Official.Root.GetProperty("components").GetProperty("schemas").GetProperty("AssetResponseDto");
        foreach (var property in asset.GetProperty("properties").EnumerateObject())
        {
            foreach (var damage in (string[])["missing", "null", "wrong type", "extreme"])
            {
                data.Add(property.Name, damage);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_item_never_stops_the_walk(string field, string damage)
    {
        _server.RewriteResponse = (op, body) => op == "searchAssets" ? Damage(body, _damaged.Id, field, damage) : body;
        using var gateway = ImmichGateway.Create(new ImmichConnectionOptions(_server.BaseUrl, _key) { MaxRetries = 0 });

        var read = new List<Asset>();
        var unreadable = new List<UnreadableAsset>();
        await foreach (var page in gateway.SearchAssetsAsync(AssetQuery.All with { PageSize = 2 }, CancellationToken.None))
        {
            read.AddRange(page);
            unreadable.AddRange(page.Unreadable);
        }

        var ids = new List<Guid>();
        await foreach (var page in gateway.SearchAssetIdsAsync(AssetQuery.All with { PageSize = 2 }, CancellationToken.None))
        {
            ids.AddRange(page);
        }

        ids.Should().BeEquivalentTo(
            read.Select(a => a.Id).Concat(unreadable.Where(u => u.Id is not null).Select(u => u.Id!.Value)),
            "the ids-only search gives the id of every item read, and of every unreadable item that has one");

        read.Select(a => a.Id).Should().Contain(_others.Select(a => a.Id), "one damaged item never hides the other assets");
        (read.Count + unreadable.Count).Should().Be(6);
        if (unreadable.Count > 0)
        {
            var item = unreadable.Should().ContainSingle().Subject;
            item.Reason.Should().NotBeNullOrWhiteSpace();
            if (field != "id")
            {
                item.Id.Should().Be(_damaged.Id, "the report links the asset");
            }
        }

        if (Expectation(field, damage) is { } expectedReadable)
        {
            (unreadable.Count == 0).Should().Be(expectedReadable, string.Join("; ", unreadable.Select(u => u.Reason)));
        }
    }

    /// <summary>What the client must make of a damage, where the spec decides it; null where either is acceptable.</summary>
    private static bool? Expectation(string field, string damage)
    {
        var ours = OursSchema("AssetResponseDto");
        var declared = ours["properties"]?[field] as JsonObject;
        if (declared is null)
        {
            // A field the client does not declare is never looked at.
            return true;
        }

        var required = (ours["required"] as JsonArray ?? []).Any(n => n?.GetValue<string>() == field);
        var nullable = declared["nullable"]?.GetValue<bool>() == true;
        return damage switch
        {
            "missing" => required ? false : null,
            "null" => nullable ? true : null,
            "wrong type" => false,
            "extreme" => ExtremeValue(field, declared) is { Readable: var readable } ? readable : null,
            _ => null,
        };
    }

    /// <summary>The extreme value of a field: the spec's own maximum for integers (readable), something out of range otherwise (not).</summary>
    private static (JsonNode? Value, bool Readable)? ExtremeValue(string field, JsonObject schema)
    {
        var type = schema["type"]?.GetValue<string>();
        var format = schema["format"]?.GetValue<string>();
        var official = OpenApiSpec.Official.Root.GetProperty("components").GetProperty("schemas").GetProperty("AssetResponseDto").GetProperty("properties").GetProperty(field);
        return (type, format) switch
        {
            ("integer", _) => (JsonValue.Create(official.TryGetProperty("maximum", out var max) ? max.GetDecimal() : ExtremeIntegers.MaxSafeInteger), true),
            // Seen on a real server: an extended ISO year the client's date type cannot hold.
            ("string", "date-time") => (JsonValue.Create("+030828-09-14T02:48:05.478Z"), false),
            ("string", "uuid") => (JsonValue.Create("not-a-uuid"), false),
            // An enum value this version does not know, or a string where an object belongs.
            _ when schema["$ref"] is not null || schema["allOf"] is not null => (JsonValue.Create("PANORAMA"), false),
            ("string", _) => (JsonValue.Create(new string('x', 100_000)), true),
            _ => null,
        };
    }

    private static readonly Lazy<JsonObject> Ours = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(OpenApiSpec.RepositoryRoot(), "openapi", "immich-autotag.openapi.json")))!.AsObject());

    /// <summary>A schema of the project's own spec: what the generated client declares.</summary>
    private static JsonObject OursSchema(string name) => Ours.Value["components"]!["schemas"]![name]!.AsObject();

    private static ReadOnlyMemory<byte> Damage(ReadOnlyMemory<byte> body, Guid id, string field, string damage)
    {
        var root = JsonNode.Parse(body.Span)!;
        foreach (var item in root["assets"]!["items"]!.AsArray().OfType<JsonObject>())
        {
            if (item["id"]?.GetValue<string>() != id.ToString())
            {
                continue;
            }

            switch (damage)
            {
                case "missing":
                    item.Remove(field);
                    break;
                case "null":
                    item[field] = null;
                    break;
                case "wrong type":
                    // A number where the spec wants a string; a string where it wants anything else.
                    var officialType = OpenApiSpec.Official.Root.GetProperty("components").GetProperty("schemas").GetProperty("AssetResponseDto").GetProperty("properties").GetProperty(field).TryGetProperty("type", out var t) ? t.GetString() : null;
                    item[field] = officialType == "string" ? JsonValue.Create(12345) : JsonValue.Create("x");
                    break;
                case "extreme":
                    var declared = OursSchema("AssetResponseDto")["properties"]?[field] as JsonObject;
                    var official = JsonNode.Parse(OpenApiSpec.Official.Root.GetProperty("components").GetProperty("schemas").GetProperty("AssetResponseDto").GetProperty("properties").GetProperty(field).GetRawText())!.AsObject();
                    item[field] = ExtremeValue(field, declared ?? official)?.Value ?? item[field]?.DeepClone();
                    break;
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(root, Relaxed);
    }
}
