using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.IntegrationTests.Gateway;

/// <summary>
/// A deliberately tiny stand-in for Immich: one catch-all endpoint whose answer each test scripts. It exists
/// only for the failure and paging cases; behaviour tests belong against the shared fake server.
/// </summary>
internal sealed class StubImmich : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubImmich(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    /// <summary>Answers request number n (from 1) of the whole run.</summary>
    public required Func<StubRequest, int, IResult> Respond { get; init; }

    public static async Task<StubImmich> StartAsync(Func<StubRequest, int, IResult> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        StubImmich? stub = null;
        var counter = 0;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = new StubRequest(
                context.Request.Method,
                context.Request.Path.Value ?? string.Empty,
                context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers["x-api-key"].ToString(),
                await reader.ReadToEndAsync(context.RequestAborted));
            // non-null: the server starts taking requests only after stub is assigned below.
            stub!.Requests.Enqueue(request);
            var result = stub.Respond(request, Interlocked.Increment(ref counter));
            await result.ExecuteAsync(context);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        stub = new StubImmich(app, new Uri(address.EndsWith('/') ? address : address + "/")) { Respond = respond };
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record StubRequest(string Method, string Path, string Query, string ApiKey, string Body);
