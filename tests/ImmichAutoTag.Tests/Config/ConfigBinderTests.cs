using ImmichAutoTag.Config;
using ImmichAutoTag.Config.Internal;
using ImmichAutoTag.Core.Configuration;
using YamlDotNet.RepresentationModel;

namespace ImmichAutoTag.Tests.Config;

/// <summary>
/// The loader reads and binds keys from their description alone: a key declared only in a descriptor (no reader or
/// mapping code names it) gets its type, range, choice, required and unknown-key checks at file:line:col, and lands
/// in its record property. The agreement check fails when the descriptor and the records drift apart.
/// </summary>
public sealed class ConfigBinderTests
{
    public enum Colour
    {
        Red,
        DarkGreen,
    }

    /// <summary>A record no production code knows: only the descriptor below names its properties.</summary>
    public sealed record Probe
    {
        public int Level { get; init; } = 3;

        public bool Verbose { get; init; }

        public Colour Colour { get; init; } = Colour.Red;

        public IReadOnlyList<string> Names { get; init; } = [];

        public string? Label { get; init; } = "probe";

        public ProbeItem? Item { get; init; }

        public IReadOnlyList<ProbeItem> Items { get; init; } = [];
    }

    public sealed record ProbeItem
    {
        public string Name { get; init; } = "";

        public int Weight { get; init; }
    }

    private static readonly BlockSpec ProbeItemBlock = new("probe_item", true, "An item.",
    [
        ConfigKeys.S("name", "Item name.") with { Required = true, Field = ConfigKeys.F<ProbeItem>(i => i.Name) },
        ConfigKeys.I("weight", "Item weight.", 0) with { Minimum = 0, Field = ConfigKeys.F<ProbeItem>(i => i.Weight) },
    ]);

    private static readonly BlockSpec ProbeBlock = new("probe", true, "A block only this test declares.",
    [
        ConfigKeys.I("level", "A level.", 3) with { Minimum = 1, Maximum = 5, Field = ConfigKeys.F<Probe>(p => p.Level) },
        ConfigKeys.B("verbose", "Talk more.", false) with { Field = ConfigKeys.F<Probe>(p => p.Verbose) },
        ConfigKeys.S("colour", "A colour.", "red") with { Choices = ["red", "dark_green"], ChoicesIgnoreCase = true, Field = ConfigKeys.F<Probe>(p => p.Colour) },
        ConfigKeys.L("names", "Some names.") with { Field = ConfigKeys.F<Probe>(p => p.Names) },
        ConfigKeys.S("label", "A label; null clears it.", "probe") with { Nullable = true, Field = ConfigKeys.F<Probe>(p => p.Label) },
        ConfigKeys.M("item", ProbeItemBlock, "One item.") with { Field = ConfigKeys.F<Probe>(p => p.Item) },
        ConfigKeys.ML("items", ProbeItemBlock, "More items.") with { Field = ConfigKeys.F<Probe>(p => p.Items) },
    ]);

    [Fact]
    public void A_descriptor_only_key_lands_in_its_record_property_and_absent_keys_keep_the_record_defaults()
    {
        var (probe, diag) = Load("""
            level: 4
            verbose: yes
            colour: Dark_Green
            names: [a, b]
            label: null
            items:
              - name: x
                weight: 2
            """);

        diag.Errors.Should().BeEmpty();
        probe.Should().BeEquivalentTo(new Probe
        {
            Level = 4,
            Verbose = true,
            Colour = Colour.DarkGreen,
            Names = ["a", "b"],
            Label = null,
            Items = [new ProbeItem { Name = "x", Weight = 2 }],
        });
        Load("{}").Probe.Should().BeEquivalentTo(new Probe());
    }

