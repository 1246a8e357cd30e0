using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ImmichAutoTag.Core.Domain;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Immich.Generated;
using ImmichAutoTag.Immich.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Timeout;

namespace ImmichAutoTag.Immich;

/// <summary>
/// The HTTP implementation of <see cref="IImmichGateway"/>: calls the generated client, maps its DTOs to domain
/// types and turns every failure into an <see cref="ImmichException"/> whose message is safe to show.
/// </summary>
public sealed partial class ImmichGateway : IImmichConnection
{
    private readonly HttpClient _http;
    private readonly ImmichClient _client;
    private readonly RequestCountingHandler _metrics;
    private readonly Uri _displayUrl;
    private readonly TimeSpan _timeout;
    private readonly string _apiKey;
    private readonly TimeSpan _callBudget;

    private ImmichGateway(Uri serverUrl, string apiKey, HttpClient http, RequestCountingHandler metrics, ImmichConnectionOptions options, ILogger logger)
    {
        // Everything above the gateway (logs, reports, state keys) sees the URL without credentials.
        _displayUrl = ImmichUrls.Redact(serverUrl);
        ServerUrl = _displayUrl;
        _http = http;
        _metrics = metrics;
        _timeout = options.Timeout;

        // Every attempt may use its full time-out, plus generous room for the back-off between attempts.
        _callBudget = (options.Timeout * (options.MaxRetries + 1)) + (options.RetryBaseDelay * (1 << Math.Min(options.MaxRetries + 1, 16)));
        _apiKey = apiKey;
        _client = new ImmichClient(http);
        _bodyRetry = ImmichResilience.CreateBodyRetry(options, logger);
    }

    /// <summary>Retries an idempotent call whose answer was cut off mid-body (after the HTTP pipeline saw the headers).</summary>
    private readonly ResiliencePipeline _bodyRetry;

    public Uri ServerUrl { get; }

    public long WriteRequests => _metrics.WriteRequests;

    public static ImmichGateway Create(ImmichConnectionOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.ServerUrl.IsAbsoluteUri || (options.ServerUrl.Scheme != Uri.UriSchemeHttp && options.ServerUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The Immich server URL must be an absolute http:// or https:// URL.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("The Immich API key is empty.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);

        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ImmichGateway>();
        var apiBase = ImmichUrls.ApiBase(options.ServerUrl);
        var metrics = new RequestCountingHandler(logger)
        {
            InnerHandler = new ApiKeyHandler(options.ApiKey)
            {
                // Immich's API never redirects: a redirect comes from a proxy (often to its login page) and is reported as such.
                InnerHandler = options.InnerHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false },
            },
        };
        var resilience = ImmichResilience.CreateHandler(options, logger);
        resilience.InnerHandler = metrics;

        // The per-attempt time-out lives in the resilience pipeline; HttpClient's own would also cut off retries.
        var http = new HttpClient(resilience, disposeHandler: true) { BaseAddress = apiBase, Timeout = Timeout.InfiniteTimeSpan };
        return new ImmichGateway(options.ServerUrl, options.ApiKey, http, metrics, options, logger);
    }

    public IReadOnlyDictionary<string, long> Snapshot() => _metrics.Snapshot();

    public void Dispose() => _http.Dispose();

    public Task PingAsync(CancellationToken ct) =>
        CallAsync("pingServer", async t => await _client.PingServerAsync(t).ConfigureAwait(false), ct);

    public Task<ServerVersion> GetVersionAsync(CancellationToken ct) =>
        CallAsync("getServerVersion", async t => Map(await _client.GetServerVersionAsync(t).ConfigureAwait(false)), ct);

    public Task<ServerFeatures> GetFeaturesAsync(CancellationToken ct) =>
        CallAsync("getServerFeatures", async t => Map(await _client.GetServerFeaturesAsync(t).ConfigureAwait(false)), ct);

    public Task<UserInfo> GetMyUserAsync(CancellationToken ct) =>
        CallAsync("getMyUser", async t => Map(await _client.GetMyUserAsync(t).ConfigureAwait(false)), ct);

    public Task<ApiKeyInfo> GetMyApiKeyAsync(CancellationToken ct) =>
        CallAsync("getMyApiKey", async t => Map(await _client.GetMyApiKeyAsync(t).ConfigureAwait(false)), ct);

