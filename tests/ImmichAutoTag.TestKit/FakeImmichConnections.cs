using ImmichAutoTag.Immich;

namespace ImmichAutoTag.TestKit;

/// <summary>The product's own gateway, connected to a fake without a socket.</summary>
public static class FakeImmichConnections
{
    /// <summary>
    /// An <see cref="ImmichGateway"/> (generated client, resilience, request counting) whose transport is the fake's
    /// in-process handler: every call goes through the same HTTP shapes and checks as over 127.0.0.1.
    /// </summary>
    /// <param name="server">The fake to talk to.</param>
    /// <param name="apiKey">An API key the fake's state issued (<see cref="FakeImmichState.AddApiKey"/>).</param>
    /// <param name="configure">Adjusts the connection options, e.g. retries; the transport is set afterwards.</param>
    public static ImmichGateway ConnectInProcess(this FakeImmichServer server, string apiKey, Func<ImmichConnectionOptions, ImmichConnectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var options = new ImmichConnectionOptions(server.BaseUrl, apiKey);
        options = (configure?.Invoke(options) ?? options) with { InnerHandler = server.CreateHandler() };
        return ImmichGateway.Create(options);
    }
}
