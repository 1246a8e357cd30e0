using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ImmichAutoTag.TestKit.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace ImmichAutoTag.TestKit.Booru;

/// <summary>One request as a booru fake sees it, whichever transport brought it.</summary>
/// <param name="Method">HTTP method, upper case.</param>
/// <param name="Path">The URL path (unescaped).</param>
/// <param name="QueryString">The raw query, with its leading <c>?</c> (or empty).</param>
/// <param name="Query">The query's values.</param>
/// <param name="Headers">Request headers (and content headers), case-insensitive.</param>
/// <param name="Body">The body's bytes (empty when none).</param>
public sealed record BooruFakeRequest(
    string Method, string Path, string QueryString, IReadOnlyDictionary<string, StringValues> Query,
    IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A booru fake's answer.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="ContentType">Content-Type of <paramref name="Body"/>.</param>
/// <param name="Body">The body's bytes.</param>
public sealed record BooruFakeReply(int Status, string ContentType, ReadOnlyMemory<byte> Body)
{
    /// <summary>Sent as <c>Retry-After</c> (seconds) when set.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Sent as <c>Location</c> when set (ASCII2D's redirect to its result page).</summary>
    public string? Location { get; init; }

    /// <summary>Cut the connection half-way through the body (Content-Length says more).</summary>
    internal bool Truncated { get; init; }

    /// <summary>A JSON answer.</summary>
    public static BooruFakeReply Json(int status, string json) => new(status, "application/json; charset=utf-8", Encoding.UTF8.GetBytes(json));

    /// <summary>An HTML answer.</summary>
    public static BooruFakeReply Html(int status, string html) => new(status, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(html));
}

/// <summary>
/// The hosting shared by the booru fakes, in the fake Immich's style: served in-process through
/// <see cref="CreateHandler"/> (no socket; fast enough for a simulated day over 10,000 images) or on 127.0.0.1 and a
/// random port after <see cref="ListenAsync"/>. Both transports share the routing, the <see cref="FaultInjector"/>
/// (operation ids such as <c>saucenao.search</c>) and the <see cref="RequestLog"/>.
/// </summary>
public abstract class BooruFakeServer : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _userAgents = new(StringComparer.Ordinal);
    private WebApplication? _app;

    /// <summary>Creates the fake with its in-process base URL (a reserved <c>.test</c> name no socket can reach).</summary>
    protected BooruFakeServer(string name)
    {
        BaseUrl = new Uri($"http://{name}.test/");
    }

    /// <summary>Where the fake answers: the in-process URL until <see cref="ListenAsync"/>, then <c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUrl { get; private set; }

    /// <summary>Every request the fake answered or dropped (the body field holds a summary, e.g. the upload's MD5).</summary>
    public RequestLog Requests { get; } = new();

    /// <summary>The distinct User-Agent headers the fake received (what each service learns about the caller).</summary>
    public IReadOnlyCollection<string> UserAgents => [.. _userAgents.Keys];

    /// <summary>Faults to inject, by operation id (see each fake's operation ids).</summary>
    public FaultInjector Faults { get; } = new();

    /// <summary>Listens on 127.0.0.1 and a random port; <see cref="BaseUrl"/> then points there.</summary>
    public async Task ListenAsync(CancellationToken ct = default)
    {
        if (_app is not null)
        {
            return;
        }

        (_app, BaseUrl) = await LoopbackHost.StartAsync(HandleAsync, 0, ct);
    }

    /// <summary>A message handler that serves requests straight from this fake (the bottom of an HttpClient's chain).</summary>
    public HttpMessageHandler CreateHandler() => new InProcessHandler(this);

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await LoopbackHost.StopAsync(app);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The operation id of a request (for faults and the log); null when the fake has no such route.</summary>
    protected abstract string? OperationOf(BooruFakeRequest request);

    /// <summary>Answers one request the faults let through.</summary>
    protected abstract BooruFakeReply Answer(string operationId, BooruFakeRequest request);

    /// <summary>The body of an injected failure, in the service's own style (JSON error, HTML page).</summary>
    protected abstract BooruFakeReply FailureBody(int status, string message);

    /// <summary>What the log keeps of a request's body (a summary: uploads are large).</summary>
    protected virtual string? Summary(BooruFakeRequest request) => null;

    /// <summary>Routes, faults, answers and logs one request; null means the connection is to be dropped.</summary>
    internal async Task<BooruFakeReply?> ServeAsync(BooruFakeRequest request, CancellationToken ct)
    {
        var operationId = OperationOf(request) ?? "unknown";
        _userAgents.TryAdd(request.Header("User-Agent") ?? "", 0);
        var summary = Summary(request);
        var fullPath = request.Path + request.QueryString;
        var fault = Faults.Take(operationId, request.Method, request.Path, summary);
        switch (fault?.Kind)
        {
            case FaultKind.Drop:
                Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, summary, 0));
                return null;
            case FaultKind.Hang:
                fault.OnHeld?.Invoke(operationId);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, summary, 0));
                }

                return null;
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, ct);
                break;
        }

        var reply = fault is { Kind: FaultKind.Fail }
            ? FailureBody(fault.StatusCode, fault.Message ?? $"Injected failure ({fault.StatusCode})") with { RetryAfterSeconds = fault.RetryAfterSeconds }
            : operationId == "unknown"
                ? FailureBody(StatusCodes.Status404NotFound, $"No route for {request.Method} {request.Path}")
                : Answer(operationId, request);
        Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, summary, reply.Status)
        {
            RequestBodyBytes = request.Body.Length,
            ResponseBodyBytes = reply.Body.Length,
        });
        return fault?.Kind switch
        {
            FaultKind.DropAfterServe => null,
            FaultKind.Truncate => reply with { Truncated = true },
            _ => reply,
        };
    }

    private async Task HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in http.Request.Headers)
        {
            headers[name] = value.ToString();
        }

        var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal);
        var request = new BooruFakeRequest(http.Request.Method, http.Request.Path.Value ?? "/", http.Request.QueryString.Value ?? "", query, headers, buffer.ToArray());
        BooruFakeReply? reply;
        try
        {
            reply = await ServeAsync(request, ct);
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

        var response = http.Response;
        response.StatusCode = reply.Status;
        response.ContentType = reply.ContentType;
        response.ContentLength = reply.Body.Length;
        if (reply.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (reply.Location is { } location)
        {
            response.Headers.Location = location;
        }

        if (reply.Truncated)
        {
            await response.Body.WriteAsync(reply.Body[..(reply.Body.Length / 2)], ct);
            await response.Body.FlushAsync(ct);
            http.Abort();
            return;
        }

        await response.Body.WriteAsync(reply.Body, ct);
    }

    private sealed class InProcessHandler(BooruFakeServer server) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers)
            {
                headers[name] = string.Join(name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase) ? " " : ",", values);
            }

            var body = Array.Empty<byte>();
            if (request.Content is { } content)
            {
                body = await content.ReadAsByteArrayAsync(cancellationToken);
                foreach (var (name, values) in content.Headers)
                {
                    headers[name] = string.Join(",", values);
                }
            }

            var query = QueryHelpers.ParseQuery(uri.Query).ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal);
            var incoming = new BooruFakeRequest(request.Method.Method, Uri.UnescapeDataString(uri.AbsolutePath), uri.Query, query, headers, body);
            var reply = await server.ServeAsync(incoming, cancellationToken)
                ?? throw new HttpRequestException(HttpRequestError.ConnectionError, "The fake dropped the connection.", new IOException("Connection reset by the fake."));

            // Follow a redirect as SocketsHttpHandler would (POST → GET), so both transports behave alike.
            if (reply is { Status: 301 or 302 or 303, Location: { } location })
            {
                var target = new Uri(uri, location);
                incoming = new BooruFakeRequest("GET", Uri.UnescapeDataString(target.AbsolutePath), target.Query,
                    QueryHelpers.ParseQuery(target.Query).ToDictionary(q => q.Key, q => q.Value, StringComparer.Ordinal), headers, []);
                reply = await server.ServeAsync(incoming, cancellationToken)
                    ?? throw new HttpRequestException(HttpRequestError.ConnectionError, "The fake dropped the connection.", new IOException("Connection reset by the fake."));
            }

            var response = new HttpResponseMessage((HttpStatusCode)reply.Status) { RequestMessage = request, Version = request.Version };
            response.Content = reply.Truncated ? new StreamContent(new TruncatedStream(reply.Body)) : new ReadOnlyMemoryContent(reply.Body);
            response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(reply.ContentType);
            if (reply.RetryAfterSeconds is { } retryAfter)
            {
                response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfter));
            }

            return response;
        }
    }
}
