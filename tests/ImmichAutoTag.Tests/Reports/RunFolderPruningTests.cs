using ImmichAutoTag.Infrastructure;
using ImmichAutoTag.Infrastructure.Reports;

namespace ImmichAutoTag.Tests.Reports;

/// <summary><c>keep_runs</c>: the oldest run folders the tool created go, the newest stay, anything else is never touched.</summary>
public sealed class RunFolderPruningTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("run-pruning-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Run(string id, string file = RunFolder.LogFile)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, id)).FullName;
        File.WriteAllText(Path.Combine(folder, file), "x");
        return folder;
    }

    [Fact]
    public void The_oldest_tool_run_folders_beyond_keep_runs_are_deleted_and_nothing_else()
    {
        var oldest = Run("20261129_235959_PID10");
        var older = Run("20261130_100000_PID9", RunFolder.ConfigDumpFile);
        var sameSecondLater = Run("20261130_100000_PID10");
        var suffixed = Run("20261130_100000_PID10_2");
        var newest = Run("20261130_120000_PID7");
        var usersLookalike = Directory.CreateDirectory(Path.Combine(_root, "20200101_000000_PID1")).FullName; // no file of the tool
        File.WriteAllText(Path.Combine(usersLookalike, "notes.txt"), "mine");
        var usersFolder = Run("holiday photos");
        File.WriteAllText(Path.Combine(_root, "20190101_000000_PID1"), "a file, not a folder");
        var current = RunFolder.Create(_root, new DateTimeOffset(2026, 11, 30, 13, 0, 0, TimeSpan.Zero), 42);

        var pruned = new RunFolders(new RunLocations(_root, _root)).Prune(current, keep: 3);

        pruned.Deleted.Should().Equal(oldest, older, sameSecondLater);
        pruned.Failed.Should().BeEmpty();
        Directory.Exists(suffixed).Should().BeTrue();
        Directory.Exists(newest).Should().BeTrue();
        Directory.Exists(current.Path).Should().BeTrue("the run's own folder counts and stays");
        Directory.Exists(usersLookalike).Should().BeTrue("a folder without the tool's log or config dump is not the tool's");
        Directory.Exists(usersFolder).Should().BeTrue();
        File.Exists(Path.Combine(_root, "20190101_000000_PID1")).Should().BeTrue();
    }

    [Fact]
    public void Keep_runs_0_keeps_every_folder()
    {
        var old = Run("20261129_235959_PID10");
        var current = RunFolder.Create(_root, new DateTimeOffset(2026, 11, 30, 13, 0, 0, TimeSpan.Zero), 42);

        new RunFolders(new RunLocations(_root, _root)).Prune(current, keep: 0).Deleted.Should().BeEmpty();
        new RunFolders(new RunLocations(_root, _root)).Prune(current, keep: 2).Deleted.Should().BeEmpty();
        Directory.Exists(old).Should().BeTrue();

        new RunFolders(new RunLocations(_root, _root)).Prune(current, keep: 1).Deleted.Should().Equal(old);
    }
}
