using ImmichAutoTag.Core.Application;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>Missing API key permissions are named in one round trip, each with every feature that needs it (W6).</summary>
public sealed class PermissionsCliTests : IAsyncLifetime
{
    private CliLibrary _library = null!;

    public async Task InitializeAsync() => _library = await CliLibrary.StartAsync();

    public async Task DisposeAsync() => await _library.DisposeAsync();

    private const string Config = CliLibrary.DateAlbumRules + """

        duplicate_processing:
          date_correction:
            enabled: true
        workflows:
          allow_favorite: true
          rules:
            - name: trips are favourites
              when: {file_name_patterns: ['^trip']}
              then: {favorite: true}
        """;

    [Fact]
    public async Task A_dry_run_that_lacks_a_read_permission_also_names_what_the_real_run_lacks()
    {
        // Lacks album.read (the dry run needs it) and asset.update (only the real run writes dates and favourites).
        var key = _library.Server.State.AddApiKey(_library.User, "user.read", "asset.read", "tag.read", "tag.create", "tag.asset", "duplicate.read");
        using var cli = _library.Cli(key: key);
        var config = cli.WriteConfig(Config);

        var dry = await cli.RunAsync("run", "--dry-run", "-c", config);

        dry.ExitCode.Should().Be((int)RunExitCode.PermissionDenied, dry.ToString());
        dry.Err.Should().Contain("'album.read' to list albums")
            .And.Contain("The real run (without --dry-run) also needs: 'asset.update' to repair asset dates (PUT /assets), as duplicate_processing.date_correction.enabled asks; and to set favourites or archive assets (PUT /assets), as workflow rule(s) 'trips are favourites' ask");
        _library.Server.Requests.WriteCount.Should().Be(0);
    }

    [Fact]
    public async Task A_permission_two_features_need_is_explained_by_both()
    {
        var key = _library.Server.State.AddApiKey(_library.User, "user.read", "asset.read", "album.read", "tag.read", "tag.create", "tag.asset", "duplicate.read");
        using var cli = _library.Cli(key: key);
        var config = cli.WriteConfig(Config);

        var run = await cli.RunAsync("run", "-c", config);

        run.ExitCode.Should().Be((int)RunExitCode.PermissionDenied, run.ToString());
        run.Err.Should().Contain("'asset.update' to repair asset dates (PUT /assets), as duplicate_processing.date_correction.enabled asks; and to set favourites or archive assets (PUT /assets), as workflow rule(s) 'trips are favourites' ask");
        _library.Server.Requests.WriteCount.Should().Be(0);
    }
}
