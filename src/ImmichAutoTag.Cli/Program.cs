namespace ImmichAutoTag.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();

        // Ctrl-C and SIGTERM (docker stop) cancel the run cooperatively instead of killing it mid-request.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            ctx =>
            {
                ctx.Cancel = true;
                cts.Cancel();
            });

        return await CliApp.RunAsync(args, CliContext.FromProcess(), cts.Token).ConfigureAwait(false);
    }
}
