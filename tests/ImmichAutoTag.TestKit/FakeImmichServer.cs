using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ImmichAutoTag.TestKit.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ImmichAutoTag.TestKit;

public sealed record FakeImmichOptions
{
    public string Version { get; init; } = "3.1.0";

    /// <summary>
    /// What <c>GET /server/features</c> says in <c>duplicateDetection</c>. As on a real server with machine learning
    /// off, false only means no new groups are found: <c>GET /duplicates</c> still lists the existing groups.
    /// </summary>
    public bool DuplicateDetection { get; init; } = true;

    /// <summary>The clock behind createdAt/updatedAt; tests pass a FakeTimeProvider (or a <see cref="VirtualClock"/>) to control it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Models Immich's sidecar write-back race (see <see cref="FakeImmichState.SidecarRace"/>): on by default,
    /// as on a real server; tests that check the fake's immediate bookkeeping may switch it off.
    /// </summary>
    public bool SidecarRace { get; init; } = true;

    /// <summary>Delay of the write-back re-read; short so the suite stays fast, long enough to be hit by back-to-back calls.</summary>
    public TimeSpan SidecarDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Delay before a date write shows (see <see cref="FakeImmichState.DateWriteDelay"/>); zero applies it at once.</summary>
    public TimeSpan DateWriteDelay { get; init; } = TimeSpan.Zero;
}

/// <summary>
/// An Immich 3.1 look-alike over one in-memory state. <see cref="Create"/> serves it in-process only, through
/// <see cref="CreateHandler"/> (no socket: unit tests run the real gateway against it cheaply);
/// <see cref="StartAsync"/> also listens on 127.0.0.1 and a random port (the CLI process, integration tests).
/// Both transports go through the same routing, permission checks, faults and request log. The API lives under
/// BaseUrl + "api/".
/// </summary>
public sealed class FakeImmichServer : IAsyncDisposable
{
    /// <summary>Base URL of an in-process-only fake; ".test" is reserved (RFC 2606), so no socket can reach it by mistake.</summary>
    public static readonly Uri InProcessBaseUrl = new("http://immich.test/");

    private WebApplication? _app;
    private readonly IReadOnlyList<Route> _routes;

    private FakeImmichServer(WebApplication? app, FakeImmichState state, IReadOnlyList<Route> routes)
    {
        _app = app;
        State = state;
        _routes = routes;
        BaseUrl = InProcessBaseUrl;
    }

    public Uri BaseUrl { get; private set; }
    public FakeImmichState State { get; }
    public RequestLog Requests { get; } = new();
    public FaultInjector Faults { get; } = new();

    /// <summary>
    /// Runs before each request is served, outside the state lock, with the request's operation id: a test
    /// stages a concurrent edit there, or cancels the client mid-run. Null (the default) does nothing.
    /// </summary>
    public Action<string>? BeforeServe { get; set; }

    /// <summary>Every route the fake serves: method, path under /api, operation id, permission and admin-only flag.</summary>
    public IReadOnlyList<ServedOperation> ServedOperations =>
        [.. _routes.Select(r => new ServedOperation(r.Method, "/" + string.Join('/', r.Segments), r.OperationId, r.Permission, r.AdminOnly, r.NeedsKey))];

    /// <summary>A fake served in-process only, at <see cref="InProcessBaseUrl"/>; connect through <see cref="CreateHandler"/>.</summary>
    public static FakeImmichServer Create(FakeImmichOptions? options = null)
    {
        options ??= new FakeImmichOptions();
        var state = NewState(options);
        return new FakeImmichServer(null, state, new FakeEndpoints(state, options).Build());
    }

    /// <summary>A fake that also listens on 127.0.0.1 and a random port (<see cref="BaseUrl"/>).</summary>
    public static async Task<FakeImmichServer> StartAsync(FakeImmichOptions? options = null, CancellationToken ct = default)
    {
        options ??= new FakeImmichOptions();
        var state = NewState(options);
        var routes = new FakeEndpoints(state, options).Build();
        var server = new FakeImmichServer(null, state, routes);
        (server._app, server.BaseUrl) = await LoopbackHost.StartAsync(server.HandleAsync, 0, ct);
        return server;
    }

