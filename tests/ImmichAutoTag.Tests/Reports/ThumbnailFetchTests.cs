using System.Reflection;
using ImmichAutoTag.Core.Ports;
using ImmichAutoTag.Infrastructure.Reports.Html;

namespace ImmichAutoTag.Tests.Reports;

public sealed class ThumbnailFetchTests
{
    [Fact]
    public async Task A_server_that_does_not_answer_ends_the_fetching_after_the_requests_in_flight()
    {
        var gateway = DispatchProxy.Create<IImmichGateway, UnreachableThumbnails>();
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();

        var outcome = await Thumbnails.FetchAsync(gateway, ids, cache: null, DateTimeOffset.UnixEpoch, CancellationToken.None);

        ((UnreachableThumbnails)(object)gateway).Calls.Should().BeInRange(1, Thumbnails.Parallelism, "each worker stops after the first answer that the server is gone");
        outcome.Failed.Should().Be(ids.Count);
        outcome.Uris.Should().BeEmpty();
    }

    /// <summary>An IImmichGateway whose thumbnail reads all fail as a server that went away fails them.</summary>
    public class UnreachableThumbnails : DispatchProxy
    {
        private int _calls;

        public int Calls => _calls;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name != nameof(IImmichGateway.GetThumbnailAsync))
            {
                throw new NotSupportedException(targetMethod.Name);
            }

            Interlocked.Increment(ref _calls);
            return FailAsync();
        }

        private static async Task<byte[]> FailAsync()
        {
            await Task.Yield();
            throw new ImmichUnreachableException(new Uri("http://127.0.0.1:9/"), "connection refused");
        }
    }
}