    public Task<long> CountAssetsAsync(AssetQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);

        // StatisticsSearchDto has no withDeleted: the count always leaves trashed assets out.
        var body = new StatisticsSearchDto
        {
            AlbumIds = NullIfEmpty(query.AlbumIds),
            TagIds = NullIfEmpty(query.TagIds),
            UpdatedAfter = query.UpdatedAfter,
            UpdatedBefore = query.UpdatedBefore,
            Type = query.Type is { } type ? Map(type) : null,
            Visibility = query.Visibility is { } visibility ? Map(visibility) : null,
        };
        return CallAsync("searchAssetStatistics", async t => (await _client.SearchAssetStatisticsAsync(body, t).ConfigureAwait(false)).Total, ct);
    }

    public Task<AssetDetail> GetAssetAsync(Guid id, CancellationToken ct) =>
        CallAsync("getAssetInfo", async t => MapDetail(await _client.GetAssetInfoAsync(id, t).ConfigureAwait(false)), ct);

    public Task UpdateAssetsAsync(AssetBulkUpdate update, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(update);
        var body = new AssetBulkUpdateDto
        {
            Ids = update.Ids.ToList(),
            DateTimeOriginal = update.DateTimeOriginal,
            DuplicateId = update.DuplicateId?.ToString(),
            Description = update.Description,
            IsFavorite = update.IsFavorite,
            Visibility = update.Visibility is { } visibility ? Map(visibility) : null,
        };
        return CallAsync("updateAssets", async t => await _client.UpdateAssetsAsync(body, t).ConfigureAwait(false), ct);
    }

    public Task<IReadOnlyList<Album>> GetAlbumsAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<Album>>("getAllAlbums", async t => (await _client.GetAllAlbumsAsync(t).ConfigureAwait(false)).Select(Map).ToList(), ct);

    public Task<Album> GetAlbumAsync(Guid id, CancellationToken ct) =>
        CallAsync("getAlbumInfo", async t => Map(await _client.GetAlbumInfoAsync(id, t).ConfigureAwait(false)), ct);

    public Task<Album> CreateAlbumAsync(string name, IReadOnlyList<Guid> assetIds, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(assetIds);
        var body = new CreateAlbumDto { AlbumName = name, AssetIds = NullIfEmpty(assetIds) };
        return CallAsync("createAlbum", async t => Map(await _client.CreateAlbumAsync(body, t).ConfigureAwait(false)), ct);
    }

    public Task DeleteAlbumAsync(Guid albumId, CancellationToken ct) =>
        CallAsync("deleteAlbum", async t => await _client.DeleteAlbumAsync(albumId, t).ConfigureAwait(false), ct);

    public Task<IReadOnlyList<BulkIdResult>> AddAssetsToAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        CallAsync<IReadOnlyList<BulkIdResult>>("addAssetsToAlbum", async t => Map(await _client.AddAssetsToAlbumAsync(albumId, Ids(assetIds), t).ConfigureAwait(false)), ct);

    public Task<IReadOnlyList<BulkIdResult>> RemoveAssetsFromAlbumAsync(Guid albumId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        CallAsync<IReadOnlyList<BulkIdResult>>("removeAssetFromAlbum", async t => Map(await _client.RemoveAssetFromAlbumAsync(albumId, Ids(assetIds), t).ConfigureAwait(false)), ct);

    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<UserInfo>>("searchUsers", async t => (await _client.SearchUsersAsync(t).ConfigureAwait(false)).Select(Map).ToList(), ct);

    public Task AddUsersToAlbumAsync(Guid albumId, IReadOnlyList<AlbumMember> users, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(users);
        var body = new AddUsersDto { AlbumUsers = users.Select(u => new AlbumUserAddDto { UserId = u.UserId, Role = Map(u.Role) }).ToList() };
        return CallAsync("addUsersToAlbum", async t => await _client.AddUsersToAlbumAsync(albumId, body, t).ConfigureAwait(false), ct);
    }

    public Task UpdateAlbumUserAsync(Guid albumId, Guid userId, AlbumRole role, CancellationToken ct)
    {
        var body = new UpdateAlbumUserDto { Role = Map(role) };
        return CallAsync("updateAlbumUser", async t => await _client.UpdateAlbumUserAsync(albumId, userId.ToString(), body, t).ConfigureAwait(false), ct);
    }

    public Task RemoveUserFromAlbumAsync(Guid albumId, Guid userId, CancellationToken ct) =>
        CallAsync("removeUserFromAlbum", async t => await _client.RemoveUserFromAlbumAsync(albumId, userId.ToString(), t).ConfigureAwait(false), ct);

    public Task<IReadOnlyList<Tag>> GetTagsAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<Tag>>("getAllTags", async t => (await _client.GetAllTagsAsync(t).ConfigureAwait(false)).Select(Map).ToList(), ct);

    public Task<IReadOnlyList<Tag>> UpsertTagsAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var body = new TagUpsertDto { Tags = paths.ToList() };
        return CallAsync<IReadOnlyList<Tag>>("upsertTags", async t => (await _client.UpsertTagsAsync(body, t).ConfigureAwait(false)).Select(Map).ToList(), ct);
    }

    public Task<long> BulkTagAssetsAsync(IReadOnlyList<Guid> tagIds, IReadOnlyList<Guid> assetIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tagIds);
        ArgumentNullException.ThrowIfNull(assetIds);
        var body = new TagBulkAssetsDto { TagIds = tagIds.ToList(), AssetIds = assetIds.ToList() };
        return CallAsync("bulkTagAssets", async t => (await _client.BulkTagAssetsAsync(body, t).ConfigureAwait(false)).Count, ct);
    }

    public Task<IReadOnlyList<BulkIdResult>> TagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        CallAsync<IReadOnlyList<BulkIdResult>>("tagAssets", async t => Map(await _client.TagAssetsAsync(tagId, Ids(assetIds), t).ConfigureAwait(false)), ct);

    public Task<IReadOnlyList<BulkIdResult>> UntagAssetsAsync(Guid tagId, IReadOnlyList<Guid> assetIds, CancellationToken ct) =>
        CallAsync<IReadOnlyList<BulkIdResult>>("untagAssets", async t => Map(await _client.UntagAssetsAsync(tagId, Ids(assetIds), t).ConfigureAwait(false)), ct);

    public Task DeleteTagAsync(Guid tagId, CancellationToken ct) =>
        CallAsync("deleteTag", async t => await _client.DeleteTagAsync(tagId, t).ConfigureAwait(false), ct);

    public Task<IReadOnlyList<DuplicateGroup>> GetDuplicatesAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<DuplicateGroup>>("getAssetDuplicates", async t => (await _client.GetAssetDuplicatesAsync(t).ConfigureAwait(false)).Select(Map).ToList(), ct);

    public Task<IReadOnlyList<QueueStatus>> GetQueuesAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<QueueStatus>>("getQueues", async t => (await _client.GetQueuesAsync(t).ConfigureAwait(false)).Select(Map).ToList(), ct);

    public Task<QueueStatus> SetQueuePausedAsync(string queueName, bool paused, CancellationToken ct)
    {
        var name = ParseQueueName(queueName);
        var body = new QueueUpdateDto { IsPaused = paused };
        return CallAsync("updateQueue", async t => Map(await _client.UpdateQueueAsync(name, body, t).ConfigureAwait(false)), ct);
    }

    public Task RunAssetJobAsync(IReadOnlyList<Guid> assetIds, string jobName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assetIds);
        var name = jobName switch
        {
            AssetJobNames.RefreshMetadata => AssetJobName.RefreshMetadata,
            _ => throw new ArgumentException($"unknown asset job '{jobName}'", nameof(jobName)),
        };
        var body = new AssetJobsDto { AssetIds = [.. assetIds], Name = name };
        return CallAsync("runAssetJobs", async t => await _client.RunAssetJobsAsync(body, t).ConfigureAwait(false), ct);
    }

    public Task StartSidecarDiscoveryAsync(CancellationToken ct)
    {
        var body = new QueueCommandDto { Command = QueueCommand.Start, Force = false };
        // Deprecated since Immich 2.4, yet 3.1 has no other call that starts a queue's job (PUT /queues/{name} only pauses).
#pragma warning disable CS0612
        return CallAsync("runQueueCommandLegacy", async t => await _client.RunQueueCommandLegacyAsync(ParseQueueName("sidecar"), body, t).ConfigureAwait(false), ct);
#pragma warning restore CS0612
    }

    public Task<byte[]> GetThumbnailAsync(Guid assetId, string size, CancellationToken ct)
    {
        var mediaSize = ParseMediaSize(size);
        return CallAsync("viewAsset", async t =>
        {
            using var file = await _client.ViewAssetAsync(assetId, mediaSize, t).ConfigureAwait(false);
            return await ReadBodyAsync(file, t).ConfigureAwait(false);
        }, ct);
    }

    /// <summary>
    /// The whole body of a binary answer. With a <c>Content-Length</c> (Immich sends one for the files it serves) the
    /// body is read straight into an array of that size: one copy instead of a growing buffer's several plus the
    /// final one.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(FileResponse file, CancellationToken ct)
    {
        if (ContentLength(file.Headers) is { } length and > 0 and <= MaxPresizedBody)
        {
            // HttpClient ends a Content-Length body at that length, or fails when it is cut short.
            var body = new byte[length];
            await file.Stream.ReadExactlyAsync(body, ct).ConfigureAwait(false);
            return body;
        }

        using var buffer = new MemoryStream();
        await file.Stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Bodies up to this size are read into an array of their announced length (thumbnails are tens of KB).</summary>
    private const long MaxPresizedBody = 64L * 1024 * 1024;

    private static long? ContentLength(IReadOnlyDictionary<string, IEnumerable<string>> headers)
    {
        foreach (var (name, values) in headers)
        {
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) ? length : null;
                }
            }
        }

        return null;
    }

    public Task<TResult> ReadOriginalAsync<TResult>(Guid assetId, Func<Stream, CancellationToken, Task<TResult>> read, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(read);
        return CallAsync("downloadAsset", async t =>
        {
            // The generated call reads only the headers; the body is handed over as it streams in.
            using var file = await _client.DownloadAssetAsync(assetId, edited: false, key: null, slug: null, t).ConfigureAwait(false);
            return await read(file.Stream, t).ConfigureAwait(false);
        }, ct);
    }

    private static int? NextPage(string? nextPage, int current)
    {
        if (nextPage is null)
        {
            return null;
        }

        // A page number that does not move forward would loop for ever.
        if (!int.TryParse(nextPage, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var next) || next <= current)
        {
            throw new ImmichApiException("searchAssets", 200, $"unexpected nextPage '{nextPage}' after page {current}");
        }

        return next;
    }

    private async Task CallAsync(string operationId, Func<CancellationToken, Task> call, CancellationToken ct) =>
        await CallAsync(operationId, async t =>
        {
            await call(t).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    /// <summary>The one place where transport and HTTP failures become domain exceptions.</summary>
    private async Task<T> CallAsync<T>(string operationId, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        // The per-attempt time-out ends when the headers arrive; this bound also covers a body that stalls.
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        overall.CancelAfter(_callBudget);
        try
        {
            // The HTTP pipeline retries what fails before the answer's headers; a body cut off after them (connection
            // reset mid-transfer) surfaces here, and is retried when the operation is safe to repeat.
            var pipeline = ImmichOperations.Get(operationId).Idempotent ? _bodyRetry : ResiliencePipeline.Empty;
            return await pipeline.ExecuteAsync(async t => await call(t).ConfigureAwait(false), overall.Token).ConfigureAwait(false);
        }
        catch (ImmichClientException ex)
        {
            throw Translate(operationId, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new ImmichUnreachableException(_displayUrl, $"no answer to {operationId} within {_timeout.TotalSeconds:0.#} s", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ImmichUnreachableException(_displayUrl, Describe(ex), ex);
        }
        catch (IOException ex)
        {
            throw new ImmichUnreachableException(_displayUrl, $"the answer to {operationId} was cut off ({ex.Message})", ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new ImmichUnreachableException(_displayUrl, $"{operationId} did not complete within {_callBudget.TotalSeconds:0.#} s", ex);
        }
    }

    private ImmichException Translate(string operationId, ImmichClientException ex)
    {
        // Immich does not echo the key, but a proxy's error page might: never let it reach a message.
        var message = ServerMessage(ex.Response).Replace(_apiKey, "***", StringComparison.Ordinal);
        var type = Header(ex, "Content-Type");
        var html = type?.Contains("html", StringComparison.OrdinalIgnoreCase) == true || message.StartsWith('<');
        return ex.StatusCode switch
        {
            401 => new ImmichAuthenticationException(_displayUrl),
            403 when !html => Forbidden(operationId, message),
            >= 300 and < 400 => new ImmichApiException(operationId, ex.StatusCode, $"a redirect to {Header(ex, "Location") ?? "(no Location)"} instead of an answer from {_displayUrl}. Immich's API never redirects: a reverse proxy sends its login page or another address. Check server.url (the address of Immich itself, without /api) and let the proxy pass API requests that carry an x-api-key"),
            >= 200 and < 300 => new ImmichApiException(operationId, ex.StatusCode, Unreadable(ex, type, html)),
            _ when html => new ImmichApiException(operationId, ex.StatusCode, $"an HTML page{Title(ex.Response)} instead of Immich's JSON error, from {_displayUrl}: a reverse proxy or another web server answered. Check server.url (the address of Immich itself, without /api) and that Immich is running behind the proxy"),
            404 when operationId == "pingServer" => new ImmichApiException(operationId, ex.StatusCode, $"{message}. Is this an Immich server? {_displayUrl} has no GET /api/server/ping, which every Immich answers: check server.url (the address of Immich itself, e.g. http://host:2283, without /api) and its port"),
            _ => new ImmichApiException(operationId, ex.StatusCode, message),
        };
    }

    /// <summary>
    /// Tells Immich's two 403s apart: its permission guard says "Missing required permission: …"; its admin guard,
    /// which runs after it on x-immich-admin-only routes, says only "Forbidden", so a non-admin's key that has the
    /// permission gets that one.
    /// </summary>
    private static ImmichPermissionException Forbidden(string operationId, string message)
    {
        var operation = ImmichOperations.Get(operationId);
        var notAdmin = operation.AdminOnly && !message.Contains("Missing required permission", StringComparison.OrdinalIgnoreCase);
        return new ImmichPermissionException(operationId, operation.Permission, message, notAdmin);
    }

    /// <summary>A success status whose body is not what the operation returns: says what came instead, and from where.</summary>
    private string Unreadable(ImmichClientException ex, string? type, bool html)
    {
        var length = Header(ex, "Content-Length");
        var what = html ? $"an HTML page{Title(ex.Response)} (a reverse proxy's login or error page?)"
            : string.Equals(length, "0", StringComparison.Ordinal) || (ex.Response is { Length: 0 } && ex.InnerException?.Message.Contains("does not contain any JSON tokens", StringComparison.Ordinal) == true) ? "an empty body"
            : type is not null && !type.Contains("json", StringComparison.OrdinalIgnoreCase) ? $"content of type {type}"
            : $"JSON that ends too early or has not the shape Immich 3.x sends ({ex.InnerException?.Message ?? "unexpected content"})";
        return $"the answer from {_displayUrl} is {what}, not the JSON Immich sends. Check server.url (the address of Immich itself, without /api)";
    }

    private static string? Header(ImmichClientException ex, string name) =>
        ex.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    /// <summary>" titled '502 Bad Gateway'" when the page has a title; empty otherwise.</summary>
    private static string Title(string? page)
    {
        if (string.IsNullOrEmpty(page))
        {
            return string.Empty;
        }

        var start = page.IndexOf("<title>", StringComparison.OrdinalIgnoreCase);
        var end = start < 0 ? -1 : page.IndexOf("</title>", start, StringComparison.OrdinalIgnoreCase);
        return end > start ? $" titled '{page[(start + 7)..end].Trim()}'" : string.Empty;
    }

    private static string Describe(HttpRequestException ex)
    {
        if (ex.InnerException is SocketException socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused (is the server running and the URL right?)",
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "host name not found (check the URL)",
                _ => socket.Message,
            };
        }

        if (ex.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            // .NET's own text ends in "see inner exception", which the user cannot see without -v.
            return $"the TLS (https) handshake failed: {tls.Message} If the server speaks plain http on this port, write server.url with http://; otherwise check the port and the server's certificate";
        }

        return ex.Message;
    }

    /// <summary>Immich's error body is {message, error, statusCode}; message may be a list of validation errors.</summary>
    internal static string ServerMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "(no details)";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var message))
            {
                return message.ValueKind switch
                {
                    JsonValueKind.String => message.GetString() ?? "(no details)",
                    JsonValueKind.Array => string.Join("; ", message.EnumerateArray().Select(m => m.ToString())),
                    _ => message.ToString(),
                };
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, for instance): fall through to the raw text.
        }

        var text = body.Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}
