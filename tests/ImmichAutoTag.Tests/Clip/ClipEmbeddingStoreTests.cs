using ImmichAutoTag.Core.Enrichment.Clip;
using ImmichAutoTag.Infrastructure.Clip;

namespace ImmichAutoTag.Tests.Clip;

public sealed class ClipEmbeddingStoreTests : IDisposable
{
    private static readonly ClipModelId ModelA = new("ViT-B-32__openai@0123456789abcdef");
    private static readonly ClipModelId ModelB = new("ViT-B-32__openai@fedcba9876543210");
    private readonly string folder = Directory.CreateTempSubdirectory("clip-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Embeddings_round_trip_bit_for_bit_per_model()
    {
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var tricky = new[] { 0f, -0f, float.Epsilon, 1e-38f, -3.4e38f, 0.1f, (float)Math.PI };
        await store.StoreAsync(ModelA, new Dictionary<string, float[]> { ["c1"] = tricky, ["c2"] = [1, 2, 3, 4, 5, 6, 7] }, CancellationToken.None);
        await store.StoreAsync(ModelB, new Dictionary<string, float[]> { ["c1"] = [9, 9, 9] }, CancellationToken.None);

        var a = await SqliteClipEmbeddingStore.InFolder(folder).GetAsync(ModelA, ["c1", "c2", "c3"], CancellationToken.None);
        var b = await store.GetAsync(ModelB, ["c1", "c2"], CancellationToken.None);

        a.Keys.Should().BeEquivalentTo("c1", "c2");
        a["c1"].Select(BitConverter.SingleToInt32Bits).Should().Equal(tricky.Select(BitConverter.SingleToInt32Bits));
        b.Keys.Should().Equal("c1");
        b["c1"].Should().Equal(9, 9, 9);
        (await store.CountAsync(ModelA, CancellationToken.None)).Should().Be(2);
    }

    [Fact]
    public async Task Storing_again_replaces_and_lookups_handle_many_keys()
    {
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var many = Enumerable.Range(0, 1200).ToDictionary(i => $"sum{i}", i => new float[] { i, -i });
        await store.StoreAsync(ModelA, many, CancellationToken.None);
        await store.StoreAsync(ModelA, new Dictionary<string, float[]> { ["sum7"] = [70, 70] }, CancellationToken.None);

        var found = await store.GetAsync(ModelA, many.Keys.Append("unknown").ToArray(), CancellationToken.None);

        found.Should().HaveCount(1200);
        found["sum7"].Should().Equal(70, 70);
        found["sum1199"].Should().Equal(1199, -1199);
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("Scan")]
    [InlineData("Lookup")]
    public async Task Visiting_streams_exactly_the_wanted_sound_rows_of_the_model(string mode)
    {
        var writer = SqliteClipEmbeddingStore.InFolder(folder);
        var many = Enumerable.Range(0, 1200).ToDictionary(i => $"sum{i}", i => new float[] { i, -i, i * 0.5f });
        await writer.StoreAsync(ModelA, many, CancellationToken.None);
        await writer.StoreAsync(ModelB, new Dictionary<string, float[]> { ["sum1"] = [9, 9, 9], ["onlyB"] = [1, 1, 1] }, CancellationToken.None);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder, "clip.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var damage = connection.CreateCommand();
            damage.CommandText = "UPDATE clip_embedding SET embedding = x'00000000' WHERE model_id = $model AND checksum = 'sum5'";
            damage.Parameters.AddWithValue("$model", ModelA.Value);
            (await damage.ExecuteNonQueryAsync()).Should().Be(1);
        }

        // Every other stored checksum, the damaged one, one of the other model's and one nobody stored.
        var wanted = many.Keys.Where((_, i) => i % 2 == 1).Append("onlyB").Append("unknown").ToHashSet(StringComparer.Ordinal);
        var seen = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var store = new SqliteClipEmbeddingStore(Path.Combine(folder, "clip.db")) { ScanMode = Enum.Parse<ClipStoreScanMode>(mode) };

        var visited = await store.VisitAsync(ModelA, wanted, (checksum, embedding) => seen.Add(checksum, embedding.ToArray()), CancellationToken.None);

        var expected = many.Where((_, i) => i % 2 == 1 && i != 5).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        seen.Keys.Should().BeEquivalentTo(expected.Keys, "the damaged row, the other model's row and the unknown checksum are not visited");
        visited.Should().Be(599);
        foreach (var (checksum, embedding) in expected)
        {
            seen[checksum].Should().Equal(embedding);
        }
    }

