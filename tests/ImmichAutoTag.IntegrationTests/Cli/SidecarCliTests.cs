using ImmichAutoTag.Infrastructure.Reports;
using ImmichAutoTag.TestKit;
using Xunit.Abstractions;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// `run` with <c>sidecars:</c> on a read-only external library the tool reaches through a path mapping (a temporary
/// folder as the mount): the first run finds the changes reverted (exit 8), the second confirms they do not stick
/// and writes them into the assets' XMP sidecars; Immich re-reads those assets and the tags arrive (exit 0).
/// </summary>
public sealed class SidecarCliTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Unknown = "autotag_output_unknown";
    private static readonly DateTimeOffset T0 = new(2019, 7, 10, 12, 0, 0, TimeSpan.Zero);
    private FakeImmichServer _server = null!;
    private Guid _user;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeImmichServer.StartAsync();
        _user = _server.State.AddUser("Alice", "alice@example.com").Id;
        _key = _server.State.AddApiKey(_user, "all");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Read(CliHarness cli, string file) =>
        File.ReadAllText(Path.Combine(Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last(), file));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_undo_deletes_the_sidecar_the_run_created_once_it_holds_nothing_else(bool fileHasTags)
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var (config, photo, file) = ReadOnlyLibrary(cli);
        var bob = _server.State.UpsertTag("People/Bob");
        if (fileHasTags)
        {
            // The original carries a keyword of its own: the new sidecar copies it, lest it hide it.
            _server.State.ReplaceFile(photo.Id, bob.Id);
        }

        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(8);
        var second = await cli.RunAsync("run", "-c", config);
        second.ExitCode.Should().Be(0, second.ToString());
        var sidecar = file + ".xmp";
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal(fileHasTags ? ["People/Bob", Unknown] : [Unknown]);
        var runId = Path.GetFileName(Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last());
        Read(cli, RunFolder.ChangesFile).Should().Contain("\"sidecar_created_with\":" + (fileHasTags ? "[\"People/Bob\"]" : "[]"));

        var preview = await cli.RunAsync("undo", runId, "-c", config);
        output.WriteLine("$ immich-autotag undo RUN\n" + preview.Out);
        preview.ExitCode.Should().Be(0, preview.ToString());
        preview.Out.Split('\n').Count(l => l.StartsWith("would revert: remove tag", StringComparison.Ordinal)).Should().Be(1, "the API try Immich reverted and the sidecar change are one target");

        var undo = await cli.RunAsync("undo", runId, "-c", config, "--yes");
        output.WriteLine("$ immich-autotag undo RUN --yes\n" + undo.Out);
        undo.ExitCode.Should().Be(0, undo.ToString());
        _server.State.DirectTagIdsOf(photo.Id).Should().NotContain(_server.State.FindTag(Unknown)!.Id, "the undo reached Immich");
        File.Exists(sidecar).Should().BeFalse("the run created the sidecar and it held nothing else: an emptied one would hide the original's keywords");
        _server.State.DirectTagIdsOf(photo.Id).Should().BeEquivalentTo(fileHasTags ? [bob.Id] : Array.Empty<Guid>(), "Immich reads the original alone again");
        undo.Out.Should().Contain("through the XMP sidecar").And.Contain("1 sidecar(s) the undone run had created deleted");

        // Converged: the next run of a config without sidecars plans nothing for the undone sidecar (no entry is left recorded).
        File.WriteAllText(config, File.ReadAllText(config).Replace("enabled: true", "enabled: false", StringComparison.Ordinal));
        var dry = await cli.RunAsync("run", "-c", config, "--dry-run");
        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().NotContain("would write");
    }

    [Fact]
    public async Task An_undo_through_the_sidecar_leaves_the_users_own_entries()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var (config, photo, file) = ReadOnlyLibrary(cli);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(8);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(0);
        var runId = Path.GetFileName(Directory.GetDirectories(Path.Combine(cli.Root, "logs")).Order(StringComparer.Ordinal).Last());

        // The user adds a keyword of their own to the sidecar (digiKam), and Immich reads it.
        var sidecar = file + ".xmp";
        var text = File.ReadAllText(sidecar);
        File.WriteAllText(sidecar, text.Replace($"<rdf:li>{Unknown}</rdf:li>", $"<rdf:li>{Unknown}</rdf:li><rdf:li>Holiday</rdf:li>", StringComparison.Ordinal));
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().BeEquivalentTo([Unknown, "Holiday"]);

        var undo = await cli.RunAsync("undo", runId, "-c", config, "--yes");
        output.WriteLine("$ immich-autotag undo RUN --yes\n" + undo.Out);
        undo.ExitCode.Should().Be(0, undo.ToString());
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal(["Holiday"]);
        File.ReadAllBytes(sidecar).Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF }, "the user's sidecar had no byte order mark, and the rewrite adds none");
        _server.State.DirectTagIdsOf(photo.Id).Should().NotContain(_server.State.FindTag(Unknown)!.Id);
    }

    [Fact]
    public async Task Switching_sidecars_off_a_dry_run_lists_the_tools_entries_and_the_run_takes_them_out()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var (config, photo, file) = ReadOnlyLibrary(cli);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(8);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(0);
        var sidecar = file + ".xmp";
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().Equal([Unknown]);
        File.WriteAllText(config, File.ReadAllText(config).Replace("enabled: true", "enabled: false", StringComparison.Ordinal));
        var written = File.ReadAllBytes(sidecar);
        var writes = _server.Requests.WriteCount;

        var dry = await cli.RunAsync("run", "-c", config, "--dry-run");
        output.WriteLine("$ immich-autotag run --dry-run   # sidecars: enabled: false\n" + dry.Out);
        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain($"would write {sidecar}: -{Unknown}");
        File.ReadAllBytes(sidecar).Should().Equal(written, "a dry run writes no file");
        _server.Requests.WriteCount.Should().Be(writes, "a dry run sends no write");

        var off = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # sidecars: enabled: false\n" + off.Out);
        off.ExitCode.Should().Be(0, off.ToString());
        (off.Out + off.Err).Should().Contain("no longer wanted (sidecars is off: 1)");
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().BeEmpty("the tool's entry is out of the sidecar");
        _server.State.DirectTagIdsOf(photo.Id).Should().NotContain(_server.State.FindTag(Unknown)!.Id, "Immich re-read the sidecar");

        var next = await cli.RunAsync("run", "-c", config);
        next.ExitCode.Should().Be(0, next.ToString());
        next.Out.Should().Contain("Changes: 0 tag link(s) added, 0 removed").And.NotContain("XMP sidecars:");
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(sidecar)).Should().BeEmpty();
    }

    [Fact]
    public async Task With_sidecars_switched_off_a_key_without_job_create_is_refused_before_any_change_while_entries_wait_in_sidecars()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var (config, _, file) = ReadOnlyLibrary(cli);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(8);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(0);
        var sidecar = file + ".xmp";
        var written = File.ReadAllBytes(sidecar);
        File.WriteAllText(config, File.ReadAllText(config).Replace("enabled: true", "enabled: false", StringComparison.Ordinal));
        var withoutJobs = _server.State.AddApiKey(_user, [.. _server.ServedOperations.Select(o => o.Permission).OfType<string>().Distinct(StringComparer.Ordinal).Where(p => p != "job.create")]);
        cli.WithEnv("IMMICH_API_KEY", withoutJobs);
        var writes = _server.Requests.WriteCount;

        var dry = await cli.RunAsync("run", "-c", config, "--dry-run");
        var refused = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # sidecars: enabled: false, a key without job.create\n" + refused);

        dry.ExitCode.Should().Be(0, dry.ToString());
        (dry.Out + dry.Err).Should().Contain("the real run needs more").And.Contain("'job.create' to ask Immich to re-read the XMP sidecars the tool takes its entries out of");
        refused.ExitCode.Should().Be((int)ImmichAutoTag.Core.Application.RunExitCode.PermissionDenied, refused.ToString());
        (refused.Out + refused.Err).Should().Contain("'job.create'").And.Contain("sidecars.enabled is false");
        _server.Requests.WriteCount.Should().Be(writes, "refused before any change");
        File.ReadAllBytes(sidecar).Should().Equal(written, "the sidecar is left as it was");

        // A key without job.create is fine once no entry of the tool waits in a sidecar (nothing to clean up).
        cli.WithEnv("IMMICH_API_KEY", _key);
        (await cli.RunAsync("run", "-c", config)).ExitCode.Should().Be(0);
        cli.WithEnv("IMMICH_API_KEY", withoutJobs);
        var later = await cli.RunAsync("run", "-c", config);
        later.ExitCode.Should().Be(0, later.ToString());
    }

    /// <summary>One asset of a read-only external library the tool mounts under the harness root, and a config that routes it through sidecars.</summary>
    private (string Config, FakeAsset Photo, string File) ReadOnlyLibrary(CliHarness cli)
    {
        var mount = Path.Combine(cli.Root, "nas");
        var state = _server.State;
        var nas = state.AddExternalLibrary(_user, "NAS", "/mnt/nas", readOnly: true);
        state.MountLibrary(nas.Id, mount);
        var photo = state.AddLibraryAsset(nas.Id, "NAS_0.jpg", T0);
        var file = state.LocalFileOf(photo.Id)!;
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, [0xFF, 0xD8, 0xFF, 0xD9]);
        var config = cli.WriteConfig($"""
            server:
              url: {_server.BaseUrl}
            enable_album_name_strip: true
            classification:
              rules:
                - album_name_patterns: ['^\d{"{4}"}']
            sidecars:
              enabled: true
              path_mappings:
                - immich_path: /mnt/nas
                  local_path: {mount}
            """);
        return (config, photo, file);
    }

    [Fact]
    public async Task A_read_only_library_asset_goes_from_does_not_stick_to_tagged_through_its_sidecar()
    {
        using var cli = new CliHarness().WithEnv("IMMICH_API_KEY", _key).WithEnv("IMMICH_AUTOTAG_STATE", null).WithEnv("XDG_STATE_HOME", null).WithStateFolder();
        var (config, photo, file) = ReadOnlyLibrary(cli);
        var state = _server.State;

        var first = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # first\n" + first.Out);
        first.ExitCode.Should().Be(8, first.ToString());
        File.Exists(file + ".xmp").Should().BeFalse("one run is not enough to call a change 'does not stick'");

        var second = await cli.RunAsync("run", "-c", config);
        output.WriteLine("$ immich-autotag run   # second\n" + second.Out);
        second.ExitCode.Should().Be(0, second.ToString());
        second.Out.Should().Contain("XMP sidecars: 1 of 1 asset(s) written, 1 show the tags after Immich re-read them");
        second.Out.Should().NotContain("Does not stick:");
        state.DirectTagIdsOf(photo.Id).Should().Contain(state.FindTag(Unknown)!.Id);
        FakeImmichState.ReadSidecarTags(File.ReadAllBytes(file + ".xmp")).Should().Equal([Unknown]);
        File.ReadAllBytes(file + ".xmp").Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF }, "a new sidecar is written without a byte order mark");
        var links = Read(cli, RunFolder.LinksFile);
        output.WriteLine(links[links.IndexOf("## Written to XMP sidecars", StringComparison.Ordinal)..]);
        links.Should().Contain($"- [NAS_0.jpg]({_server.BaseUrl.AbsoluteUri.TrimEnd('/')}/photos/{photo.Id}): +{Unknown} (arrived; {file}.xmp)");
        Read(cli, RunFolder.StatisticsFile).Should().Contain("sidecars:\n  assets_written: 1\n  assets_planned: 1\n  changes_arrived: 1\n");
        Read(cli, RunFolder.ChangesFile).Should().Contain("through the XMP sidecar");

        _server.Requests.Clear();
        var third = await cli.RunAsync("run", "-c", config);
        third.ExitCode.Should().Be(0, third.ToString());
        _server.Requests.WriteCount.Should().Be(0, "converged: the tag is in Immich and the sidecar");
    }
}
