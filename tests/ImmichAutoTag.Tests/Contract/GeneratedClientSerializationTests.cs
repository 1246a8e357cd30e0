using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ImmichAutoTag.Immich;
using ImmichAutoTag.Immich.Generated;

namespace ImmichAutoTag.Tests.Contract;

/// <summary>The generated enums must travel with the spec's spelling, or a strict server rejects them.</summary>
public sealed class GeneratedClientSerializationTests
{
    [Fact]
    public void Visibility_in_a_search_body_uses_the_spec_spelling_and_round_trips()
    {
        var dto = new MetadataSearchDto { Visibility = Immich.Generated.AssetVisibility.Archive, Type = AssetTypeEnum.VIDEO };

        var json = JsonSerializer.Serialize(dto);
        var back = JsonSerializer.Deserialize<MetadataSearchDto>(json);

        JsonNode.Parse(json)!["visibility"]!.GetValue<string>().Should().Be("archive");
        JsonNode.Parse(json)!["type"]!.GetValue<string>().Should().Be("VIDEO");
        back!.Visibility.Should().Be(Immich.Generated.AssetVisibility.Archive);
        back.Type.Should().Be(AssetTypeEnum.VIDEO);
    }

    [Fact]
    public void Every_media_size_value_round_trips_with_the_spec_spelling()
    {
        var specValues = SpecFiles.LoadOurs()["components"]!["schemas"]!["AssetMediaSize"]!["enum"]!.AsArray()
            .Select(n => n!.GetValue<string>()).ToList();
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };

        var spelled = Enum.GetValues<AssetMediaSize>().Select(v => JsonSerializer.Serialize(v, options).Trim('"')).ToList();
        var parsed = specValues.Select(s => ImmichGateway.ParseMediaSize(s)).Select(v => JsonSerializer.Serialize(v, options).Trim('"'));