    [Fact]
    public async Task A_state_folder_of_an_earlier_version_keeps_its_embeddings_in_clip_db_and_state_db_shrinks()
    {
        // state.db as earlier versions wrote it: both CLIP tables WITHOUT ROWID, beside the run history's tables.
        var stateDb = Path.Combine(folder, "state.db");
        var embeddings = Enumerable.Range(0, 300).ToDictionary(i => $"sum{i}", i => Enumerable.Range(0, 512).Select(d => (float)Math.Sin(i + (d * 0.01))).ToArray());
        await using (var old = Open(stateDb))
        {
            Execute(old, """
                CREATE TABLE clip_embedding (model_id TEXT NOT NULL, checksum TEXT NOT NULL, dimension INTEGER NOT NULL, embedding BLOB NOT NULL, PRIMARY KEY (model_id, checksum)) WITHOUT ROWID;
                CREATE TABLE clip_text_embedding (model_id TEXT NOT NULL, prompt TEXT NOT NULL, dimension INTEGER NOT NULL, embedding BLOB NOT NULL, PRIMARY KEY (model_id, prompt)) WITHOUT ROWID;
                CREATE TABLE other_feature (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
                INSERT INTO other_feature (note) VALUES ('kept');
                """);
            foreach (var (checksum, embedding) in embeddings)
            {
                Execute(old, "INSERT INTO clip_embedding VALUES ($m, $k, 512, $e)", ("$m", ModelA.Value), ("$k", checksum), ("$e", Blob(embedding)));
            }

            Execute(old, "INSERT INTO clip_text_embedding VALUES ($m, 'a photo', 3, $e)", ("$m", ModelA.Value), ("$e", Blob([1, 2, 3])));
        }

        var before = new FileInfo(stateDb).Length;
        var store = SqliteClipEmbeddingStore.InFolder(folder);

        var found = await store.GetAsync(ModelA, embeddings.Keys.ToArray(), CancellationToken.None);
        var prompts = await store.GetTextAsync(ModelA, ["a photo"], CancellationToken.None);

        found.Should().HaveCount(300);
        found["sum42"].Select(BitConverter.SingleToInt32Bits).Should().Equal(embeddings["sum42"].Select(BitConverter.SingleToInt32Bits), "moved bit for bit");
        prompts["a photo"].Should().Equal(1, 2, 3);
        await using (var state = Open(stateDb))
        {
            Scalar(state, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table' AND name <> 'state_meta'").Should().Be("other_feature", "only the CLIP tables leave state.db");
            Scalar(state, "SELECT note FROM other_feature").Should().Be("kept");
        }

        new FileInfo(stateDb).Length.Should().BeLessThan(before / 10, "state.db gives the moved rows' pages back");
        await using (var clip = Open(Path.Combine(folder, "clip.db")))
        {
            Scalar(clip, "PRAGMA page_size").Should().Be(16384L);
        }

        // A later store over the same folder (the next run) finds everything in place and moves nothing again.
        await SqliteClipEmbeddingStore.InFolder(folder).StoreAsync(ModelA, new Dictionary<string, float[]> { ["new"] = [5, 6] }, CancellationToken.None);
        (await SqliteClipEmbeddingStore.InFolder(folder).CountAsync(ModelA, CancellationToken.None)).Should().Be(301);
    }

    [Fact]
    public async Task A_stored_512_dimension_embedding_takes_under_2_6_KB_on_disk()
    {
        // Measured with 4 KiB pages and WITHOUT ROWID (earlier versions): 4.7 KB per row; the float32 data is 2,048 bytes.
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var random = new Random(5);
        for (var chunk = 0; chunk < 4; chunk++)
        {
            var rows = Enumerable.Range(0, 500).ToDictionary(
                i => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes((chunk * 500) + i)).AsSpan(0, 20)),
                _ => Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray());
            await store.StoreAsync(ModelA, rows, CancellationToken.None);
        }

