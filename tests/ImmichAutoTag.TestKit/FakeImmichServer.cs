using System.Net;
using System.Text;
using ImmichAutoTag.TestKit.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.TestKit;

public sealed record FakeImmichOptions
{
    public string Version { get; init; } = "3.1.0";

    /// <summary>
    /// What <c>GET /server/features</c> says in <c>duplicateDetection</c>. As on a real server with machine learning
    /// off, false only means no new groups are found: <c>GET /duplicates</c> still lists the existing groups.
    /// </summary>
    public bool DuplicateDetection { get; init; } = true;

    /// <summary>The clock behind createdAt/updatedAt; tests pass a <see cref="ManualTimeProvider"/> to control it.</summary>
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

/// <summary>An in-process Immich 3.1 look-alike on 127.0.0.1 and a random port; the API lives under BaseUrl + "api/".</summary>
public sealed class FakeImmichServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IReadOnlyList<Route> _routes;

    private FakeImmichServer(WebApplication app, FakeImmichState state, IReadOnlyList<Route> routes)
    {
        _app = app;
        State = state;
        _routes = routes;
        BaseUrl = new Uri("http://127.0.0.1/");
    }

    public Uri BaseUrl { get; private set; }
    public FakeImmichState State { get; }
    public RequestLog Requests { get; } = new();
    public FaultInjector Faults { get; } = new();

    public static async Task<FakeImmichServer> StartAsync(FakeImmichOptions? options = null, CancellationToken ct = default)
    {
        options ??= new FakeImmichOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeImmichServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            // Bulk id lists can be large; Immich's own limit is about 10 MB.
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        var state = new FakeImmichState(options.Clock) { SidecarRace = options.SidecarRace, SidecarDelay = options.SidecarDelay, DateWriteDelay = options.DateWriteDelay };
        var routes = new FakeEndpoints(state, options).Build();
        var server = new FakeImmichServer(app, state, routes);
        app.Run(server.HandleAsync);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First(); // non-null: Kestrel always exposes its addresses
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        var request = http.Request;
        var path = request.Path.Value ?? "/";
        var fullPath = path + request.QueryString.Value;
        var (route, segments) = Match(request.Method, path);
        var operationId = route?.OperationId ?? "unknown";
        string? body = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var reader = new StreamReader(request.Body);
            body = await reader.ReadToEndAsync(ct);
        }

        var fault = Faults.Take(operationId);
        if (fault is { Kind: FaultKind.Drop })
        {
            Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, body, 0));
            http.Abort();
            return;
        }

        if (fault is { Kind: FaultKind.Delay })
        {
            try
            {
                await Task.Delay(fault.Delay, ct);
            }
            catch (OperationCanceledException)
            {
                Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, body, 0));
                return;
            }
        }

        var reply = fault is { Kind: FaultKind.Fail }
            ? new ErrorReply(fault.StatusCode, $"Injected failure ({fault.StatusCode})")
            : Dispatch(http, route, segments, path, body);
        await WriteAsync(http, reply, ct);
        Requests.Add(new RecordedRequest(operationId, request.Method, fullPath, body, http.Response.StatusCode)
        {
            RequestBodyBytes = request.ContentLength ?? (body is null ? 0 : Encoding.UTF8.GetByteCount(body)),
            ResponseBodyBytes = http.Response.ContentLength ?? 0,
        });
    }

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

    private Reply Dispatch(HttpContext http, Route? route, string[] segments, string path, string? body)
    {
        if (route is null)
        {
            return new ErrorReply(StatusCodes.Status404NotFound, $"Cannot {http.Request.Method} {path}");
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
                var secret = http.Request.Headers["x-api-key"].ToString();
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
            }

            var pathId = Guid.Empty;
            if (route.HasId && !Guid.TryParseExact(route.IdSegment(segments), "D", out pathId))
            {
                return ErrorReply.Validation(["id must be a UUID"]);
            }

            var errors = new List<string>();
            var parsed = RequestBody.Parse(body, errors);
            if (parsed is null)
            {
                return ErrorReply.Validation(errors);
            }

            var pathName = route.NameSegment(segments);
            if (!route.NeedsKey)
            {
                return route.Handle(new Call(Anonymous, AnonymousKey, pathId, http.Request.Query, parsed) { PathName = pathName });
            }

            return route.Handle(new Call(user!, key!, pathId, http.Request.Query, parsed) { PathName = pathName }); // non-null: checked above
        }
    }

    private static readonly FakeUser Anonymous = new(Guid.Empty, "anonymous", "anonymous@invalid", DateTimeOffset.UnixEpoch);
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
                await response.Body.WriteAsync(json.Body, ct);
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
}
