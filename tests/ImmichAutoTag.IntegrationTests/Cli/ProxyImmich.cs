using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.IntegrationTests.Cli;

/// <summary>An answer a reverse proxy (or a broken server) sends instead of Immich's.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="ContentType">Content-Type header; null sends none.</param>
/// <param name="Body">The body, sent as is (UTF-8) with a matching Content-Length.</param>
/// <param name="Location">Location header (for a redirect).</param>
internal sealed record RawAnswer(int Status, string? ContentType, string Body, string? Location = null);

/// <summary>
/// A reverse proxy in front of the fake Immich, as nginx or Traefik would stand in front of a real one: every request is
/// forwarded unchanged, except those <see cref="Intercept"/> answers itself (an HTML error page, a login page, a cut
/// JSON body...). Requests it answers never reach the fake, so the fake's request log still counts every write that got
/// through.
/// </summary>
internal sealed class ProxyImmich : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    private ProxyImmich(WebApplication app, HttpClient upstream, Uri baseUrl)
    {
        _app = app;
        _upstream = upstream;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Method and path (with query) in, the proxy's own answer out; null forwards the request to the fake.</summary>
    public Func<string, string, RawAnswer?> Intercept { get; set; } = (_, _) => null;

    /// <summary>Path and the fake's JSON answer in, the body the client gets out (e.g. an older server's shape).</summary>
    public Func<string, string, string> Rewrite { get; set; } = (_, body) => body;

    public static async Task<ProxyImmich> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = upstream };
        ProxyImmich? proxy = null;
        app.Run(async context =>
        {
            var request = context.Request;
            var pathAndQuery = (request.Path.Value ?? "/") + request.QueryString.Value;

            // non-null: the proxy takes requests only after it is assigned below.
            if (proxy!.Intercept(request.Method, pathAndQuery) is { } answer)
            {
                context.Response.StatusCode = answer.Status;
                if (answer.ContentType is not null)
                {
                    context.Response.ContentType = answer.ContentType;
                }

                if (answer.Location is not null)
                {
                    context.Response.Headers.Location = answer.Location;
                }

                var bytes = System.Text.Encoding.UTF8.GetBytes(answer.Body);
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
                return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.Method), pathAndQuery.TrimStart('/'));
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            if (body.Length > 0)
            {
                forward.Content = new ByteArrayContent(body.ToArray());
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType ?? "application/json");
            }

            forward.Headers.TryAddWithoutValidation("x-api-key", request.Headers["x-api-key"].ToString());
            using var response = await client.SendAsync(forward, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            var answerBytes = System.Text.Encoding.UTF8.GetBytes(proxy.Rewrite(pathAndQuery, await response.Content.ReadAsStringAsync(context.RequestAborted)));
            context.Response.ContentLength = answerBytes.Length;
            await context.Response.Body.WriteAsync(answerBytes, context.RequestAborted);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        proxy = new ProxyImmich(app, client, new Uri(address.EndsWith('/') ? address : address + "/"));
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