        (new FileInfo(Path.Combine(folder, "clip.db")).Length / 2000.0).Should().BeLessThan(2600);
    }

    private static Microsoft.Data.Sqlite.SqliteConnection Open(string path)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(Microsoft.Data.Sqlite.SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private static object? Scalar(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static byte[] Blob(float[] values) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Fact]
    public async Task The_default_visit_of_a_store_reads_through_its_lookups()
    {
        IClipEmbeddingStore store = new GetOnlyStore(new Dictionary<string, float[]> { ["a"] = [1, 2], ["b"] = [3, 4] });
        var seen = new Dictionary<string, float[]>(StringComparer.Ordinal);

        var visited = await store.VisitAsync(ModelA, new HashSet<string>(["a", "missing"], StringComparer.Ordinal), (checksum, embedding) => seen.Add(checksum, embedding.ToArray()), CancellationToken.None);

        visited.Should().Be(1);
        seen.Should().ContainKey("a").WhoseValue.Should().Equal(1, 2);
        seen.Should().HaveCount(1);
    }

    [Fact]
    public async Task A_second_pass_and_a_changed_label_set_encode_nothing()
    {
        var encoder = new CountingEncoder(ModelA);
        var store = SqliteClipEmbeddingStore.InFolder(folder);
        var assets = Enumerable.Range(0, 10).Select(i => new ClipAsset(Guid.NewGuid(), $"checksum{i % 8}")).ToArray(); // two duplicates
        var fetched = 0;
        Task<ReadOnlyMemory<byte>> Fetch(ClipAsset asset, CancellationToken ct)
        {
            fetched++;
            return asset.Checksum == "checksum3"
                ? throw new HttpRequestException("404 Not Found")
                : Task.FromResult<ReadOnlyMemory<byte>>(new[] { (byte)asset.Checksum[^1] });
        }

        var first = await new ClipEmbeddingIndex(encoder, store, batchSize: 3).GetOrEncodeAsync(assets, Fetch, CancellationToken.None);
        var fetchedFirst = fetched;
        var second = await new ClipEmbeddingIndex(encoder, store, batchSize: 3).GetOrEncodeAsync(assets, Fetch, CancellationToken.None);

        first.Encoded.Should().Be(7);
        first.Failures.Should().ContainSingle().Which.Value.Should().Contain("404");
        encoder.Encoded.Should().Be(7, "8 distinct checksums, one thumbnail not fetched");
        second.Encoded.Should().Be(0);
        second.Failures.Should().ContainSingle("the failed asset is tried again, and fails again");
        second.Reused.Should().Be(7);
        fetched.Should().Be(fetchedFirst + 1, "only the failed asset's thumbnail is fetched again");

        var labels = new ClipLabel[] { new("photo", ["a photo"]), new("anime", ["anime"]) };
        var prompts = new float[][][] { [[1, 0]], [[0, 1]] };
        var scored = second.Embeddings.Values.Select(e => new ZeroShotClassifier(labels, prompts, new ZeroShotDecisionRule(0, 0)).Classify(e).Label).ToArray();
        var rescored = second.Embeddings.Values.Select(e => new ZeroShotClassifier(labels[..1], prompts[..1], new ZeroShotDecisionRule(0, 0)).Classify(e).Label).ToArray();
        scored.Should().Contain("anime");
        rescored.Should().OnlyContain(l => l == "photo");
        encoder.Encoded.Should().Be(7, "scoring with another label set reads the stored embeddings");
    }

    /// <summary>Encodes a thumbnail's single byte b into the 2-vector (cos b, sin b) and counts the images.</summary>
    private sealed class CountingEncoder(ClipModelId model) : IClipImageEncoder
    {
        public ClipModelId Model => model;

        public int Dimension => 2;

        public int Encoded { get; private set; }

        public Task<IReadOnlyList<ClipImageEncoding>> EncodeImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, CancellationToken ct)
        {
            Encoded += images.Count;
            return Task.FromResult<IReadOnlyList<ClipImageEncoding>>(images
                .Select(i => ClipImageEncoding.Of([(float)Math.Cos(i.Span[0]), (float)Math.Sin(i.Span[0])]))
                .ToArray());
        }
    }

    private sealed class GetOnlyStore(Dictionary<string, float[]> rows) : IClipEmbeddingStore
    {
        public Task<IReadOnlyDictionary<string, float[]>> GetAsync(ClipModelId model, IReadOnlyCollection<string> checksums, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, float[]>>(checksums.Where(rows.ContainsKey).ToDictionary(c => c, c => rows[c]));

        public Task StoreAsync(ClipModelId model, IReadOnlyDictionary<string, float[]> embeddings, CancellationToken ct) => Task.CompletedTask;

        public Task<long> CountAsync(ClipModelId model, CancellationToken ct) => Task.FromResult((long)rows.Count);
    }
}
