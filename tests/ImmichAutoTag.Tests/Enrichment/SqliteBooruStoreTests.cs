using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure;

namespace ImmichAutoTag.Tests.Enrichment;

public sealed class SqliteBooruStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("booru-store-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Lookups_round_trip_with_posts_candidates_and_md5s_and_many_keys()
    {
        await using var store = SqliteBooruStore.InFolder(_folder);
        var post = MemoryBooruServices.Post(7000001, "0123456789abcdef0123456789abcdef", "rider_(fate/zero)", BooruRating.Explicit);
        var match = new ReverseSearchMatch(BooruSource.SauceNao, 94.61, 7000001, 9000001, [new Uri("https://danbooru.donmai.us/posts/7000001")]);
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.DanbooruMd5, post.Md5!, BooruLookupOutcome.Found, T0) { Post = post }, null, CancellationToken.None);
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.SauceNao, "sum1", BooruLookupOutcome.Found, T0) { Matches = [match] }, null, CancellationToken.None);
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.OriginalMd5, "sum1", BooruLookupOutcome.Found, T0) { Md5 = post.Md5 }, null, CancellationToken.None);
        for (var i = 0; i < 900; i++)
        {
            await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.Iqdb, $"k{i}", BooruLookupOutcome.NotFound, T0.AddSeconds(i)), null, CancellationToken.None);
        }

        // Replacing keeps one row per look-up.
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.Iqdb, "k7", BooruLookupOutcome.Refused, T0.AddDays(1)), null, CancellationToken.None);

        var keys = new List<(BooruLookupKind, string)> { (BooruLookupKind.DanbooruMd5, post.Md5!), (BooruLookupKind.SauceNao, "sum1"), (BooruLookupKind.OriginalMd5, "sum1"), (BooruLookupKind.SauceNao, "absent") };
        keys.AddRange(Enumerable.Range(0, 900).Select(i => (BooruLookupKind.Iqdb, $"k{i}")));
        await using var other = SqliteBooruStore.InFolder(_folder);
        var found = await other.GetLookupsAsync(keys, CancellationToken.None);

        found.Should().HaveCount(903);
        found[(BooruLookupKind.DanbooruMd5, post.Md5!)].Post.Should().BeEquivalentTo(post);
        found[(BooruLookupKind.SauceNao, "sum1")].Matches.Should().BeEquivalentTo([match]);
        found[(BooruLookupKind.OriginalMd5, "sum1")].Md5.Should().Be(post.Md5);
        found[(BooruLookupKind.Iqdb, "k7")].Should().Match<BooruLookup>(l => l.Outcome == BooruLookupOutcome.Refused && l.At == T0.AddDays(1));
        found[(BooruLookupKind.Iqdb, "k899")].At.Should().Be(T0.AddSeconds(899));
    }

    [Fact]
    public async Task Quota_state_survives_a_restart()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 42));
        state = QuotaPolicy.AfterFailure(state, T0.AddSeconds(1), new BooruException(BooruSource.SauceNao, BooruFailure.ShortWindowExhausted, "429"), TimeSpan.Zero);
        await using (var writer = SqliteBooruStore.InFolder(_folder))
        {
            await writer.SaveQuotaAsync(state, CancellationToken.None);
        }

        await using var reader = SqliteBooruStore.InFolder(_folder);
        var read = await reader.GetQuotaAsync(BooruSource.SauceNao, CancellationToken.None);
        var fresh = await reader.GetQuotaAsync(BooruSource.Iqdb, CancellationToken.None);

        read.Should().BeEquivalentTo(state);
        fresh.Should().BeEquivalentTo(new QuotaState(BooruSource.Iqdb));
    }

    [Fact]
    public async Task The_queue_is_ordered_by_value_then_newest_keeps_first_queued_times_and_is_per_scope()
    {
        await using var store = SqliteBooruStore.InFolder(_folder);
        BooruQueueItem Item(string sum, double value, int day, DateTimeOffset queued) => new(sum, Guid.NewGuid(), value, T0.AddDays(day), queued);
        await store.ReplaceQueueAsync("a", [Item("low", 0.1, 0, T0), Item("old", 0.8, 0, T0), Item("new", 0.8, 5, T0), Item("gone", 0.9, 0, T0)], CancellationToken.None);
        await store.ReplaceQueueAsync("b", [Item("other", 1, 0, T0)], CancellationToken.None);

        await store.ReplaceQueueAsync("a", [Item("low", 0.1, 0, T0.AddDays(3)), Item("old", 0.8, 0, T0.AddDays(3)), Item("new", 0.8, 5, T0.AddDays(3)), Item("added", 0.5, 0, T0.AddDays(3))], CancellationToken.None);
        await store.RemoveFromQueueAsync("a", ["low", "not queued"], CancellationToken.None);

        var queue = await store.GetQueueAsync("a", CancellationToken.None);
        queue.Select(q => q.Checksum).Should().Equal("new", "old", "added");
        queue.Single(q => q.Checksum == "old").QueuedAt.Should().Be(T0);
        queue.Single(q => q.Checksum == "added").QueuedAt.Should().Be(T0.AddDays(3));
        (await store.GetQueueAsync("b", CancellationToken.None)).Select(q => q.Checksum).Should().Equal("other");
    }

    [Fact]
    public async Task An_answer_and_the_quota_it_taught_are_stored_together_and_the_store_reopens_after_a_release()
    {
        var quota = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 41));
        await using var store = SqliteBooruStore.InFolder(_folder);
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.SauceNao, "sum1", BooruLookupOutcome.NotFound, T0), quota, CancellationToken.None);

        // Another connection (another process after a restart) sees both, while the first still holds its connection.
        await using (var restarted = SqliteBooruStore.InFolder(_folder))
        {
            (await restarted.GetQuotaAsync(BooruSource.SauceNao, CancellationToken.None)).Should().BeEquivalentTo(quota);
            (await restarted.GetLookupsAsync([(BooruLookupKind.SauceNao, "sum1")], CancellationToken.None)).Should().ContainKey((BooruLookupKind.SauceNao, "sum1"));
        }

        // Released at the end of a run: the file may be removed (a user resetting the state), the next run starts a new one.
        await store.ReleaseAsync();
        File.Delete(Path.Combine(_folder, SqliteRunStateStore.FileName));
        (await store.GetLookupsAsync([(BooruLookupKind.SauceNao, "sum1")], CancellationToken.None)).Should().BeEmpty();
        await store.SaveLookupAsync(new BooruLookup(BooruLookupKind.Iqdb, "sum2", BooruLookupOutcome.NotFound, T0), null, CancellationToken.None);
        (await store.GetLookupsAsync([(BooruLookupKind.Iqdb, "sum2")], CancellationToken.None)).Should().ContainKey((BooruLookupKind.Iqdb, "sum2"));
    }
}