        spelled.Should().BeEquivalentTo(specValues);
        parsed.Should().Equal(specValues);
    }

    [Fact]
    public void Every_value_of_every_enum_in_our_spec_round_trips_with_the_spec_spelling()
    {
        // The client's own serializer settings, as a request body and an answer go through them.
        var schemas = SpecFiles.LoadOurs()["components"]!["schemas"]!.AsObject();
        var enums = schemas.Where(kv => kv.Value!["enum"] is not null).ToList();
        var generated = typeof(ImmichClient).Assembly.GetTypes()
            .Where(t => t.IsEnum && t.Namespace == typeof(ImmichClient).Namespace)
            .ToDictionary(t => t.Name, StringComparer.Ordinal);

        enums.Should().NotBeEmpty();
        foreach (var (name, schema) in enums)
        {
            generated.Should().ContainKey(name, $"the spec's enum {name} must be generated");
            var type = generated[name];
            var specValues = schema!["enum"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

            var written = Enum.GetValues(type).Cast<object>().Select(v => JsonSerializer.Serialize(v, type, SettingsProbe.Settings)).ToList();
            written.Should().Equal(specValues.Select(v => JsonSerializer.Serialize(v)), $"{name} is written with the spec's spelling, in the spec's order");

            foreach (var value in specValues)
            {
                var read = JsonSerializer.Deserialize(JsonSerializer.Serialize(value), type, SettingsProbe.Settings);
                JsonSerializer.Serialize(read, type, SettingsProbe.Settings).Should().Be(JsonSerializer.Serialize(value), $"{name} reads '{value}' back");
            }
        }
    }

    [Fact]
    public async Task The_client_error_text_has_real_line_breaks_between_message_status_and_body()
    {
        using var http = new HttpClient(new Answer500()) { BaseAddress = new Uri("http://immich.invalid/api/") };
        var client = new ImmichClient(http);

        var error = (await FluentActions.Awaiting(() => client.GetAllTagsAsync()).Should().ThrowAsync<ImmichClientException>()).Which;

        error.StatusCode.Should().Be(500);
        error.Message.Split('\n').Should().Equal(
            "The HTTP status code of the response was not expected (500).",
            string.Empty,
            "Status: 500",
            "Response:",
            "{\"message\":\"boom\"}");
        error.Message.Should().NotContain("/n");
    }

    private sealed class Answer500 : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError) { Content = new StringContent("{\"message\":\"boom\"}") });
    }

    [Fact]
    public void Unknown_thumbnail_size_is_rejected()
    {
        var act = () => ImmichGateway.ParseMediaSize("Preview");

        act.Should().Throw<ArgumentException>().WithMessage("*Preview*");
    }

    [Fact]
    public void Unset_optional_request_fields_are_left_out_of_the_body()
    {
        // The client's serializer settings are protected; a subclass reads them the way the client does.
        var json = JsonSerializer.Serialize(new AssetBulkUpdateDto { Ids = [Guid.Empty], Description = "x" }, SettingsProbe.Settings);

        var body = JsonNode.Parse(json)!.AsObject();
        body.Select(kv => kv.Key).Should().BeEquivalentTo("ids", "description");
    }

    private sealed class SettingsProbe : ImmichClient
    {
        private SettingsProbe()
            : base(new HttpClient())
        {
        }

        public static JsonSerializerOptions Settings { get; } = new SettingsProbe().JsonSerializerSettings;
    }

    [Fact]
    public void A_search_page_as_Immich_sends_it_deserializes_with_a_null_next_page_and_string_dates()
    {
        const string json = """
            {"assets":{"count":1,"total":1,"nextPage":null,"facets":[],"items":[{"id":"5f0c1b1e-0000-4000-8000-000000000001","ownerId":"5f0c1b1e-0000-4000-8000-000000000002",
             "type":"IMAGE","originalFileName":"a.jpg","originalPath":"/x/a.jpg","checksum":"abc=","createdAt":"2024-01-01T00:00:00.000Z",
             "fileCreatedAt":"2023-05-06T07:08:09.000Z","fileModifiedAt":"2023-05-06T07:08:09.000Z","localDateTime":"2023-05-06T09:08:09.000Z",
             "updatedAt":"2024-02-03T04:05:06.789Z","duplicateId":null,"duration":null,"height":480,"width":640,"thumbhash":null,"hasMetadata":true,
             "isArchived":false,"isEdited":false,"isFavorite":true,"isOffline":false,"isTrashed":false,"visibility":"hidden","livePhotoVideoId":null}]},
             "albums":{"count":0,"total":0,"facets":[],"items":[]}}
            """;

        var page = JsonSerializer.Deserialize<SearchResponseDto>(json, SettingsProbe.Settings)!;

        page.Assets.NextPage.Should().BeNull();
        var item = page.Assets.Items.Single();
        item.Visibility.Should().Be(Immich.Generated.AssetVisibility.Hidden);
        item.FileCreatedAt.Should().Be(new DateTimeOffset(2023, 5, 6, 7, 8, 9, TimeSpan.Zero));
        item.DuplicateId.Should().BeNull();
    }

    [Fact]
    public void Fields_missing_from_our_spec_are_skipped_not_collected()
    {
        // Immich sends many fields the project's spec leaves out; collecting each into a JsonElement cost the
        // engine a large share of its allocations on a 100k-asset run (docs/performance.md).
        const string json = """
            {"id":"5f0c1b1e-0000-4000-8000-000000000001","ownerId":"5f0c1b1e-0000-4000-8000-000000000002","type":"IMAGE",
             "originalFileName":"a.jpg","libraryId":null,"originalMimeType":"image/jpeg","people":[{"id":"p"}],"resized":true,
             "exifInfo":{"make":"Canon","model":"EOS"},"stack":null}
            """;

        var asset = JsonSerializer.Deserialize<AssetResponseDto>(json, SettingsProbe.Settings)!;

        asset.OriginalFileName.Should().Be("a.jpg");
        asset.AdditionalProperties.Should().BeEmpty();
    }
}