    [Fact]
    public void A_descriptor_only_key_reports_type_range_choice_required_and_unknown_key_errors_at_once_with_file_line_column()
    {
        var (_, diag) = Load("""
            level: 9
            verbose: maybe
            colour: dark_gren
            names: [a, {b: 1}]
            item: {weight: -1}
            items: [{name: y, colour: red}]
            extra: 1
            """);

        diag.Errors.Select(e => $"{e.File}:{e.Line}:{e.Column} {e.KeyPath}: {e.Message}").Should().BeEquivalentTo(
        [
            "probe.yaml:1:8 level: level 9 is out of range 1-5",
            "probe.yaml:2:10 verbose: wrong type: expected bool (true/false), got 'maybe'",
            "probe.yaml:3:9 colour: unknown colour 'dark_gren': expected red or dark_green (did you mean 'dark_green'?)",
            "probe.yaml:4:12 names[1]: wrong type: expected string, got map",
            "probe.yaml:5:7 item.name: missing required key 'name'",
            "probe.yaml:5:16 item.weight: weight must not be negative",
            "probe.yaml:6:19 items[0].colour: unknown key 'colour'",
            "probe.yaml:7:1 extra: unknown key 'extra'",
        ]);
    }

    [Fact]
    public void The_real_descriptor_and_the_config_records_agree()
    {
        ConfigKeys.Agreement(ConfigKeys.Root, ConfigKeys.RootRecord, ConfigKeys.NotFromKeys).Should().BeEmpty();
    }

    [Fact]
    public void The_agreement_check_fails_for_a_descriptor_key_without_a_record_property()
    {
        // As if a key were added to the descriptor but not to the record.
        var root = ConfigKeys.Root with { Keys = [.. ConfigKeys.Root.Keys, ConfigKeys.B("skip_favorites", "New switch.", false)] };

        ConfigKeys.Agreement(root, ConfigKeys.RootRecord, ConfigKeys.NotFromKeys)
            .Should().Equal("skip_favorites has no record property (Field) and no reason (NotStored)");
    }

    [Fact]
    public void The_agreement_check_fails_for_a_record_property_without_a_descriptor_key()
    {
        // As if a property were added to the record but not to the descriptor: drop schedule from the descriptor.
        var root = ConfigKeys.Root with { Keys = [.. ConfigKeys.Root.Keys.Where(k => k.Name != "schedule")] };
        ConfigKeys.Agreement(root, ConfigKeys.RootRecord, ConfigKeys.NotFromKeys)
            .Should().Equal("AutoTagConfig.Schedule has no key in the config descriptor");

        // The same for a record nested in a list (ProbeItem), and for a property bound to the wrong record.
        var withoutWeight = ProbeItemBlock with { Keys = [ProbeItemBlock.Keys[0]] };
        var probe = ProbeBlock with
        {
            Keys = [.. ProbeBlock.Keys.Select(k => k.Child == ProbeItemBlock ? k with { Child = withoutWeight } : k)],
        };
        ConfigKeys.Agreement(probe, typeof(Probe), []).Should().Equal("ProbeItem.Weight has no key in the config descriptor");

        var misbound = ProbeBlock with { Keys = [.. ProbeBlock.Keys, ConfigKeys.B("enabled", "Wrong record.", true) with { Field = ConfigKeys.F<SkipConfig>(s => s.ResumePrevious) }] };
        ConfigKeys.Agreement(misbound, typeof(Probe), []).Should().Equal("enabled names SkipConfig.ResumePrevious, but its block binds to Probe");
    }

    private static (Probe? Probe, Diagnostics Diag) Load(string yaml)
    {
        var diag = new Diagnostics("probe.yaml");
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var map = (YamlMappingNode)stream.Documents[0].RootNode;
        var raw = RawBlock.Read(new MapReader(map, ProbeBlock, MapReader.At(map, new Loc(1, 1, "")), diag));
        var probe = (Probe)new ConfigBinder(diag, new Dictionary<BlockSpec, BlockCheck>(), new HashSet<BlockSpec>()).Bind(raw, typeof(Probe));
        diag.Sort();
        return (diag.Errors.Count == 0 ? probe : null, diag);
    }
}
