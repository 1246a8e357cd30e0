using System.Globalization;

namespace ImmichAutoTag.Core.Enrichment.Booru;

/// <summary>
/// What the tool knows of one service's budget, kept in the state database between runs and restarts: SauceNAO's
/// last reported <see cref="SearchQuota"/>, the searches of the current short (30 s) window, the start of the current
/// daily (24 h) window and its searches, and a pause after a refusal (429, 503, daily limit).
/// </summary>
/// <param name="Source">The service.</param>
public sealed record QuotaState(BooruSource Source)
{
    /// <summary>The budget the service reported with its last answer (SauceNAO only); null before the first answer.</summary>
    public SearchQuota? Reported { get; init; }

    /// <summary>When <see cref="Reported"/> arrived.</summary>
    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>The instants of the searches sent within the last short window, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> RecentSearches { get; init; } = [];

    /// <summary>The first search of the current daily window; null before the first search (or after the window turned).</summary>
    public DateTimeOffset? DayStartedAt { get; init; }

    /// <summary>Searches sent in the current daily window.</summary>
    public int SearchesToday { get; init; }

    /// <summary>
    /// The instants of the searches answered within the last 24 h, oldest first: when the service's daily window
    /// slides (each search counts for 24 h), the budget comes back one search at a time, 24 h after each of them.
    /// </summary>
    public IReadOnlyList<DateTimeOffset> DaySearches { get; init; } = [];

    /// <summary>No search before this instant (a refusal's back-off, or the daily window's turn).</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>Why <see cref="PausedUntil"/> is set, for the log.</summary>
    public string? PauseReason { get; init; }

    /// <summary>Refusals in a row (429/503/unreachable): the back-off doubles with each.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>HTTP 429 answers seen over the state's life (for the benchmark's figure).</summary>
    public int RateLimited { get; init; }
}

/// <summary>The decision for the next search of a service.</summary>
/// <param name="Kind">Search now, wait (briefly) first, or stop for now.</param>
/// <param name="At">When the search may be sent (now for <see cref="QuotaDecisionKind.Search"/>).</param>
/// <param name="Reason">Why, for the log (e.g. "daily budget spent: 3 left, margin 3").</param>
public sealed record QuotaDecision(QuotaDecisionKind Kind, DateTimeOffset At, string Reason);

/// <summary>See <see cref="QuotaDecision"/>.</summary>
public enum QuotaDecisionKind
{
    /// <summary>Send the search now.</summary>
    Search,

    /// <summary>Wait until <see cref="QuotaDecision.At"/>, then search: the short window or pacing.</summary>
    Wait,

    /// <summary>Not in this run: the daily budget is spent (down to the margin) or a long back-off is under way.</summary>
    Stop,
}

/// <summary>How a service is paced.</summary>
/// <param name="MinInterval">Least time between two searches (politeness; SauceNAO's is also 30 s / its short limit).</param>
/// <param name="DefaultShortLimit">Searches per 30 s assumed until the service reports its own (SauceNAO guests get 3–4).</param>
/// <param name="DailyMargin">Stop for the day when the reported searches left fall to this many.</param>
/// <param name="LongestWait">A wait longer than this ends the source's look-ups for the run instead (the queue goes on next run).</param>
public sealed record QuotaPacing(TimeSpan MinInterval, int DefaultShortLimit, int DailyMargin, TimeSpan LongestWait)
{
    /// <summary>SauceNAO: windows learned from each answer; 4 per 30 s until it says otherwise.</summary>
    public static QuotaPacing SauceNao(int dailyMargin) => new(TimeSpan.Zero, 4, dailyMargin, TimeSpan.FromMinutes(2));

    /// <summary>Danbooru reads: no app-level limit, but well under its Cloudflare's patience (2 per second).</summary>
    public static QuotaPacing Danbooru { get; } = new(TimeSpan.FromMilliseconds(500), int.MaxValue, 0, TimeSpan.FromMinutes(2));

    /// <summary>IQDB and ASCII2D: no limits published; one search every 5 s.</summary>
    public static QuotaPacing Polite { get; } = new(TimeSpan.FromSeconds(5), int.MaxValue, 0, TimeSpan.FromMinutes(2));
}

