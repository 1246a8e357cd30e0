using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>One bad input and what the tool must answer: the exit code (README, "Exit codes") and the words that say what and where.</summary>
/// <param name="Category">config, command line, environment or server answer.</param>
/// <param name="Name">The case's name (the test's display argument).</param>
/// <param name="Exit">The documented exit code.</param>
/// <param name="Says">Fragments the output (stdout and stderr) must contain; {config}, {url} and {key} are filled in.</param>
internal sealed record BadInput(string Category, string Name, int Exit, params string[] Says)
{
    /// <summary>The config file's text ({url}, {key} filled in); null writes the corpus's valid config.</summary>
    public string? Yaml { get; init; }

    /// <summary>The command line ({config} and {url} filled in).</summary>
    public string[] Args { get; init; } = ["run", "--config", "{config}"];

    /// <summary>Environment variables ({url} and {key} filled in).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>The reverse proxy's own answer to a request (method, path), instead of the fake's; null: no proxy in between.</summary>
    public Func<string, string, RawAnswer?>? Proxy { get; init; }

    /// <summary>Rewrites the fake's JSON answers on the way through the proxy (path, body → body); null: unchanged.</summary>
    public Func<string, string, string>? Rewrite { get; init; }

    /// <summary>The tool must not send a single request (config and command line errors are found before any).</summary>
    public bool NothingSent { get; init; }

    /// <summary>Fragments the output must not contain (e.g. the API key).</summary>
    public string[] NeverSays { get; init; } = ["{key}"];

    public override string ToString() => $"{Category}: {Name}";
}

/// <summary>
/// The bad-input corpus (issue 18, item 4): configs, command lines, environment variables and server answers that are
/// wrong, each run through the real CLI against the fake Immich over HTTP (through a reverse proxy for the server
/// answers). Every case must give a message that says what and where (file:line:col and key; the variable; the URL or
/// the operation; the missing permission), exit with its documented code, and send no write request. Related cases
/// kept elsewhere: ConfigErrorTests (every config diagnostic's position), ImmichGatewayStubTests (status translation,
/// retries), UnreadableSearchItemTests (one bad asset skipped, exit 8), UndoCliTests (bad undo run ids).
/// </summary>
public sealed class BadInputCorpusTests : IAsyncLifetime
{
    private const string Config = "config";
    private const string CommandLine = "command line";
    private const string Environment = "environment";
    private const string Server = "server answer";

    private const string ValidYaml = """
        server:
          url: {url}
          api_key: {key}
        enable_album_name_strip: true
        classification:
          rules:
            - album_name_patterns: ['^\d{4}-\d{2}-\d{2} ']
            - tag_names: [meme]
        """;

    private static readonly string Html502 = """
        <html>
        <head><title>502 Bad Gateway</title></head>
        <body>
        <center><h1>502 Bad Gateway</h1></center>
        <hr><center>nginx/1.27.3</center>
        </body>
        </html>
        """;

    private static readonly string LoginPage = """
        <!DOCTYPE html><html><head><title>Sign in - Authelia</title></head><body><form method="post"><input name="username"></form></body></html>
        """;

