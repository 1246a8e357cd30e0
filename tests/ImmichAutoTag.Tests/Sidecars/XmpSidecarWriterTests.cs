using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure.Sidecars;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.Tests.Sidecars;

/// <summary>
/// The sidecar writer on sidecars as digiKam, Lightroom and darktable write them (small samples of their shapes,
/// each with a namespace of its own the writer knows nothing about): the tool's tags are merged in, and everything
/// else comes back with the same values; the tags Immich reads (the fake's reader, written apart from the writer)
/// are the old ones plus the tool's.
/// </summary>
public sealed class XmpSidecarWriterTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"xmp-writer-{Guid.NewGuid():N}");

    public XmpSidecarWriterTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string DigiKam = """
        <?xpacket begin="﻿" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:digiKam="http://www.digikam.org/ns/1.0/"
            xmlns:xmp="http://ns.adobe.com/xap/1.0/"
            xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
            xmlns:acdsee="http://ns.acdsee.com/iptc/1.0/"
            xmp:Rating="4"
            acdsee:categories="&lt;Categories&gt;&lt;Category Assigned=&quot;1&quot;&gt;People&lt;/Category&gt;&lt;/Categories&gt;">
           <digiKam:TagsList>
            <rdf:Seq>
             <rdf:li>People/Alice</rdf:li>
             <rdf:li>Places/Beach</rdf:li>
            </rdf:Seq>
           </digiKam:TagsList>
           <lr:hierarchicalSubject>
            <rdf:Bag>
             <rdf:li>People|Alice</rdf:li>
             <rdf:li>Places|Beach</rdf:li>
            </rdf:Bag>
           </lr:hierarchicalSubject>
           <dc:subject>
            <rdf:Bag>
             <rdf:li>Alice</rdf:li>
             <rdf:li>Beach</rdf:li>
            </rdf:Bag>
           </dc:subject>
          </rdf:Description>
         </rdf:RDF>
        </x:xmpmeta>
        <?xpacket end="w"?>
        """;

    private const string Lightroom = """
        <x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
            xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
            xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
            crs:Version="15.0" crs:Exposure2012="+0.35" crs:WhiteBalance="As Shot"
            photoshop:DateCreated="2021-07-04T18:30:00">
           <dc:title>
            <rdf:Alt>
             <rdf:li xml:lang="x-default">Sunset</rdf:li>
            </rdf:Alt>
           </dc:title>
           <dc:subject>
            <rdf:Bag>
             <rdf:li>Sunset</rdf:li>
             <rdf:li>Spain</rdf:li>
            </rdf:Bag>
           </dc:subject>
           <lr:hierarchicalSubject>
            <rdf:Bag>
             <rdf:li>Places|Spain</rdf:li>
             <rdf:li>Sunset</rdf:li>
            </rdf:Bag>
           </lr:hierarchicalSubject>
           <crs:ToneCurvePV2012>
            <rdf:Seq>
             <rdf:li>0, 0</rdf:li>
             <rdf:li>255, 255</rdf:li>
            </rdf:Seq>
           </crs:ToneCurvePV2012>
          </rdf:Description>
         </rdf:RDF>
        </x:xmpmeta>
        """;

    private const string Darktable = """
        <?xml version="1.0" encoding="UTF-8"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:exif="http://ns.adobe.com/exif/1.0/"
            xmlns:xmp="http://ns.adobe.com/xap/1.0/"
            xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
            xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:darktable="http://darktable.sf.net/"
            exif:DateTimeOriginal="2023:02:11 10:15:00"
            xmp:Rating="1"
            xmpMM:DerivedFrom="IMG_0042.CR2"
            darktable:import_timestamp="63811234567000000"
            darktable:xmp_version="5"
            darktable:history_end="2"
            darktable:iop_order_version="4">
           <dc:subject>
            <rdf:Bag>
             <rdf:li>darktable|format|cr2</rdf:li>
            </rdf:Bag>
           </dc:subject>
           <darktable:masks_history>
            <rdf:Seq/>
           </darktable:masks_history>
           <darktable:history>
            <rdf:Seq>
             <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1" darktable:modversion="6" darktable:params="00000000000080b9" darktable:multi_name="" darktable:multi_priority="0"/>
             <rdf:li darktable:num="1" darktable:operation="filmicrgb" darktable:enabled="1" darktable:modversion="22" darktable:params="gz11eJxjYGBgkGAAgRNODGiAEQYA" darktable:multi_name="" darktable:multi_priority="0"/>
            </rdf:Seq>
           </darktable:history>
          </rdf:Description>
         </rdf:RDF>
        </x:xmpmeta>
        """;

    public static TheoryData<string, string, string[]> Shapes => new()
    {
        { "digikam", DigiKam, ["People/Alice", "Places/Beach"] },
        { "lightroom", Lightroom, ["Places/Spain", "Sunset"] },
        { "darktable", Darktable, ["darktable|format|cr2"] },
    };

    private string Original(string name)
    {
        var file = Path.Combine(_folder, name + ".jpg");
        File.WriteAllBytes(file, [0xFF, 0xD8, 0xFF, 0xD9]);
        return file;
    }

    private static SidecarEdit Edit(string file, string[] add, string[] remove, string[] seed) => new(Guid.NewGuid(), file, add, remove, seed);

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_tools_tags_are_merged_and_everything_else_comes_back_with_the_same_values(string shape, string xmp, string[] tagsBefore)
    {
        var original = Original(shape);
        var sidecar = original + ".xmp";
        await File.WriteAllTextAsync(sidecar, xmp);
        var before = XmpTagDocument.Parse(File.ReadAllBytes(sidecar));
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal(tagsBefore);

        var result = await new XmpSidecarWriter().WriteAsync(Edit(original, ["autotag_clip/style/photo", "autotag_output_unknown"], [], tagsBefore), CancellationToken.None);

        result.Error.Should().BeNull();
        result.Changed.Should().BeTrue();
        result.SidecarFile.Should().Be(sidecar);
        var after = XmpTagDocument.Parse(File.ReadAllBytes(sidecar));
        after.OtherProperties().Should().Equal(before.OtherProperties(), "{0}: every property the tool does not own keeps its value, type and qualifiers", shape);
        after.OtherProperties().Should().NotBeEmpty();
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal([.. tagsBefore, "autotag_clip/style/photo", "autotag_output_unknown"]);
        after.DigiKamTags.Should().EndWith(["autotag_clip/style/photo", "autotag_output_unknown"]);
        after.LightroomTags.Should().Contain(["autotag_clip|style|photo", "autotag_output_unknown"]);
        after.Subjects.Should().Contain(["photo", "autotag_output_unknown"]).And.Contain(before.Subjects ?? []);
        Directory.EnumerateFiles(_folder).Should().BeEquivalentTo([original, sidecar], "the temporary file was renamed over the sidecar");
        File.ReadAllBytes(original).Should().Equal([0xFF, 0xD8, 0xFF, 0xD9]);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Removing_takes_out_only_the_tools_entries_and_gives_back_the_sidecar_as_it_was(string shape, string xmp, string[] tagsBefore)
    {
        var original = Original(shape);
        var sidecar = original + ".xmp";
        await File.WriteAllTextAsync(sidecar, xmp);
        var before = XmpTagDocument.Parse(File.ReadAllBytes(sidecar));
        var writer = new XmpSidecarWriter();
        await writer.WriteAsync(Edit(original, ["autotag_output_unknown", "autotag_clip/style/Beach"], [], tagsBefore), CancellationToken.None);

        var result = await writer.WriteAsync(Edit(original, [], ["autotag_output_unknown", "autotag_clip/style/Beach"], []), CancellationToken.None);

        result.Error.Should().BeNull();
        var after = XmpTagDocument.Parse(File.ReadAllBytes(sidecar));
        after.OtherProperties().Should().Equal(before.OtherProperties());
        after.DigiKamTags.Should().Equal(before.DigiKamTags ?? tagsBefore, "{0}: the user's own entries stay, in their order", shape);
        after.Subjects.Should().BeEquivalentTo(before.Subjects ?? [], "a leaf the user also has as a keyword (Beach) is removed only with the last path ending in it");
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal(tagsBefore);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_rewritten_sidecar_keeps_its_files_byte_order_mark_choice_and_a_new_one_has_none(bool userBom)
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        var fresh = Original("fresh");
        await new XmpSidecarWriter().WriteAsync(Edit(fresh, ["autotag_output_unknown"], [], []), CancellationToken.None);
        File.ReadAllBytes(fresh + ".xmp").Take(3).Should().NotEqual(bom, "a new sidecar starts with the packet, not a BOM");

        var original = Original("user");
        var sidecar = original + ".xmp";
        await File.WriteAllTextAsync(sidecar, DigiKam, new System.Text.UTF8Encoding(userBom));
        var before = File.ReadAllBytes(sidecar);
        before.Take(3).SequenceEqual(bom).Should().Be(userBom);

        var result = await new XmpSidecarWriter().WriteAsync(Edit(original, ["autotag_output_unknown"], [], []), CancellationToken.None);

        result.Changed.Should().BeTrue();
        File.ReadAllBytes(sidecar).Take(3).SequenceEqual(bom).Should().Be(userBom, "the file keeps the encoding preamble it had");
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Contain("autotag_output_unknown");
    }

    [Fact]
    public async Task A_new_sidecar_keeps_the_tags_immich_shows_and_a_removal_of_a_file_tag_writes_an_empty_list()
    {
        var original = Original("new");

        await new XmpSidecarWriter().WriteAsync(Edit(original, ["autotag_output_unknown"], [], ["People/Bob"]), CancellationToken.None);
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(original + ".xmp")).Should().Equal(["People/Bob", "autotag_output_unknown"]);

        var other = Original("tagged");
        await new XmpSidecarWriter().WriteAsync(Edit(other, [], ["autotag_output_unknown"], ["autotag_output_unknown"]), CancellationToken.None);
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(other + ".xmp")).Should().BeEmpty("an empty tag list replaces the file's own tags in Immich");
    }

    [Fact]
    public async Task An_undo_deletes_a_sidecar_its_run_created_once_only_the_seed_is_left_and_only_edits_one_that_holds_more()
    {
        var writer = new XmpSidecarWriter();
        var original = Original("created");
        var created = await writer.WriteAsync(Edit(original, ["autotag_output_unknown"], [], ["People/Bob"]), CancellationToken.None);
        created.Created.Should().BeTrue();
        var creation = new SidecarCreation(created.SidecarFile!, ["People/Bob"]);

        var undo = await writer.WriteAsync(Edit(original, [], ["autotag_output_unknown"], []) with { Created = creation }, CancellationToken.None);

        undo.Error.Should().BeNull();
        undo.Deleted.Should().BeTrue("the sidecar held nothing but the original's tags the tool copied into it");
        File.Exists(original + ".xmp").Should().BeFalse();
        File.Exists(original).Should().BeTrue("the original is never touched");

        // The same undo on a sidecar the user added a keyword to since: only the tool's entry goes.
        var kept = Original("kept");
        var again = await writer.WriteAsync(Edit(kept, ["autotag_output_unknown"], [], []), CancellationToken.None);
        await writer.WriteAsync(Edit(kept, ["Holiday"], [], []), CancellationToken.None);
        var edited = await writer.WriteAsync(Edit(kept, [], ["autotag_output_unknown"], []) with { Created = new SidecarCreation(again.SidecarFile!, []) }, CancellationToken.None);
        edited.Deleted.Should().BeFalse();
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(kept + ".xmp")).Should().Equal(["Holiday"]);

        // A sidecar with other properties (a rating another program put in) is only edited, even with no tag left.
        var rated = Original("rated");
        await File.WriteAllTextAsync(rated + ".xmp", DigiKam);
        await writer.WriteAsync(Edit(rated, [], ["People/Alice", "Places/Beach"], []) with { Created = new SidecarCreation(rated + ".xmp", []) }, CancellationToken.None);
        File.Exists(rated + ".xmp").Should().BeTrue("xmp:Rating and acdsee:categories are not the tool's");
    }

    [Fact]
    public async Task An_existing_name_xmp_is_used_and_an_edit_that_changes_nothing_writes_nothing()
    {
        var original = Original("IMG_1");
        var named = Path.Combine(_folder, "IMG_1.xmp");
        await File.WriteAllTextAsync(named, DigiKam);
        var writer = new XmpSidecarWriter();

        var first = await writer.WriteAsync(Edit(original, ["autotag_output_unknown"], [], []), CancellationToken.None);
        first.SidecarFile.Should().Be(named);
        File.Exists(original + ".xmp").Should().BeFalse();
        var written = File.GetLastWriteTimeUtc(named);
        var bytes = File.ReadAllBytes(named);

        var again = await writer.WriteAsync(Edit(original, ["autotag_output_unknown"], [], []), CancellationToken.None);
        again.Changed.Should().BeFalse();
        File.ReadAllBytes(named).Should().Equal(bytes);
        File.GetLastWriteTimeUtc(named).Should().Be(written);
    }

    [Fact]
    public async Task A_broken_sidecar_or_a_missing_original_is_reported_and_left_alone()
    {
        var original = Original("broken");
        await File.WriteAllTextAsync(original + ".xmp", "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF");
        var writer = new XmpSidecarWriter();

        var broken = await writer.WriteAsync(Edit(original, ["t"], [], []), CancellationToken.None);
        broken.Error.Should().Contain("not readable XMP").And.Contain(original + ".xmp");
        File.ReadAllText(original + ".xmp").Should().Be("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF");

        var missing = await writer.WriteAsync(Edit(Path.Combine(_folder, "gone.jpg"), ["t"], [], []), CancellationToken.None);
        missing.Error.Should().Contain("is not there").And.Contain("path_mappings");
        File.Exists(Path.Combine(_folder, "gone.jpg.xmp")).Should().BeFalse();
    }
}
