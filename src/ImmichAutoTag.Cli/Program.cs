namespace ImmichAutoTag.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();

        // A signal can be delivered on its own thread while Main is already returning and disposing the source.
        void Stop()
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The process is on its way out already.
            }
        }

        // Ctrl-C and SIGTERM (docker stop) cancel the run cooperatively instead of killing it mid-request.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            Stop();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            ctx =>
            {
                ctx.Cancel = true;
                Stop();
            });

        return await CliApp.RunAsync(args, CliContext.FromProcess(), cts.Token).ConfigureAwait(false);
    }
}
