using System.Text.RegularExpressions;
using ImmichAutoTag.Core.Configuration;

namespace ImmichAutoTag.Core.Engine;

/// <summary>
/// filters: <c>filter_in</c> focuses the run on the assets it matches, <c>filter_out</c> takes the ones it matches out
/// of every change. It judges each asset as the server holds it, before conversions change it; an asset it leaves out
/// is still classified (for the reports) but gets no change.
/// </summary>
internal sealed class FiltersStep(FiltersConfig config) : IFeatureStep
{
    public string Name => "filters";

    public string ConfigSection => "filters";

    public bool Enabled => config.FilterIn.Count + config.FilterOut.Count > 0;

    public ReadNeeds Reads { get; } = new() { TagNames = TagNames(config) };

    /// <summary>The tag leaf names the filters look at, so the gatherer reads them too.</summary>
    public static IReadOnlySet<string> TagNames(FiltersConfig filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return filters.FilterIn.Concat(filters.FilterOut).SelectMany(r => r.TagNames).ToHashSet(StringComparer.Ordinal);
    }

    public StepPlan Plan(StepContext context)
    {
        var state = AssetPlanning.Of(context);
        foreach (var f in state.Assets.Values)
        {
            if (!f.Judged)
            {
                continue;
            }

            try
            {
                f.InScope = state.InFocus(f);
                if (!f.InScope)
                {
                    state.ExcludedByFilters++;
                }
            }
            catch (RegexMatchTimeoutException ex)
            {
                // The asset keeps its tags: a verdict from a half-evaluated rule set would be a guess.
                state.Fail(f, ex);
            }
        }

        return StepPlan.None;
    }
}