    private FakeImmichServer _fake = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeImmichServer.StartAsync();
        var user = _fake.State.AddUser("Alice", "alice@example.com").Id;
        _key = _fake.State.AddApiKey(user, "all");
        _fake.State.AddAsset(user, "a.jpg", new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _fake.State.AddAlbum(user, "2020-01-01 New year");
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static RawAnswer? On(string method, string path, string requestMethod, string requestPath, RawAnswer answer) =>
        string.Equals(method, requestMethod, StringComparison.Ordinal) && requestPath.StartsWith(path, StringComparison.Ordinal) ? answer : null;

    private static BadInput Yaml(string name, string yaml, params string[] says) =>
        new(Config, name, 3, says) { Yaml = yaml, NothingSent = true };

    private static BadInput Answer(string name, string method, string path, RawAnswer answer, int exit, params string[] says) =>
        new(Server, name, exit, says) { Proxy = (m, p) => On(method, path, m, p, answer) };

    /// <summary>Every case, by category.</summary>
    internal static IReadOnlyList<BadInput> Corpus { get; } =
    [
        // ---- config files: syntax, types, keys, values, regexes (nothing is sent to the server) ----
        Yaml("YAML syntax: a mapping value where none may be", "server:\n  url: {url}\n  api_key: {key}\nclassification: rules: [a]\n", "{config}:4:", "error"),
        Yaml("YAML syntax: a tab in the indentation", "server:\n\turl: {url}\n", "{config}:2:1", "invalid tab as indentation. YAML indents with spaces only: replace the tab with spaces"),
        Yaml("YAML syntax: an unclosed quote", "server:\n  url: '{url}\n  api_key: {key}\n", "{config}:"),
        Yaml("YAML syntax: a list item where a mapping key is", ValidYaml + "\n- stray\n", "{config}:"),
        Yaml("wrong type: a bool written as a word", ValidYaml.Replace("enable_album_name_strip: true", "enable_album_name_strip: maybe", StringComparison.Ordinal), "{config}:4:26", "enable_album_name_strip", "expected bool"),
        Yaml("wrong type: rules is a mapping", ValidYaml.Replace("    - album_name_patterns: ['^\\d{4}-\\d{2}-\\d{2} ']\n    - tag_names: [meme]", "    tag_names: [meme]", StringComparison.Ordinal), "{config}:7:", "classification.rules", "expected list"),
        Yaml("wrong type: tag_names is a string", ValidYaml.Replace("tag_names: [meme]", "tag_names: meme", StringComparison.Ordinal), "{config}:8:", "classification.rules[1].tag_names", "expected list of strings"),
        Yaml("wrong type: a number written as a word", ValidYaml + "\nfull_pass_interval_hours: daily\n", "{config}:", "full_pass_interval_hours", "expected int"),
        Yaml("unknown key at the top, with a suggestion", ValidYaml + "\nclasification:\n  rules: []\n", "{config}:", "clasification", "unknown key", "did you mean 'classification'"),
        Yaml("unknown key in a rule", ValidYaml.Replace("tag_names: [meme]", "tag_name: [meme]", StringComparison.Ordinal), "{config}:8:", "classification.rules[1].tag_name", "unknown key"),
        Yaml("unknown key in the server block", ValidYaml.Replace("  api_key: {key}", "  api_key: {key}\n  apikey: x", StringComparison.Ordinal), "{config}:4:", "server.apikey", "unknown key"),
        Yaml("bad regex: an unclosed group", ValidYaml.Replace("'^\\d{4}-\\d{2}-\\d{2} '", "'^(2019'", StringComparison.Ordinal), "{config}:7:", "classification.rules[0].album_name_patterns[0]", "missing ), unterminated subpattern"),
        Yaml("bad regex: a .NET-only class Python rejects", ValidYaml.Replace("'^\\d{4}-\\d{2}-\\d{2} '", "'^\\p{L}'", StringComparison.Ordinal), "{config}:7:", "classification.rules[0].album_name_patterns[0]", "bad escape \\p"),
        Yaml("bad regex: a backslash in a double-quoted string", ValidYaml.Replace("'^\\d{4}-\\d{2}-\\d{2} '", "\"^\\d{4}\"", StringComparison.Ordinal), "{config}:7:", "single quotes"),
        Yaml("bad value: a negative interval", ValidYaml + "\nfull_pass_interval_hours: -1\n", "{config}:", "full_pass_interval_hours"),
        Yaml("bad value: the server URL is not a URL", ValidYaml.Replace("url: {url}", "url: photos example com", StringComparison.Ordinal), "{config}:2:", "server.url"),
        Yaml("bad value: the server URL has an FTP scheme", ValidYaml.Replace("url: {url}", "url: ftp://photos.example.com", StringComparison.Ordinal), "{config}:2:", "server.url"),
        Yaml("bad value: an unknown time zone", ValidYaml + "\nduplicate_processing:\n  date_correction:\n    enabled: true\n    extraction_timezone: Mars/Olympus_Mons\n", "{config}:", "duplicate_processing.date_correction.extraction_timezone", "Mars/Olympus_Mons"),
        Yaml("bad value: an unknown share access", ValidYaml + "\nalbum_permissions:\n  enabled: true\n  user_groups: [{name: g, members: [a@example.com]}]\n  selection_rules: [{name: r, keyword: trip, groups: [g], access: superuser}]\n", "{config}:", "album_permissions.selection_rules[0].access", "superuser"),
        Yaml("bad value: an unknown conversion mode", ValidYaml + "\nconversions:\n  conversions:\n    - source: {tag_names: [meme]}\n      destination: {tag_names: [funny]}\n      mode: teleport\n", "{config}:", "conversions.conversions[0].mode", "teleport"),
        Yaml("bad value: an invalid cron schedule", ValidYaml + "\nschedule: '61 * * * *'\n", "{config}:", "schedule"),
        Yaml("duplicate key", ValidYaml + "\nenable_album_name_strip: false\n", "{config}:", "enable_album_name_strip"),
        Yaml("an empty file", string.Empty, "{config}"),
        Yaml("bad value: a CLIP label set with one label", ValidYaml + "\nclip:\n  labels:\n    - name: only\n      prompts: [a photo]\n", "{config}:", "clip.labels", "one label"),
        new(Config, "the config file does not exist", 3, "missing.yaml") { Args = ["run", "--config", "{config}.d/missing.yaml"], NothingSent = true },
        new(Config, "the config path is a folder", 3, "{config}.d") { Args = ["run", "--config", "{config}.d"], NothingSent = true },

        // ---- command lines (exit 2, nothing sent) ----
        new(CommandLine, "an unknown option", 2, "--dryrun") { Args = ["run", "--dryrun", "--config", "{config}"], NothingSent = true },
        new(CommandLine, "an unknown command", 2, "runn") { Args = ["runn"], NothingSent = true },
        new(CommandLine, "an option without its value", 2, "--config") { Args = ["run", "--config"], NothingSent = true },
        new(CommandLine, "an unknown log level", 2, "'loud' not recognized. Must be one of") { Args = ["run", "--config", "{config}", "--log-level", "loud"], NothingSent = true },
        new(CommandLine, "an unknown log format", 2, "'xml' not recognized. Must be one of") { Args = ["run", "--config", "{config}", "--log-format", "xml"], NothingSent = true },
        new(CommandLine, "a bad --schedule", 2, "--schedule", "61 * * * *") { Args = ["daemon", "--config", "{config}", "--schedule", "61 * * * *"], NothingSent = true },
        new(CommandLine, "a --loop that is not a number", 2, "--loop", "soon") { Args = ["daemon", "--config", "{config}", "--loop", "soon"], NothingSent = true },
        new(CommandLine, "undo without a run id", 2, "Required argument missing for command: 'undo'") { Args = ["undo", "--config", "{config}"], NothingSent = true },
        new(CommandLine, "undo with an empty run id", 2, "undo needs a RUN_ID") { Args = ["undo", "", "--config", "{config}"], NothingSent = true },
        new(CommandLine, "undo of a run that does not exist", 2, "no run '20991231_000000_PID1'") { Args = ["undo", "20991231_000000_PID1", "--yes", "--config", "{config}"], NothingSent = true },

        // ---- environment variables ----
        new(Environment, "IMMICH_URL is not a URL", 3, "IMMICH_URL", "photos example com") { Args = ["run"], Env = new Dictionary<string, string> { ["IMMICH_URL"] = "photos example com", ["IMMICH_API_KEY"] = "{key}" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_CONFIG names a missing file", 3, "IMMICH_AUTOTAG_CONFIG", "nowhere.yaml") { Args = ["run"], Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_CONFIG"] = "{config}.d/nowhere.yaml" }, NothingSent = true },
        new(Environment, "CRON_SCHEDULE is invalid", 3, "CRON_SCHEDULE", "every day") { Args = ["daemon", "--config", "{config}"], Env = new Dictionary<string, string> { ["CRON_SCHEDULE"] = "every day" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_LOG_LEVEL is unknown", 3, "IMMICH_AUTOTAG_LOG_LEVEL", "loud") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_LOG_LEVEL"] = "loud" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_LOG_FORMAT is unknown", 3, "IMMICH_AUTOTAG_LOG_FORMAT", "xml") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_LOG_FORMAT"] = "xml" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_SETTLE_SECONDS is not a number", 3, "IMMICH_AUTOTAG_SETTLE_SECONDS", "soon") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_SETTLE_SECONDS"] = "soon" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_SETTLE_SECONDS is too large for a wait", 3, "IMMICH_AUTOTAG_SETTLE_SECONDS", "1e300") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_SETTLE_SECONDS"] = "1e300" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_OUTPUT is a file", 1, "cannot use the output folder", "{config}") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_OUTPUT"] = "{config}" }, NothingSent = true },
        new(Environment, "IMMICH_AUTOTAG_STATE is a file", 1, "{config}") { Env = new Dictionary<string, string> { ["IMMICH_AUTOTAG_STATE"] = "{config}" }, NothingSent = true },
        new(Environment, "IMMICH_API_KEY is wrong", 5, "check the API key") { Env = new Dictionary<string, string> { ["IMMICH_API_KEY"] = "not-a-key" }, NeverSays = ["not-a-key"] },

        // ---- server answers (through a reverse proxy) ----
        Answer("502 with nginx's HTML error page", "GET", "/api/server/ping", new RawAnswer(502, "text/html", Html502), 7, "{url}", "502 to pingServer", "an HTML page titled '502 Bad Gateway'", "reverse proxy"),
        Answer("a 302 to a login page (not followed)", "GET", "/api/users/me", new RawAnswer(302, "text/html", string.Empty, "/auth/login?rd=%2Fapi%2Fusers%2Fme"), 7, "{url}", "302 to getMyUser", "a redirect to /auth/login", "login page"),
        Answer("200 with an HTML page instead of JSON", "GET", "/api/tags", new RawAnswer(200, "text/html", LoginPage), 7, "200 to getAllTags", "{url}", "an HTML page"),
        Answer("truncated JSON", "GET", "/api/server/version", new RawAnswer(200, "application/json", "{\"major\":3,\"minor\":1,\"pa"), 7, "200 to getServerVersion", "{url}", "JSON that ends too early"),
        Answer("a wrong content type", "GET", "/api/albums", new RawAnswer(200, "text/plain", "OK"), 7, "200 to getAllAlbums", "{url}", "content of type text/plain"),
        Answer("an empty body with 200", "GET", "/api/users/me", new RawAnswer(200, "application/json", string.Empty), 7, "200 to getMyUser", "{url}", "an empty body"),
        Answer("JSON of the wrong shape (an array for an object)", "GET", "/api/users/me", new RawAnswer(200, "application/json", "[]"), 7, "getMyUser"),
        Answer("Immich 2.x version", "GET", "/api/server/version", new RawAnswer(200, "application/json", "{\"major\":2,\"minor\":5,\"patch\":6}"), 7, "2.5.6", "3.x"),
        Answer("Immich 2.x: no GET /api-keys/me", "GET", "/api/api-keys/me", new RawAnswer(404, "application/json", "{\"message\":\"Cannot GET /api/api-keys/me\",\"error\":\"Not Found\",\"statusCode\":404}"), 7, "getMyApiKey", "404"),
        new(Server, "an asset item of an older shape (isArchived, no visibility)", 8, "$.visibility", "skipped")
        {
            Rewrite = (path, body) => path.StartsWith("/api/search/metadata", StringComparison.Ordinal)
                ? body.Replace("\"visibility\":\"timeline\"", "\"isArchived\":false", StringComparison.Ordinal)
                : body,
        },
        Answer("a 500 with Immich's error body", "GET", "/api/tags", new RawAnswer(500, "application/json", "{\"message\":\"Internal server error\",\"statusCode\":500}"), 7, "getAllTags", "500"),
        Answer("a 403 naming a permission", "GET", "/api/albums", new RawAnswer(403, "application/json", "{\"message\":\"Missing required permission: album.read\",\"error\":\"Forbidden\",\"statusCode\":403}"), 6, "album.read"),
        Answer("not an Immich server: a plain 404 to the ping", "GET", "/api/server/ping", new RawAnswer(404, "text/plain", "No route for GET /api/server/ping"), 7, "{url}", "404 to pingServer", "Is this an Immich server?", "without /api"),
        new(Server, "an https URL on a plain http port", 4, "{https-url}", "the TLS (https) handshake failed", "write server.url with http://") { Yaml = ValidYaml.Replace("{url}", "{https-url}", StringComparison.Ordinal), NeverSays = ["{key}", "see inner exception"] },
        Answer("the URL points at the web app, not the API (404 HTML)", "GET", "/api/server/ping", new RawAnswer(404, "text/html", "<html><body>Not found</body></html>"), 7, "{url}", "404 to pingServer", "an HTML page", "without /api"),
    ];

    public static TheoryData<string> Names() => new(Corpus.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Bad_input_says_what_and_where_exits_with_its_code_and_writes_nothing(string name)
    {
        var input = Corpus.Single(c => c.ToString() == name);
        await using var proxy = input.Proxy is null && input.Rewrite is null ? null : await ProxyImmich.StartAsync(_fake.BaseUrl);
        if (proxy is not null)
        {
            proxy.Intercept = input.Proxy ?? ((_, _) => null);
            proxy.Rewrite = input.Rewrite ?? ((_, body) => body);
        }

        var url = (proxy?.BaseUrl ?? _fake.BaseUrl).ToString();
        using var cli = new CliHarness().WithStateFolder();
        var config = Path.Combine(cli.Root, "config.yaml");
        Directory.CreateDirectory(config + ".d");
        string Fill(string text) => text.Replace("{config}", config, StringComparison.Ordinal).Replace("{https-url}", "https" + url["http".Length..], StringComparison.Ordinal).Replace("{url}", url, StringComparison.Ordinal).Replace("{key}", _key, StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, Fill(input.Yaml ?? ValidYaml));
        foreach (var (variable, value) in input.Env)
        {
            cli.WithEnv(variable, Fill(value));
        }

        _fake.Requests.Clear();
        var result = await cli.RunAsync([.. input.Args.Select(Fill)]);

        var said = result.Out + result.Err;
        result.ExitCode.Should().Be(input.Exit, result.ToString());
        foreach (var part in input.Says.Select(Fill))
        {
            said.Should().Contain(part, result.ToString());
        }

        foreach (var part in input.NeverSays.Select(Fill))
        {
            said.Should().NotContain(part);
        }

        _fake.Requests.WriteCount.Should().Be(0, "bad input changes nothing on the server");
        if (input.NothingSent)
        {
            _fake.Requests.Total.Should().Be(0, "the problem is found before any request");
        }
    }

    [Fact]
    public void The_corpus_has_at_least_40_cases_in_every_category()
    {
        Corpus.Should().HaveCountGreaterThanOrEqualTo(40);
        Corpus.Select(c => c.Category).Distinct().Should().BeEquivalentTo([Config, CommandLine, Environment, Server]);
        Corpus.Select(c => c.ToString()).Should().OnlyHaveUniqueItems();
    }
}