    /// <summary>
    /// Stops listening, as a server that goes down for a restart or an upgrade: open connections are closed and new
    /// ones refused until <see cref="ListenAgainAsync"/>. The library (state) stays.
    /// </summary>
    public async Task StopListeningAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await LoopbackHost.StopAsync(app);
        }
    }

    /// <summary>Listens again on the same address, with the same library, after <see cref="StopListeningAsync"/>.</summary>
    public async Task ListenAgainAsync(CancellationToken ct = default)
    {
        if (_app is null && BaseUrl != InProcessBaseUrl)
        {
            (_app, _) = await LoopbackHost.StartAsync(HandleAsync, BaseUrl.Port, ct);
        }
    }

    private static FakeImmichState NewState(FakeImmichOptions options) =>
        new(options.Clock) { SidecarRace = options.SidecarRace, SidecarDelay = options.SidecarDelay, DateWriteDelay = options.DateWriteDelay };

    /// <summary>
    /// A message handler that serves requests straight from this fake, without a socket: the bottom of an
    /// HttpClient's chain (e.g. the gateway's <c>InnerHandler</c>). A dropped connection surfaces as an
    /// <see cref="HttpRequestException"/>, as from a socket; a cancelled request as an <see cref="OperationCanceledException"/>.
    /// </summary>
    public HttpMessageHandler CreateHandler() => new InProcessHandler(this);

    public async ValueTask DisposeAsync() => await StopListeningAsync();

    private async Task HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        var request = http.Request;
        string? body = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(request.Body);
            body = await reader.ReadToEndAsync(ct);
        }

        var incoming = new FakeRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? "", request.Query,
            request.Headers["x-api-key"].ToString(), body, request.ContentLength);
        Reply? reply;
        try
        {
            reply = await ServeAsync(incoming, ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (reply is null)
        {
            http.Abort();
            return;
        }

        if (ct.IsCancellationRequested)
        {
            return;
        }

        await WriteAsync(http, reply, ct);
    }

    /// <summary>
    /// Routes, checks and answers one request, and logs it. Null means the connection is to be dropped; a
    /// request cancelled while a fault holds it is logged with status 0 and throws. A request that reached the
    /// server is served even when its client gives up meanwhile, as on a real server.
    /// </summary>
    private async Task<Reply?> ServeAsync(FakeRequest request, CancellationToken ct)
    {
        var fullPath = request.Path + request.QueryString;
        var (route, segments) = Match(request.Method, request.Path);
        var operationId = route?.OperationId ?? "unknown";
        BeforeServe?.Invoke(operationId);

        var fault = Faults.Take(operationId, request.Method, request.Path, request.Body);
        if (fault is { Kind: FaultKind.Drop })
        {
            Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, request.Body, 0));
            return null;
        }

        if (fault is { Kind: FaultKind.Hang })
        {
            // Held unserved until the client gives up (its time-out) or its process dies and the connection closes.
            fault.OnHeld?.Invoke(operationId);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, request.Body, 0));
            }
        }

        if (fault is { Kind: FaultKind.Delay })
        {
            try
            {
                await Task.Delay(fault.Delay, ct);
            }
            catch (OperationCanceledException)
            {
                Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, request.Body, 0));
                throw;
            }
        }

        var reply = fault is { Kind: FaultKind.Fail }
            ? new ErrorReply(fault.StatusCode, fault.Message ?? $"Injected failure ({fault.StatusCode})")
            : Dispatch(request, route, segments);
        if (reply is ErrorReply error)
        {
            reply = error.ToJson() with { RetryAfterSeconds = fault?.RetryAfterSeconds };
        }

        if (reply is JsonReply { Status: >= 200 and < 300 } json && RewriteResponse is { } rewrite)
        {
            reply = json with { Body = rewrite(operationId, json.Body) };
        }

        // Recorded before the answer goes out: once the client has read it, the request is in the log. A count
        // read right after the client finished (e.g. when the CLI process exits) never misses the last request.
        Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, request.Body, StatusOf(reply))
        {
            RequestBodyBytes = request.ContentLength ?? (request.Body is null ? 0 : Encoding.UTF8.GetByteCount(request.Body)),
            ResponseBodyBytes = reply switch
            {
                JsonReply j => j.Body.Length,
                BytesReply b => b.Body.Length,
                _ => 0,
            },
        });

        if (fault is { Kind: FaultKind.HangAfterServe })
        {
            // Served, the answer held until the client gives up or its process dies.
            fault.OnHeld?.Invoke(operationId);
            await Task.Delay(Timeout.Infinite, ct);
        }

        // The request was served (any change made) before its answer is lost or mangled on the way out.
        return fault?.Kind switch
        {
            FaultKind.DropAfterServe => null,
            FaultKind.SlowBody when reply is JsonReply j => j with { Shape = BodyShape.Slow },
            FaultKind.Truncate when reply is JsonReply j => j with { Shape = BodyShape.Truncated },
            _ => reply,
        };
    }

    /// <summary>
    /// Rewrites the JSON body of every successful answer before it is sent: operation id and body in, new body
    /// out. Tests use it to serve what a real server may send but the fake's model never produces — extreme
    /// integers, damaged items. Null (the default) sends the model's answers unchanged.
    /// </summary>
    public Func<string, ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>? RewriteResponse { get; set; }

    private static int StatusOf(Reply reply) => reply switch
    {
        JsonReply j => j.Status,
        BytesReply => StatusCodes.Status200OK,
        EmptyReply e => e.Status,
        ErrorReply e => e.Status,
        _ => 0,
    };

    private (Route? Route, string[] Segments) Match(string method, string path)
    {
        if (!path.StartsWith("/api/", StringComparison.Ordinal))
        {
            return (null, []);
        }

        var segments = path["/api/".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var route in _routes)
        {
            if (route.Matches(method, segments))
            {
                return (route, segments);
            }
        }

        return (null, segments);
    }

    private Reply Dispatch(FakeRequest request, Route? route, string[] segments)
    {
        if (route is null)
        {
            return new ErrorReply(StatusCodes.Status404NotFound, $"Cannot {request.Method} {request.Path}");
        }

        var state = State;
        lock (state.Gate)
        {
            // Write-backs that are due land before the request sees the state, as they would have on the server.
            state.LandDueWriteBacksLocked();

            FakeApiKey? key = null;
            FakeUser? user = null;
            if (route.NeedsKey)
            {
                var secret = request.ApiKey;
                if (secret.Length == 0)
                {
                    return new ErrorReply(StatusCodes.Status401Unauthorized, "Authentication required");
                }

                key = state.FindKey(secret);
                user = key is null ? null : state.FindUser(key.UserId);
                if (key is null || user is null)
                {
                    return new ErrorReply(StatusCodes.Status401Unauthorized, "Invalid API key");
                }

                if (route.Permission is { } permission && !key.Grants(permission))
                {
                    return new ErrorReply(StatusCodes.Status403Forbidden, $"Missing required permission: {permission}");
                }

                // Immich checks admin-only routes after the key's permissions: a non-admin's key gets 403 even with queue.read.
                if (route.AdminOnly && !user.IsAdmin)
                {
                    return new ErrorReply(StatusCodes.Status403Forbidden, "Forbidden");
                }
            }

            var pathId = Guid.Empty;
            if (route.HasId && !Guid.TryParseExact(route.IdSegment(segments), "D", out pathId))
            {
                return ErrorReply.Validation(["id must be a UUID"]);
            }

            var errors = new List<string>();
            var parsed = RequestBody.Parse(request.Body, errors);
            if (parsed is null)
            {
                return ErrorReply.Validation(errors);
            }

            var pathName = route.NameSegment(segments);
            if (!route.NeedsKey)
            {
                return route.Handle(new Call(Anonymous, AnonymousKey, pathId, request.Query, parsed) { PathName = pathName });
            }

            return route.Handle(new Call(user!, key!, pathId, request.Query, parsed) { PathName = pathName }); // non-null: checked above
        }
    }

    private static readonly FakeUser Anonymous = new(Guid.Empty, "anonymous", "anonymous@invalid", DateTimeOffset.UnixEpoch, isAdmin: false);
    private static readonly FakeApiKey AnonymousKey = new(Guid.Empty, Guid.Empty, "", [], DateTimeOffset.UnixEpoch);

    private static async Task WriteAsync(HttpContext http, Reply reply, CancellationToken ct)
    {
        var response = http.Response;
        switch (reply)
        {
            case ErrorReply error:
                await WriteAsync(http, error.ToJson(), ct);
                break;
            case JsonReply json:
                response.StatusCode = json.Status;
                response.ContentType = "application/json; charset=utf-8";
                response.ContentLength = json.Body.Length;
                if (json.RetryAfterSeconds is { } retryAfter)
                {
                    response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await WriteBodyAsync(http, json, ct);
                break;
            case BytesReply bytes:
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = bytes.ContentType;
                response.ContentLength = bytes.Body.Length;
                await response.Body.WriteAsync(bytes.Body, ct);
                break;
            case EmptyReply empty:
                response.StatusCode = empty.Status;
                break;
        }
    }

    private static async Task WriteBodyAsync(HttpContext http, JsonReply json, CancellationToken ct)
    {
        var body = http.Response.Body;
        switch (json.Shape)
        {
            case BodyShape.Slow:
                // Eight pieces with a pause after each: the client waits on a body that keeps coming.
                var piece = Math.Max(1, (json.Body.Length + 7) / 8);
                for (var at = 0; at < json.Body.Length; at += piece)
                {
                    await body.WriteAsync(json.Body.Slice(at, Math.Min(piece, json.Body.Length - at)), ct);
                    await body.FlushAsync(ct);
                    await Task.Delay(TimeSpan.FromMilliseconds(25), ct);
                }

                break;
            case BodyShape.Truncated:
                // Content-Length promised the whole body; half of it goes out, then the connection is cut.
                await body.WriteAsync(json.Body[..(json.Body.Length / 2)], ct);
                await body.FlushAsync(ct);
                http.Abort();
                break;
            default:
                await body.WriteAsync(json.Body, ct);
                break;
        }
    }

    private sealed record FakeRequest(string Method, string Path, string QueryString, IQueryCollection Query, string ApiKey, string? Body, long? ContentLength);

    /// <summary>The in-process transport: an HTTP request in, the fake's answer as an HTTP response out.</summary>
    private sealed class InProcessHandler(FakeImmichServer server) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
            string? body = null;
            long? length = null;
            if (request.Content is { } content)
            {
                var bytes = await content.ReadAsByteArrayAsync(cancellationToken);
                length = bytes.Length;
                body = bytes.Length == 0 ? null : Encoding.UTF8.GetString(bytes);
            }

            var key = request.Headers.TryGetValues("x-api-key", out var values) ? string.Join(',', values) : "";
            var query = new QueryCollection(QueryHelpers.ParseQuery(uri.Query));
            var incoming = new FakeRequest(request.Method.Method, Uri.UnescapeDataString(uri.AbsolutePath), uri.Query, query, key, body, length);
            var reply = await server.ServeAsync(incoming, cancellationToken)
                ?? throw new HttpRequestException(HttpRequestError.ConnectionError, "The fake Immich dropped the connection.", new IOException("Connection reset by the fake."));
            if (reply is ErrorReply error)
            {
                reply = error.ToJson();
            }

            var response = new HttpResponseMessage((HttpStatusCode)StatusOf(reply)) { RequestMessage = request, Version = request.Version };
            switch (reply)
            {
                case JsonReply json:
                    response.Content = json.Shape == BodyShape.Truncated
                        ? new StreamContent(new TruncatedStream(json.Body))
                        : new ReadOnlyMemoryContent(json.Body);
                    response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                    if (json.RetryAfterSeconds is { } retryAfter)
                    {
                        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfter));
                    }

                    break;
                case BytesReply bytes:
                    response.Content = new ByteArrayContent(bytes.Body);
                    response.Content.Headers.ContentType = new MediaTypeHeaderValue(bytes.ContentType);
                    break;
                default:
                    response.Content = new ByteArrayContent([]);
                    break;
            }

            return response;
        }
    }
}

/// <summary>Half of a body, then the error a socket gives when the server cuts the connection mid-body.</summary>
internal sealed class TruncatedStream(ReadOnlyMemory<byte> body) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var half = body.Length / 2;
        if (_position >= half)
        {
            throw new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely (cut by the fake).");
        }

        var n = Math.Min(buffer.Length, half - _position);
        body.Span.Slice(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>One route of the fake, as <see cref="FakeImmichServer.ServedOperations"/> lists it.</summary>
/// <param name="Method">HTTP method, upper case.</param>
/// <param name="Path">Path under /api with the spec's placeholders written as {id} or {name}, e.g. "/albums/{id}/user/{name}".</param>
/// <param name="OperationId">The spec's operationId the fake answers as.</param>
/// <param name="Permission">The API-key permission the fake demands (x-immich-permission); null when none.</param>
/// <param name="AdminOnly">Served to admins only (x-immich-admin-only).</param>
/// <param name="NeedsKey">Whether the route needs an API key at all.</param>
public sealed record ServedOperation(string Method, string Path, string OperationId, string? Permission, bool AdminOnly, bool NeedsKey);
