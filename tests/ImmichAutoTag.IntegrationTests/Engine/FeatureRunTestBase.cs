using System.Text.Json;
using ImmichAutoTag.IntegrationTests.Cli;
using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Engine;

/// <summary>
/// The harness the feature-run suites share: a fake server with one user (Alice) and an all-permission key,
/// library helpers, a config builder and the run sequence every feature is checked with through the whole CLI —
/// a dry run that must send no write, a real run, and an immediate second run that must send no write either.
/// </summary>
/// <param name="defaultRules">
/// The suite's default <c>classification.rules</c> items, one YAML list item a line at column 0.
/// </param>
/// <param name="checkSecondPlan">
/// What the suite asserts about the second run's plan.txt to call it empty; suites read different lines of it,
/// so each passes its own check (null: the second plan is not read).
/// </param>
public abstract class FeatureRunTestBase(string defaultRules, Action<string>? checkSecondPlan) : IAsyncLifetime
{
    protected const string Unknown = "autotag_output_unknown";
    protected static readonly DateTimeOffset T0 = new(2019, 7, 4, 10, 0, 0, TimeSpan.Zero);

    protected FakeImmichServer Server { get; private set; } = null!;

    protected Guid User { get; private set; }

    /// <summary>The key the config carries; a test may swap in a narrower one before building its config.</summary>
    protected string Key { get; set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await FakeImmichServer.StartAsync();
        User = Server.State.AddUser("Alice", "alice@example.com").Id;
        Key = Server.State.AddApiKey(User, "all");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Replaces the fake with one started with <paramref name="options"/>, with the same user name and a new all-permission key.</summary>
    protected async Task RestartServerAsync(FakeImmichOptions options)
    {
        await Server.DisposeAsync();
        Server = await FakeImmichServer.StartAsync(options);
        User = Server.State.AddUser("Alice", "alice@example.com").Id;
        Key = Server.State.AddApiKey(User, "all");
    }

    /// <summary>The suite's config with <paramref name="extra"/> top-level keys; <paramref name="rules"/> replaces the default rules.</summary>
    protected string Config(string extra = "", string? rules = null) => $"""
        server:
          url: {Server.BaseUrl}
          api_key: {Key}
        enable_album_name_strip: true
        classification:
          rules:
            {Indent(rules ?? DefaultRules)}
        {extra}
        """;

    private string DefaultRules { get; } = defaultRules;

    // Interpolation inserts the text as is: every line after the first needs the indentation of the rules list.
    private static string Indent(string rules) => rules.ReplaceLineEndings("\n    ");

    protected Guid Asset(string name, DateTimeOffset? at = null, string? path = null) => Server.State.AddAsset(User, name, at ?? T0, path).Id;

    protected void Tag(string path, params Guid[] assets)
    {
        var tag = Server.State.UpsertTag(path);
        foreach (var a in assets)
        {
            Server.State.TagAsset(tag.Id, a);
        }
    }

    protected bool HasTag(Guid asset, string path) =>
        Server.State.FindTag(path) is { } tag && Server.State.DirectTagIdsOf(asset).Contains(tag.Id);

    protected string Link(Guid asset) => $"{Server.BaseUrl.AbsoluteUri.TrimEnd('/')}/photos/{asset}";

    /// <summary>What a test reads after the runs.</summary>
    /// <param name="Plan">plan.txt of the dry run, or of the real run when there was no dry run.</param>
    /// <param name="First">The real run's CLI result.</param>
    /// <param name="FirstFiles">The real run's folder, file name → text, read before the harness folder goes away.</param>
    /// <param name="SecondPlan">plan.txt of the second run.</param>
    /// <param name="FirstRequests">Every request the real run sent.</param>
    private protected sealed record Runs(
        string Plan,
        CliResult First,
        IReadOnlyDictionary<string, string> FirstFiles,
        string SecondPlan,
        IReadOnlyList<RecordedRequest> FirstRequests)
    {
        public string File(string name) => FirstFiles[name];

        public string Report => File("modification_report.txt");

        public string Statistics => File("run_statistics.yaml");

        public List<JsonElement> Changes => File("changes.jsonl")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToList();

        public int FirstRunCalls(string operation) => FirstRequests.Count(r => r.OperationId == operation);
    }

    /// <summary>Dry run, real run, second run; asserts the dry and the second run send no write.</summary>
    /// <param name="afterDryRun">Runs between the dry run and the real one, e.g. to check the dry run changed nothing.</param>
    private protected Task<Runs> RunThriceAsync(string yaml, Action? afterDryRun = null) => RunAsync(yaml, dryRun: true, afterDryRun);

    /// <summary>Real run, then the second run (asserted to send no write); no dry run.</summary>
    private protected Task<Runs> RunTwiceAsync(string yaml) => RunAsync(yaml, dryRun: false, afterDryRun: null);

    private async Task<Runs> RunAsync(string yaml, bool dryRun, Action? afterDryRun)
    {
        using var cli = new CliHarness();
        var config = cli.WriteConfig(yaml);

        string? dryPlan = null;
        if (dryRun)
        {
            Server.Requests.Clear();
            var albumsBefore = Server.State.Albums.Count;
            var dry = await cli.RunAsync("run", "--dry-run", "--config", config, "--output", "dry");
            dry.ExitCode.Should().Be(0, dry.ToString());
            Server.Requests.WriteCount.Should().Be(0, "a dry run sends no write");
            Server.State.Albums.Count.Should().Be(albumsBefore);
            dryPlan = await System.IO.File.ReadAllTextAsync(Path.Combine(RunFolder(cli, "dry"), "plan.txt"));
            afterDryRun?.Invoke();
        }

        Server.Requests.Clear();
        var first = await cli.RunAsync("run", "--config", config, "--output", "first");
        first.ExitCode.Should().Be(0, first.ToString());
        var firstRequests = Server.Requests.All.ToList();
        var firstFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(RunFolder(cli, "first")))
        {
            firstFiles[Path.GetFileName(file)] = await System.IO.File.ReadAllTextAsync(file);
        }

        Server.Requests.Clear();
        var second = await cli.RunAsync("run", "--config", config, "--output", "second");
        second.ExitCode.Should().Be(0, second.ToString());
        Server.Requests.WriteCount.Should().Be(0, "a second run right after the first plans nothing; the first sent " + string.Join(", ", firstRequests.Where(r => r.IsWrite).Select(r => r.OperationId)));
        var secondPlan = await System.IO.File.ReadAllTextAsync(Path.Combine(RunFolder(cli, "second"), "plan.txt"));
        checkSecondPlan?.Invoke(secondPlan);

        return new Runs(dryPlan ?? firstFiles["plan.txt"], first, firstFiles, secondPlan, firstRequests);
    }

    private static string RunFolder(CliHarness cli, string output) => Directory.GetDirectories(Path.Combine(cli.Root, output)).Single();
}
