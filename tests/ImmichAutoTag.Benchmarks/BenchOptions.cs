using System.Globalization;

namespace ImmichAutoTag.Benchmarks;

/// <param name="Assets">Own assets in the synthetic library (partner assets come on top).</param>
/// <param name="JsonPath">Where to write the JSON results, or null.</param>
/// <param name="Check">Exit 1 when a rerun exceeds request_floor + 10 requests or sends a write (CI).</param>
/// <param name="Verbose">Print the CLI's own output for every scenario.</param>
/// <param name="Keep">Keep the temporary folder with the CLI's run folders (logs, plans, reports) for inspection.</param>
/// <param name="AllocationTypes">Print this many types with the most sampled allocation bytes per scenario (0: do not sample).</param>
/// <param name="WorkflowRules">Generated workflow rules added to the config (0: none).</param>
/// <param name="WorkflowCamera">Add one more workflow rule with a camera make/model condition (the walk then asks for EXIF data).</param>
internal sealed record BenchOptions(int Assets, string? JsonPath, bool Check, int Seed, bool Verbose, bool Keep, int AllocationTypes = 0, int WorkflowRules = 0, bool WorkflowCamera = false)
{
    public const string Usage =
        "usage: dotnet run -c Release --project tests/ImmichAutoTag.Benchmarks -- --assets N [--json FILE] [--check] [--seed S] [--keep] [--allocation-types N] [--workflow-rules N] [--workflow-camera] [-v]";

    /// <summary>Rerun requests allowed above the floor before <c>--check</c> fails.</summary>
    public const int RerunSlack = 10;

    public static BenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var assets = 1000;
        string? json = null;
        bool check = false, verbose = false, keep = false, camera = false;
        var seed = 42;
        var allocationTypes = 0;
        var workflowRules = 0;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--assets" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out assets) && assets > 0:
                case "--seed" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out seed):
                case "--allocation-types" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out allocationTypes):
                case "--workflow-rules" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out workflowRules):
                    i++;
                    break;
                case "--json" when i + 1 < args.Count:
                    json = args[++i];
                    break;
                case "--check":
                    check = true;
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--workflow-camera":
                    camera = true;
                    break;
                case "-v" or "--verbose":
                    verbose = true;
                    break;
                default:
                    error = $"unexpected or incomplete argument '{args[i]}'";
                    return null;
            }
        }

        return new BenchOptions(assets, json, check, seed, verbose, keep, allocationTypes, workflowRules, camera);
    }
}