/// <summary>
/// The budget rules shared by every run: SauceNAO's short (30 s) and daily (24 h) windows as its answers report them
/// (<c>short_limit</c>, <c>short_remaining</c>, <c>long_limit</c>, <c>long_remaining</c>), never assumed from a table;
/// back-off with jitter after a 429/503 (honouring <c>Retry-After</c>); a stop for the day at the configured margin.
/// Pure: the caller loads and stores the <see cref="QuotaState"/> and supplies the clock and the jitter.
/// </summary>
public static class QuotaPolicy
{
    /// <summary>SauceNAO's short window.</summary>
    public static readonly TimeSpan ShortWindow = TimeSpan.FromSeconds(30);

    /// <summary>SauceNAO's daily window.</summary>
    public static readonly TimeSpan LongWindow = TimeSpan.FromHours(24);

    /// <summary>Added to every short-window wait: the service's clock and ours never agree to the millisecond.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest back-off after repeated refusals.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    /// <summary>The state as of <paramref name="now"/>: a turned daily window starts afresh, old short-window searches drop out.</summary>
    public static QuotaState Age(QuotaState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var aged = state;
        if (state.DayStartedAt is { } day && now >= day + LongWindow)
        {
            // The service's counters have turned as well: its next answer reports the fresh budget.
            aged = aged with
            {
                DayStartedAt = null,
                SearchesToday = 0,
                Reported = state.Reported is { } r ? r with { LongRemaining = r.LongLimit } : null,
            };
        }

        if (aged.RecentSearches.Count > 0 && aged.RecentSearches[0] <= now - ShortWindow)
        {
            aged = aged with { RecentSearches = aged.RecentSearches.Where(t => t > now - ShortWindow).ToList() };
        }

        if (aged.DaySearches.Count > 0 && aged.DaySearches[0] <= now - LongWindow)
        {
            aged = aged with { DaySearches = aged.DaySearches.Where(t => t > now - LongWindow).ToList() };
        }

        if (aged.PausedUntil is { } until && until <= now)
        {
            aged = aged with { PausedUntil = null, PauseReason = null };
        }

        return aged;
    }

    /// <summary>Whether the next search may go now, after a wait, or not in this run.</summary>
    public static QuotaDecision Decide(QuotaState state, QuotaPacing pacing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pacing);
        state = Age(state, now);
        DateTimeOffset? at = null;
        string? why = null;
        void Later(DateTimeOffset when, string reason)
        {
            if (when > now && (at is null || when > at))
            {
                at = when;
                why = reason;
            }
        }

        if (state.PausedUntil is { } paused)
        {
            Later(paused, state.PauseReason ?? "paused after a refusal");
        }

        if (state.Reported is { } reported && reported.LongRemaining <= pacing.DailyMargin)
        {
            var turn = (state.DayStartedAt ?? state.ReportedAt ?? now) + LongWindow;

            // A sliding daily window frees a search 24 h after each one was counted: the first instant the budget rises
            // above the margin again comes before the fixed window's turn once the window straddles two of our days.
            var needed = pacing.DailyMargin + 1 - Math.Max(0, reported.LongRemaining);
            if (needed >= 1 && needed <= state.DaySearches.Count && state.DaySearches[needed - 1] + LongWindow + Slack is var slide && slide < turn)
            {
                turn = slide;
            }

            Later(turn > now ? turn : now + MaxBackoff, string.Create(CultureInfo.InvariantCulture, $"daily budget spent: {reported.LongRemaining} of {reported.LongLimit} searches left, margin {pacing.DailyMargin}"));
        }

        var shortLimit = Math.Max(1, state.Reported?.ShortLimit is > 0 and var l ? l : pacing.DefaultShortLimit);
        if (state.RecentSearches.Count >= shortLimit)
        {
            Later(state.RecentSearches[^shortLimit] + ShortWindow + Slack, string.Create(CultureInfo.InvariantCulture, $"short window: {shortLimit} searches per {ShortWindow.TotalSeconds:0} s"));
        }
        else if (state.Reported is { ShortRemaining: <= 0 } && state.ReportedAt is { } reportedAt)
        {
            // The service counts searches we did not send (another client on the key, or a refused answer said so): wait
            // out its window; a report older than the window adds nothing (its instant is past).
            Later(reportedAt + ShortWindow + Slack, "short window: the service reports none left");
        }

        var interval = pacing.MinInterval;
        if (shortLimit < int.MaxValue && state.Reported is not null)
        {
            // Even spacing inside the window (30 s / limit) avoids bursts that trip the short window at its edge.
            var spread = ShortWindow / shortLimit;
            interval = spread > interval ? spread : interval;
        }

