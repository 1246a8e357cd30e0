using System.Collections.Concurrent;
using ImmichAutoTag.Core.Enrichment.Booru;
using ImmichAutoTag.Infrastructure.Booru;
using ImmichAutoTag.TestKit.Booru;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImmichAutoTag.Tests.Booru;

/// <summary>The booru clients as the composition root builds them (AddBooruClients), aimed at the fakes, with every log line kept.</summary>
internal sealed class BooruTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private BooruTestHost(BooruFakes fakes, ServiceProvider provider, LogLines logs)
    {
        Fakes = fakes;
        _provider = provider;
        Logs = logs;
    }

    public BooruFakes Fakes { get; }

    public LogLines Logs { get; }

    public DanbooruClient Danbooru => _provider.GetRequiredService<DanbooruClient>();

    public SauceNaoClient SauceNao => _provider.GetRequiredService<SauceNaoClient>();

    public IqdbClient Iqdb => _provider.GetRequiredService<IqdbClient>();

    public IServiceProvider Services => _provider;

    public static async Task<BooruTestHost> StartAsync(
        IllustrationLibrary library, TimeProvider clock, bool listen = false, int shortLimit = 4, int longLimit = 100,
        Func<BooruClientOptions, BooruClientOptions>? adjust = null)
    {
        var fakes = await BooruFakes.StartAsync(library, clock, listen, shortLimit, longLimit);
        var options = fakes.ClientOptions();
        if (adjust is not null)
        {
            options = adjust(options);
        }

        var logs = new LogLines();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddBooruClients(options);
        return new BooruTestHost(fakes, services.BuildServiceProvider(), logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await Fakes.DisposeAsync();
    }
}

/// <summary>Keeps every formatted log line (all levels, with exceptions).</summary>
internal sealed class LogLines : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>Answers every request with one fixed response (shapes the fakes never produce).</summary>
internal sealed class FixedAnswer(int status, string contentType, string body) : HttpMessageHandler
{
    public int Calls { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Calls++;
        var response = new HttpResponseMessage((System.Net.HttpStatusCode)status) { Content = new StringContent(body) };
        response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return Task.FromResult(response);
    }
}

internal static class BooruAssertions
{
    public static async Task<BooruException> FailsWith(this Task task, BooruFailure failure)
    {
        var ex = await Assert.ThrowsAsync<BooruException>(() => task);
        ex.Failure.Should().Be(failure, ex.Message);
        return ex;
    }
}
