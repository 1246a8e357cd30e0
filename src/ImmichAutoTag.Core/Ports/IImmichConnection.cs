namespace ImmichAutoTag.Core.Ports;

/// <summary>
/// The gateway a run talks to and owns: it counts the requests it sends (for the run's statistics) and is
/// disposed when the run ends. The HTTP gateway is one; the demo's in-process sample library is another.
/// </summary>
public interface IImmichConnection : IImmichGateway, IRequestMetrics, IDisposable;