        if (state.RecentSearches.Count > 0 && interval > TimeSpan.Zero)
        {
            Later(state.RecentSearches[^1] + interval, "pacing");
        }

        return at is not { } when
            ? new QuotaDecision(QuotaDecisionKind.Search, now, "within budget")
            : when - now > pacing.LongestWait
                ? new QuotaDecision(QuotaDecisionKind.Stop, when, why!)
                : new QuotaDecision(QuotaDecisionKind.Wait, when, why!);
    }

    /// <summary>The state after a search was answered at <paramref name="now"/> (with the budget it reported, if any).</summary>
    public static QuotaState AfterSearch(QuotaState state, DateTimeOffset now, SearchQuota? reported)
    {
        state = Age(state, now);
        var recent = state.RecentSearches.Append(now).ToList();
        return state with
        {
            RecentSearches = recent,
            DaySearches = [.. state.DaySearches, now],
            DayStartedAt = state.DayStartedAt ?? now,
            SearchesToday = state.SearchesToday + 1,
            Reported = reported ?? state.Reported,
            ReportedAt = reported is null ? state.ReportedAt : now,
            ConsecutiveFailures = 0,
        };
    }

    /// <summary>
    /// The state after a refusal: a short-window 429 waits <c>Retry-After</c> (30 s when unsaid), doubling with each
    /// refusal in a row, plus up to <paramref name="jitter"/>; the daily limit pauses until the daily window turns;
    /// an outage backs off exponentially up to <see cref="MaxBackoff"/>; a refused key pauses for the rest of the day.
    /// An image the service refused pauses nothing (the search counted, though). The budget a failed answer reported
    /// (<see cref="BooruException.Quota"/>, e.g. a 429's or a refused image's header) replaces the learned one, so the
    /// next <see cref="Decide"/> paces by the service's own counters: none left in the short window waits it out, none
    /// left for the day (down to the margin) stops until the daily window turns.
    /// </summary>
    public static QuotaState AfterFailure(QuotaState state, DateTimeOffset now, BooruException failure, TimeSpan jitter)
    {
        ArgumentNullException.ThrowIfNull(failure);
        state = Age(state, now);
        if (failure.Quota is { } reported)
        {
            // Counters below zero (SauceNAO's answer when a window is overdrawn) mean none left.
            state = state with
            {
                Reported = reported with { ShortRemaining = Math.Max(0, reported.ShortRemaining), LongRemaining = Math.Max(0, reported.LongRemaining) },
                ReportedAt = now,
            };
        }

        var factor = 1 << Math.Min(state.ConsecutiveFailures, 7);
        TimeSpan Backoff(TimeSpan first)
        {
            var wait = (first * factor) + jitter;
            return wait > MaxBackoff ? MaxBackoff : wait;
        }

        return failure.Failure switch
        {
            BooruFailure.ShortWindowExhausted => state with
            {
                PausedUntil = now + Backoff(failure.RetryAfter ?? ShortWindow),
                PauseReason = "rate limited (HTTP 429): backing off",
                ConsecutiveFailures = state.ConsecutiveFailures + 1,
                RateLimited = state.RateLimited + 1,
            },
            BooruFailure.DailyLimitReached => state with
            {
                PausedUntil = state.DayStartedAt is { } day && day + LongWindow > now ? day + LongWindow : now + (failure.RetryAfter ?? MaxBackoff),
                PauseReason = "daily search limit reached",
                Reported = state.Reported is { } r ? r with { LongRemaining = 0 } : null,
                RateLimited = state.RateLimited + 1,
            },
            // The run stops asking this source (BooruEnricher.Stop); no pause is kept, so the next run tries once more
            // and a key the user has fixed in the environment works at once instead of a day later.
            BooruFailure.KeyRefused => state,

            // Same for a service that is down: the run stops asking it, and the next run tries once more at once.
            BooruFailure.Unreachable => state,
            BooruFailure.ImageRefused => AfterSearch(state, now, failure.Quota is null ? null : state.Reported),
            _ => state with
            {
                PausedUntil = now + Backoff(failure.RetryAfter ?? TimeSpan.FromSeconds(30)),
                PauseReason = $"service unavailable ({failure.Failure}): backing off",
                ConsecutiveFailures = state.ConsecutiveFailures + 1,
            },
        };
    }
}
