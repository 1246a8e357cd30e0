using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Fake;

/// <summary>
/// The fake picks up XMP sidecars as Immich 3.1's server does (MetadataService, JobService, LibraryService):
/// refresh-metadata reads only the sidecar on record, the sidecar discovery records new ones, a tag change's
/// write-back records <c>&lt;file&gt;.xmp</c> even when it cannot write it, a library scan does not look at sidecars,
/// and the tags of a read come property by property (TagsList, HierarchicalSubject, Keywords) over the file's own.
/// The order and the empty-list behaviour were checked against exiftool 12.57 with <c>-use MWG</c> (what Immich's
/// exiftool-vendored runs): an empty list reads as an empty string, which Immich's getTagList skips.
/// </summary>
public sealed class FakeSidecarPickUpTests : FakeServerTest, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly VirtualClock _clock = new(T0);
    private readonly string _mount = Path.Combine(Path.GetTempPath(), $"fake-sidecars-{Guid.NewGuid():N}");
    private FakeLibrary? _library;

    protected override FakeImmichOptions Options => new() { Clock = _clock, SidecarRace = false };

    public void Dispose()
    {
        if (Directory.Exists(_mount))
        {
            Directory.Delete(_mount, recursive: true);
        }
    }

    private (Guid Id, string File) LibraryAsset(string name, params string[] fileTags)
    {
        var state = Server.State;
        if (_library is null)
        {
            _library = state.AddExternalLibrary(User.Id, "NAS", "/mnt/nas", readOnly: true);
            state.MountLibrary(_library.Id, _mount);
        }

        var asset = state.AddLibraryAsset(_library.Id, name, T0);
        foreach (var tag in fileTags)
        {
            state.TagAsset(state.UpsertTag(tag).Id, asset.Id);
        }

        var file = state.LocalFileOf(asset.Id)!;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, [0xFF, 0xD8, 0xFF, 0xD9]);
        return (asset.Id, file);
    }

    private IEnumerable<string> TagsOf(Guid asset)
    {
        var ids = Server.State.DirectTagIdsOf(asset);
        return Server.State.Tags.Where(t => ids.Contains(t.Id)).Select(t => t.Value).Order(StringComparer.Ordinal);
    }

    /// <summary>Lets Immich's jobs run: time passes, and a queue read lands what is due.</summary>
    private async Task LandAsync()
    {
        _clock.Advance(TimeSpan.FromSeconds(5));
        (await SendAsync(HttpMethod.Get, "queues")).Status.Should().Be(200);
    }

    private Task<(int Status, string Body, System.Net.Http.Headers.MediaTypeHeaderValue? ContentType)> RefreshAsync(Guid asset) =>
        SendAsync(HttpMethod.Post, "assets/jobs", new { assetIds = new[] { asset }, name = "refresh-metadata" });

    private Task<(int Status, string Body, System.Net.Http.Headers.MediaTypeHeaderValue? ContentType)> DiscoverAsync() =>
        SendAsync(HttpMethod.Put, "jobs/sidecar", new { command = "start", force = false });

    /// <summary>A sidecar with the given tag properties; null leaves a property out, an empty array writes it empty.</summary>
    private static string Xmp(string[]? tagsList = null, string[]? hierarchical = null, string[]? subject = null)
    {
        static string Items(string[] items) => string.Concat(items.Select(i => $"<rdf:li>{i}</rdf:li>"));
        var body = (tagsList is null ? string.Empty : $"<digiKam:TagsList><rdf:Seq>{Items(tagsList)}</rdf:Seq></digiKam:TagsList>")
            + (hierarchical is null ? string.Empty : $"<lr:hierarchicalSubject><rdf:Bag>{Items(hierarchical)}</rdf:Bag></lr:hierarchicalSubject>")
            + (subject is null ? string.Empty : $"<dc:subject><rdf:Bag>{Items(subject)}</rdf:Bag></dc:subject>");
        return "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
            + "<rdf:Description rdf:about=\"\" xmlns:digiKam=\"http://www.digikam.org/ns/1.0/\" xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
            + body + "</rdf:Description></rdf:RDF></x:xmpmeta>";
    }

    [Fact]
    public async Task Refresh_metadata_does_not_read_a_new_sidecar_that_only_the_discovery_records()
    {
        var (asset, file) = LibraryAsset("NEW.jpg", "film");
        Server.State.SidecarOf(asset).Should().BeNull("no sidecar was there at import");
        File.WriteAllText(file + ".xmp", Xmp(tagsList: ["trip/beach"]));

        (await RefreshAsync(asset)).Status.Should().Be(204);
        await LandAsync();
        TagsOf(asset).Should().Equal(["film"], "handleMetadataExtraction reads the recorded sidecar only");

        var checks = Server.State.SidecarChecks;
        var (status, body, _) = await DiscoverAsync();
        status.Should().Be(200, body);
        await LandAsync();
        Server.State.SidecarOf(asset).Should().Be(file + ".xmp");
        Server.State.SidecarChecks.Should().Be(checks + 1, "the discovery checks the assets without a sidecar on record");
        TagsOf(asset).Should().Equal(["trip/beach"]);
    }

    [Fact]
    public async Task The_write_back_of_a_tag_change_records_the_sidecar_it_could_not_write_so_refresh_metadata_reads_it_later()
    {
        var (asset, file) = LibraryAsset("RO.jpg", "film");
        var added = Server.State.UpsertTag("added").Id;
        (await SendAsync(HttpMethod.Put, "tags/assets", new { tagIds = new[] { added }, assetIds = new[] { asset } })).Status.Should().Be(200);
        await LandAsync();
        TagsOf(asset).Should().Equal(["film"], "a read-only library loses the change");
        Server.State.SidecarOf(asset).Should().Be(file + ".xmp", "handleSidecarWrite records <file>.xmp when the asset had none");
        File.Exists(file + ".xmp").Should().BeFalse();

        File.WriteAllText(file + ".xmp", Xmp(tagsList: ["added", "film"], hierarchical: ["added", "film"], subject: ["added", "film"]));
        (await RefreshAsync(asset)).Status.Should().Be(204);
        await LandAsync();
        TagsOf(asset).Should().Equal(["added", "film"]);
    }

    [Fact]
    public async Task A_library_scan_does_not_look_at_sidecars_of_originals_that_did_not_change()
    {
        var (asset, file) = LibraryAsset("SCAN.jpg");
        File.WriteAllText(file + ".xmp", Xmp(tagsList: ["one"]));
        (await DiscoverAsync()).Status.Should().Be(200);
        await LandAsync();
        TagsOf(asset).Should().Equal(["one"]);

        File.WriteAllText(file + ".xmp", Xmp(tagsList: ["two"]));
        (await SendAsync(HttpMethod.Post, $"libraries/{_library!.Id}/scan")).Status.Should().Be(204);
        await LandAsync();
        TagsOf(asset).Should().Equal(["one"], "checkExistingAsset compares the original's modification time only");

        (await RefreshAsync(asset)).Status.Should().Be(204);
        await LandAsync();
        TagsOf(asset).Should().Equal(["two"]);
    }

    public static TheoryData<string, string[], string[]> Shapes() => new()
    {
        { Xmp(tagsList: ["a/b"], hierarchical: ["x|y"], subject: ["k"]), ["film"], ["a/b"] },
        { Xmp(tagsList: [], hierarchical: ["p|q/r"]), ["film"], ["p/q|r"] },
        { Xmp(hierarchical: ["p|q"]), ["film"], ["film"] },
        { Xmp(tagsList: [], hierarchical: [], subject: []), ["film"], [] },
        { Xmp(tagsList: []), ["film"], ["film"] },
        { Xmp(subject: ["k"]), [], ["k"] },
        { Xmp(tagsList: [], subject: ["k"]), ["film"], ["film"] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_read_takes_the_sidecars_tag_properties_over_the_files_one_by_one_in_Immichs_order(string xmp, string[] fileTags, string[] expected)
    {
        var (asset, file) = LibraryAsset("SHAPE.jpg", fileTags);
        File.WriteAllText(file + ".xmp", xmp);
        (await DiscoverAsync()).Status.Should().Be(200);
        await LandAsync();
        TagsOf(asset).Should().Equal(expected);
    }

    [Fact]
    public void An_lr_hierarchicalSubject_entry_reads_as_Immich_converts_it()
    {
        FakeImmichState.FromHierarchical("People|Alice").Should().Be("People/Alice");
        FakeImmichState.FromHierarchical("a|b/c").Should().Be("a/b|c");
    }
}
