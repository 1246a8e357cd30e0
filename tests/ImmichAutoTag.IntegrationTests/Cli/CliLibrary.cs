using ImmichAutoTag.TestKit;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>
/// The small library several CLI tests run the built tool against: a fake Immich with the user Alice, an API key
/// with every permission, <c>trip.jpg</c> in the date-named album "2019-07 Trip" and the unclassified <c>loose.jpg</c>.
/// </summary>
internal sealed class CliLibrary : IAsyncDisposable
{
    /// <summary>Classification by date-named albums: the trip is classified, the loose asset is not.</summary>
    public const string DateAlbumRules = """
        classification:
          rules:
            - album_name_patterns: ['^\d{4}']
        """;

    private CliLibrary(FakeImmichServer server, Guid user, string key)
    {
        Server = server;
        User = user;
        Key = key;
    }

    public FakeImmichServer Server { get; }

    /// <summary>Alice's user id.</summary>
    public Guid User { get; }

    /// <summary>Alice's API key (permission <c>all</c>).</summary>
    public string Key { get; }

    public static async Task<CliLibrary> StartAsync(FakeImmichOptions? options = null)
    {
        var server = await FakeImmichServer.StartAsync(options ?? new FakeImmichOptions());
        var user = server.State.AddUser("Alice", "alice@example.com").Id;
        var key = server.State.AddApiKey(user, "all");
        var trip = server.State.AddAsset(user, "trip.jpg", new DateTimeOffset(2019, 7, 10, 12, 0, 0, TimeSpan.Zero));
        server.State.AddAsset(user, "loose.jpg", new DateTimeOffset(2019, 7, 11, 12, 0, 0, TimeSpan.Zero));
        server.State.AddAlbum(user, "2019-07 Trip", [trip.Id]);
        return new CliLibrary(server, user, key);
    }

    /// <summary>A harness with Alice's key (or <paramref name="key"/>) in <c>IMMICH_API_KEY</c> and, when <paramref name="url"/>, the server in <c>IMMICH_URL</c>.</summary>
    public CliHarness Cli(bool url = true, string? key = null)
    {
        var cli = new CliHarness().WithEnv("IMMICH_API_KEY", key ?? Key);
        return url ? cli.WithEnv("IMMICH_URL", Server.BaseUrl.ToString()) : cli;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
