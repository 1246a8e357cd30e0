using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Immich.Generated;

namespace ImmichAutoTag.Tests.Contract;

/// <summary>
/// A search page is read in place, item by item, with a fast path for well-formed items. Whatever an item
/// looks like, the fast reader must come to the same verdict (and the same asset or reason) as the thorough
/// reader over a document tree; a damaged envelope is an error like before.
/// </summary>
public sealed class SearchPageReaderTests
{
    private static readonly JsonSerializerOptions Options = new ImmichClient(new HttpClient()).SerializerOptions;

    private const string Item = """
        {"id":"5f0c1b1e-0000-4000-8000-000000000001","ownerId":"5f0c1b1e-0000-4000-8000-000000000002","type":"IMAGE",
         "originalFileName":"a.jpg","originalPath":"/x/a.jpg","checksum":"abc=","createdAt":"2024-01-01T00:00:00.000Z",
         "fileCreatedAt":"2024-01-01T00:00:00.000Z","fileModifiedAt":"2024-01-01T00:00:00.000Z","localDateTime":"2024-01-01T01:00:00.000Z",
         "updatedAt":"2024-01-02T00:00:00.000Z","isFavorite":false,"isArchived":false,"isTrashed":false,"isOffline":false,"isEdited":false,
         "hasMetadata":true,"duration":1200,"thumbhash":"xyz","visibility":"timeline","width":4000,"height":3000,
         "livePhotoVideoId":null,"duplicateId":null,"people":[],"exifInfo":{"make":"X"}}
        """;

    public static TheoryData<string, string> Variants()
    {
        var data = new TheoryData<string, string> { { "as sent", Item } };
        var item = JsonNode.Parse(Item)!.AsObject();
        foreach (var (name, _) in item.ToList())
        {
            data.Add($"{name} missing", With(item, n => n.Remove(name)));
            data.Add($"{name} null", With(item, n => n[name] = null));
            data.Add($"{name} a number", With(item, n => n[name] = 12345));
            data.Add($"{name} a string", With(item, n => n[name] = "x"));
            data.Add($"{name} an object", With(item, n => n[name] = new JsonObject()));
            data.Add($"{name} negative", With(item, n => n[name] = -1));
        }

        data.Add("enum as a number", With(item, n => n["visibility"] = 9));
        data.Add("unknown enum value", With(item, n => n["type"] = "PANORAMA"));
        data.Add("extended-year date", With(item, n => n["updatedAt"] = "+030828-09-14T02:48:05.478Z"));
        data.Add("height beyond int", With(item, n => n["height"] = 9007199254740991L));
        data.Add("empty file name", With(item, n => n["originalFileName"] = string.Empty));
        data.Add("escaped property name", Item.Replace("\"checksum\"", "\"check\\u0073um\"", StringComparison.Ordinal));
        data.Add("repeated property", Item.Replace("\"type\":\"IMAGE\"", "\"type\":\"IMAGE\",\"type\":\"VIDEO\"", StringComparison.Ordinal));
        data.Add("live photo video id", With(item, n => n["livePhotoVideoId"] = "5f0c1b1e-0000-4000-8000-000000000009"));
        data.Add("an array", "[1,2]");
        data.Add("a string", "\"asset\"");
        data.Add("null", "null");
        data.Add("a number", "42");
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_fast_reader_agrees_with_the_thorough_reader(string variant, string json)
    {
        using var document = JsonDocument.Parse(json);
        var expectedRead = ImmichGateway.TryReadAsset(document.RootElement, Options, out var expected, out var expectedProblem);

        var read = ImmichGateway.TryReadAsset(Encoding.UTF8.GetBytes(json), Options, out var asset, out var problem);

        read.Should().Be(expectedRead, variant);
        asset.Should().Be(expected, variant);
        problem.Should().Be(expectedProblem, variant);
    }

    [Fact]
    public void A_page_gives_its_items_in_order_with_the_unreadable_ones_apart_and_the_next_page()
    {
        var bad = With(JsonNode.Parse(Item)!.AsObject(), n => n.Remove("ownerId"));
        var second = Item.Replace("000000000001", "000000000003", StringComparison.Ordinal);
        var page = $$$"""{"albums":{"items":[]},"assets":{"total":3,"items":[{{{Item}}},{{{bad}}},{{{second}}}],"facets":[],"nextPage":"2"}}""";

        var (assets, unreadable, next) = ImmichGateway.ReadSearchPage(Encoding.UTF8.GetBytes(page), Options, 200);

        assets.Select(a => a.Id.ToString()).Should().Equal("5f0c1b1e-0000-4000-8000-000000000001", "5f0c1b1e-0000-4000-8000-000000000003");
        unreadable.Should().ContainSingle().Which.Reason.Should().Be("$.ownerId is missing");
        next.Should().Be("2");
    }

    [Fact]
    public void A_byte_order_mark_before_the_page_is_allowed()
    {
        var page = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes($$$"""{"assets":{"items":[{{{Item}}}],"nextPage":null}}""")).ToArray();

        var (assets, unreadable, next) = ImmichGateway.ReadSearchPage(page, Options, 200);

        assets.Should().ContainSingle();
        unreadable.Should().BeEmpty();
        next.Should().BeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"assets":[]}""")]
    [InlineData("""{"assets":{"nextPage":null}}""")]
    [InlineData("""{"assets":{"items":{},"nextPage":null}}""")]
    [InlineData("""{"assets":{"items":[],"nextPage":2}}""")]
    [InlineData("""{"assets":{"items":[{"id":1}],"nextPage":null}""")]
    [InlineData("""{"assets":{"items":[{"id":1},],"nextPage":null}}""")]
    [InlineData("""{"assets":{"items":[],"nextPage":null}} {}""")]
    public void A_damaged_envelope_is_an_error_that_carries_the_body(string page)
    {
        var act = () => ImmichGateway.ReadSearchPage(Encoding.UTF8.GetBytes(page), Options, 200);

        var error = act.Should().Throw<ImmichClientException>().Which;
        error.Message.Should().StartWith("Could not deserialize the response body.");
        error.Response.Should().Be(page);
    }

    private static string With(JsonObject item, Action<JsonObject> change)
    {
        var copy = item.DeepClone().AsObject();
        change(copy);
        return copy.ToJsonString();
    }
}
