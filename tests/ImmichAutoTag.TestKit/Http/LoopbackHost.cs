using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.TestKit.Http;

/// <summary>
/// The loopback hosting shared by the fakes (Immich, the booru services): Kestrel on 127.0.0.1, no logging, one
/// request delegate, bodies up to 64 MiB (Immich's bulk id lists reach about 10 MB; uploads are images).
/// </summary>
internal static class LoopbackHost
{
    /// <summary>Starts serving <paramref name="handler"/> on 127.0.0.1 and <paramref name="port"/> (0: a free one).</summary>
    /// <returns>The running application and its base URL, <c>http://127.0.0.1:port/</c>.</returns>
    public static async Task<(WebApplication App, Uri BaseUrl)> StartAsync(RequestDelegate handler, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First(); // non-null: Kestrel always exposes its addresses
        return (app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Stops serving; requests still open (held by a fault) are cut after a 2 s grace, as a server going down does.</summary>
    public static async Task StopAsync(WebApplication app)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
    }
}
