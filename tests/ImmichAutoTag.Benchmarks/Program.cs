using System.Globalization;
using ImmichAutoTag.Benchmarks;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

if (args.Length == 3 && args[0] == FakeHost.Flag)
{
    return await FakeHost.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), cancel.Token);
}

if (args.Length == 4 && args[0] == ClipBench.RescoreFlag)
{
    return await ClipBench.RescoreChildAsync(args, cancel.Token);
}

if (args.Contains("--booru-day"))
{
    return await BooruDayBench.RunAsync(args, Console.Out, cancel.Token);
}

if (args.Contains("--clip"))
{
    return await ClipBench.RunAsync(args, Console.Out, cancel.Token);
}

if (BenchOptions.Parse(args, out var error) is not { } options)
{
    await Console.Error.WriteLineAsync($"error: {error}");
    await Console.Error.WriteLineAsync(BenchOptions.Usage);
    return 2;
}

return await BenchRunner.RunAsync(options, Console.Out, cancel.Token);
