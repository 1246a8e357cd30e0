using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.IntegrationTests.Engine;

namespace ImmichAutoTag.IntegrationTests.Corrections;

/// <summary>
/// An album membership or tag the tool added and the user took away again is a learnt correction: later runs do not
/// add it again, and they judge the asset without it. A step that would have classified the asset through that
/// addition (duplicate album propagation, a conversion's album or tag, a workflow's album) leaves it unclassified, so
/// it gets <c>autotag_output_unknown</c> and loses the status tags that addition implied (the album date mismatch);
/// the run after that plans nothing. Each test runs the CLI on one state folder: real run, the user's correction in
/// Immich, the run that honours it, and a rerun.
/// </summary>
public sealed class CorrectedAdditionStatusRunTests() : FeatureRunTestBase("- album_name_patterns: ['^\\d{4}-\\d{2}-\\d{2}']", null)
{
    private const string DateMismatch = "autotag_output_album_date_mismatch";

    private const string EmptyPlan = "# Plan: 0 tag(s) to create, 0 addition(s), 0 removal(s), 0 album addition(s), 0 date repair(s)\n# Album changes: 0 album(s) to create, 0 album removal(s), 0 sharing change(s), 0 temporary album(s) to delete";

    [Fact]
    public async Task An_asset_taken_out_of_its_duplicates_album_is_unclassified_again()
    {
        var kept = Asset("A.jpg");
        var copy = Asset("B.jpg");
        var album = Server.State.AddAlbum(User, "2020-01-01 New Year", [kept]);
        Server.State.AddDuplicateGroup([kept, copy]);

        await using var runs = new StatefulRuns(this, Config());
        var first = await runs.RunAsync();
        first.Should().Contain($"album+ 2020-01-01 New Year | ").And.Contain($"{Link(copy)} | B.jpg | album of its duplicates");
        Server.State.AlbumAssetIds(album.Id).Should().Contain(copy);
        HasTag(copy, Unknown).Should().BeFalse("the album its duplicate is in classifies it");
        HasTag(copy, DateMismatch).Should().BeTrue("taken 2019-07-04, outside the album's day");

        Server.State.RemoveAlbumAssets(album.Id, copy);
        var second = await runs.RunAsync();

        second.Should().Contain($"+ {Unknown} | {Link(copy)}")
            .And.Contain($"- {DateMismatch} | {Link(copy)}")
            .And.NotContain($"album+ 2020-01-01 New Year");
        Server.State.AlbumAssetIds(album.Id).Should().NotContain(copy, "the user's correction stands");
        HasTag(copy, Unknown).Should().BeTrue("in no rule album and without a classification tag it is unclassified");
        HasTag(copy, DateMismatch).Should().BeFalse("it is in no dated album any more");
        HasTag(kept, Unknown).Should().BeFalse();

        (await runs.RunAsync(expectNoWrite: true)).Should().StartWith(EmptyPlan);
    }

    [Fact]
    public async Task An_asset_taken_out_of_a_conversions_album_is_unclassified_again()
    {
        var meme = Asset("meme.jpg");
        Tag("Meme", meme);
        await using var runs = new StatefulRuns(this, Config("""
            conversions:
              enabled: true
              conversions:
                - source: {tag_names: [Meme]}
                  destination: {album_names: ['2022-02-02 Converted']}
                  mode: copy
            """));

        await runs.RunAsync();
        var album = Server.State.Albums.Should().ContainSingle(a => a.Name == "2022-02-02 Converted").Subject;
        Server.State.AlbumAssetIds(album.Id).Should().Contain(meme);
        HasTag(meme, Unknown).Should().BeFalse();
        HasTag(meme, DateMismatch).Should().BeTrue();

        Server.State.RemoveAlbumAssets(album.Id, meme);
        var second = await runs.RunAsync();

        second.Should().Contain($"+ {Unknown} | {Link(meme)}")
            .And.Contain($"- {DateMismatch} | {Link(meme)}")
            .And.NotContain("album+ 2022-02-02 Converted")
            .And.NotContain("outside album '2022-02-02 Converted'");
        Server.State.AlbumAssetIds(album.Id).Should().NotContain(meme);
        HasTag(meme, Unknown).Should().BeTrue();
        HasTag(meme, DateMismatch).Should().BeFalse();

        (await runs.RunAsync(expectNoWrite: true)).Should().StartWith(EmptyPlan);
    }

    [Fact]
    public async Task An_asset_the_user_took_a_conversions_tag_off_is_unclassified_again()
    {
        var meme = Asset("meme.jpg");
        Tag("Meme", meme);
        await using var runs = new StatefulRuns(this, Config(
            """
            conversions:
              enabled: true
              conversions:
                - source: {tag_names: [Meme]}
                  destination: {tag_names: [convtag]}
                  mode: copy
            """,
            rules: "- album_name_patterns: ['^\\d{4}-\\d{2}-\\d{2}']\n- tag_names: [convtag]"));

        await runs.RunAsync();
        HasTag(meme, "convtag").Should().BeTrue();
        HasTag(meme, Unknown).Should().BeFalse("convtag classifies it");

        Server.State.UntagAsset(Server.State.FindTag("convtag")!.Id, meme);
        var second = await runs.RunAsync();

        second.Should().Contain($"+ {Unknown} | {Link(meme)}").And.NotContain($"+ convtag | {Link(meme)}");
        HasTag(meme, "convtag").Should().BeFalse("the user's correction stands");
        HasTag(meme, Unknown).Should().BeTrue();

        (await runs.RunAsync(expectNoWrite: true)).Should().StartWith(EmptyPlan);
    }

    [Fact]
    public async Task An_asset_taken_out_of_a_workflows_album_is_unclassified_again()
    {
        var shot = Asset("scr_0001.png");
        await using var runs = new StatefulRuns(this, Config("""
            workflows:
              rules:
                - name: screens
                  when: {file_name_patterns: ['^scr_']}
                  then: {add_to_albums: ['2024-05-02 Screens']}
            """));

        await runs.RunAsync();
        var album = Server.State.Albums.Should().ContainSingle(a => a.Name == "2024-05-02 Screens").Subject;
        Server.State.AlbumAssetIds(album.Id).Should().Contain(shot);
        HasTag(shot, Unknown).Should().BeFalse("the workflow's album classifies it in the same run");

        Server.State.RemoveAlbumAssets(album.Id, shot);
        var second = await runs.RunAsync();

        second.Should().Contain($"+ {Unknown} | {Link(shot)}").And.NotContain("album+ 2024-05-02 Screens");
        Server.State.AlbumAssetIds(album.Id).Should().NotContain(shot);
        HasTag(shot, Unknown).Should().BeTrue();

        (await runs.RunAsync(expectNoWrite: true)).Should().StartWith(EmptyPlan);
    }

    /// <summary>Real CLI runs of one config on one state folder (the correction memory lives in its state.db); each returns its plan.txt.</summary>
    private sealed class StatefulRuns(CorrectedAdditionStatusRunTests test, string yaml) : IAsyncDisposable
    {
        private readonly CliHarness _cli = new();
        private int _count;

        public async Task<string> RunAsync(bool expectNoWrite = false)
        {
            var config = _cli.WriteConfig(yaml);
            var output = $"run{++_count}";
            test.Server.Requests.Clear();
            var result = await _cli.RunAsync("run", "--config", config, "--state", Path.Combine(_cli.Root, "state"), "--output", output);
            result.ExitCode.Should().Be(0, result.ToString());
            if (expectNoWrite)
            {
                test.Server.Requests.WriteCount.Should().Be(0, "the run after the one that honoured the correction plans nothing");
            }

            return await File.ReadAllTextAsync(Path.Combine(Directory.GetDirectories(Path.Combine(_cli.Root, output)).Single(), "plan.txt"));
        }

        public ValueTask DisposeAsync()
        {
            _cli.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
