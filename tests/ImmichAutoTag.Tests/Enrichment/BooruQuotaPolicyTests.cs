using ImmichAutoTag.Core.Enrichment.Booru;

namespace ImmichAutoTag.Tests.Enrichment;

public sealed class BooruQuotaPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly QuotaPacing Sauce = QuotaPacing.SauceNao(dailyMargin: 3);

    [Fact]
    public void The_first_search_goes_at_once_and_the_answer_teaches_the_windows()
    {
        var state = new QuotaState(BooruSource.SauceNao);

        QuotaPolicy.Decide(state, Sauce, T0).Kind.Should().Be(QuotaDecisionKind.Search);
        state = QuotaPolicy.AfterSearch(state, T0, new SearchQuota(6, 5, 200, 199));

        state.Reported.Should().Be(new SearchQuota(6, 5, 200, 199));
        state.DayStartedAt.Should().Be(T0);
        state.SearchesToday.Should().Be(1);

        // 6 per 30 s: evenly spaced, one every 5 s.
        var next = QuotaPolicy.Decide(state, Sauce, T0.AddSeconds(1));
        next.Kind.Should().Be(QuotaDecisionKind.Wait);
        next.At.Should().Be(T0.AddSeconds(5));
    }

    [Fact]
    public void No_more_than_the_short_limit_is_sent_in_any_30_seconds()
    {
        var state = new QuotaState(BooruSource.SauceNao);
        var now = T0;
        var sent = new List<DateTimeOffset>();
        for (var i = 0; i < 40; i++)
        {
            var decision = QuotaPolicy.Decide(state, Sauce, now);
            decision.Kind.Should().NotBe(QuotaDecisionKind.Stop);
            now = decision.At;
            sent.Add(now);
            state = QuotaPolicy.AfterSearch(state, now, new SearchQuota(4, Math.Max(0, 3 - i), 100, 99 - i));

            // A burst right after the answer must wait too.
            now += TimeSpan.FromMilliseconds(10);
        }

        foreach (var t in sent)
        {
            sent.Count(s => s >= t && s < t + QuotaPolicy.ShortWindow).Should().BeLessThanOrEqualTo(4);
        }
    }

    [Fact]
    public void The_day_stops_at_the_margin_and_resumes_when_the_daily_window_turns()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 4));
        QuotaPolicy.Decide(state, Sauce, T0.AddMinutes(1)).Kind.Should().Be(QuotaDecisionKind.Search);

        state = QuotaPolicy.AfterSearch(state, T0.AddMinutes(1), new SearchQuota(4, 3, 100, 3));
        var stop = QuotaPolicy.Decide(state, Sauce, T0.AddMinutes(2));
        stop.Kind.Should().Be(QuotaDecisionKind.Stop);
        stop.At.Should().Be(T0 + QuotaPolicy.LongWindow);
        stop.Reason.Should().Contain("3 of 100").And.Contain("margin 3");

        QuotaPolicy.Decide(state, Sauce, T0 + QuotaPolicy.LongWindow).Kind.Should().Be(QuotaDecisionKind.Search);
        var aged = QuotaPolicy.Age(state, T0 + QuotaPolicy.LongWindow);
        aged.SearchesToday.Should().Be(0);
        aged.Reported!.LongRemaining.Should().Be(100);
    }

    [Fact]
    public void A_refused_key_pauses_nothing_so_a_fixed_key_works_on_the_next_run()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 90));
        var refused = new BooruException(BooruSource.SauceNao, BooruFailure.KeyRefused, "no API access");

        var after = QuotaPolicy.AfterFailure(state, T0.AddMinutes(1), refused, TimeSpan.Zero);

        after.PausedUntil.Should().Be(state.PausedUntil);
        QuotaPolicy.Decide(after, Sauce, T0.AddHours(1)).Kind.Should().Be(QuotaDecisionKind.Search);
    }

    [Fact]
    public void A_429_backs_off_by_retry_after_doubling_with_jitter_and_counts()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 90));
        var limited = new BooruException(BooruSource.SauceNao, BooruFailure.ShortWindowExhausted, "429", TimeSpan.FromSeconds(20));

        var once = QuotaPolicy.AfterFailure(state, T0, limited, TimeSpan.FromSeconds(2));
        once.PausedUntil.Should().Be(T0.AddSeconds(22));
        once.RateLimited.Should().Be(1);
        QuotaPolicy.Decide(once, Sauce, T0.AddSeconds(1)).Should().Match<QuotaDecision>(d => d.Kind == QuotaDecisionKind.Wait && d.At == T0.AddSeconds(22));

        var twice = QuotaPolicy.AfterFailure(once, T0.AddSeconds(22), limited, TimeSpan.Zero);
        twice.PausedUntil.Should().Be(T0.AddSeconds(22 + 40));

        var unsaid = QuotaPolicy.AfterFailure(state, T0, new BooruException(BooruSource.SauceNao, BooruFailure.ShortWindowExhausted, "429"), TimeSpan.Zero);
        unsaid.PausedUntil.Should().Be(T0 + QuotaPolicy.ShortWindow);

        QuotaPolicy.AfterSearch(twice, T0.AddMinutes(2), null).ConsecutiveFailures.Should().Be(0);
    }

    [Fact]
    public void The_daily_limit_pauses_until_the_window_turns_and_long_back_offs_stop_the_run()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 50));
        var daily = QuotaPolicy.AfterFailure(state, T0.AddHours(2), new BooruException(BooruSource.SauceNao, BooruFailure.DailyLimitReached, "Daily Search Limit Exceeded"), TimeSpan.Zero);

        daily.PausedUntil.Should().Be(T0 + QuotaPolicy.LongWindow);
        QuotaPolicy.Decide(daily, Sauce, T0.AddHours(2)).Kind.Should().Be(QuotaDecisionKind.Stop);

        var outage = QuotaPolicy.AfterFailure(state, T0, new BooruException(BooruSource.SauceNao, BooruFailure.Unavailable, "503"), TimeSpan.Zero);
        for (var i = 0; i < 10; i++)
        {
            outage = QuotaPolicy.AfterFailure(outage, T0, new BooruException(BooruSource.SauceNao, BooruFailure.Unavailable, "503"), TimeSpan.Zero);
        }

        outage.PausedUntil.Should().Be(T0 + QuotaPolicy.MaxBackoff);
    }

    [Fact]
    public void A_refused_image_costs_a_search_but_pauses_nothing()
    {
        var state = QuotaPolicy.AfterFailure(new QuotaState(BooruSource.SauceNao), T0, new BooruException(BooruSource.SauceNao, BooruFailure.ImageRefused, "status -3"), TimeSpan.Zero);

        state.PausedUntil.Should().BeNull();
        state.SearchesToday.Should().Be(1);
    }

    [Fact]
    public void Services_without_reported_budgets_are_paced_politely()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.Iqdb), T0, null);

        QuotaPolicy.Decide(state, QuotaPacing.Polite, T0.AddSeconds(1)).At.Should().Be(T0.AddSeconds(5));
        QuotaPolicy.Decide(state, QuotaPacing.Polite, T0.AddSeconds(6)).Kind.Should().Be(QuotaDecisionKind.Search);
    }

    [Fact]
    public void A_cached_find_is_kept_for_good_and_a_miss_ages_out()
    {
        var hit = new BooruLookup(BooruLookupKind.DanbooruMd5, "abc", BooruLookupOutcome.Found, T0);
        var miss = new BooruLookup(BooruLookupKind.SauceNao, "sum", BooruLookupOutcome.NotFound, T0);
        var retry = TimeSpan.FromDays(30);

        hit.IsFresh(T0.AddYears(5), retry).Should().BeTrue();
        miss.IsFresh(T0.AddDays(29), retry).Should().BeTrue();
        miss.IsFresh(T0.AddDays(30), retry).Should().BeFalse();
        (miss with { Outcome = BooruLookupOutcome.Refused }).IsFresh(T0.AddDays(31), retry).Should().BeFalse();
    }

    [Fact]
    public void A_refusal_carrying_the_budget_teaches_it_and_the_next_decision_follows_it()
    {
        // A fresh state: nothing sent by us, yet the service's 429 says the short window is overdrawn and 50 are left today.
        var shortGone = new BooruException(BooruSource.SauceNao, BooruFailure.ShortWindowExhausted, "429", TimeSpan.FromSeconds(1)) { Quota = new SearchQuota(4, -1, 100, 50) };
        var state = QuotaPolicy.AfterFailure(new QuotaState(BooruSource.SauceNao), T0, shortGone, TimeSpan.Zero);

        state.Reported.Should().Be(new SearchQuota(4, 0, 100, 50));
        state.ReportedAt.Should().Be(T0);
        var wait = QuotaPolicy.Decide(state, Sauce, T0.AddSeconds(2));
        wait.Kind.Should().Be(QuotaDecisionKind.Wait);
        wait.At.Should().Be(T0 + QuotaPolicy.ShortWindow + QuotaPolicy.Slack, "the answer's own counter outweighs a 1 s Retry-After");
        QuotaPolicy.Decide(state, Sauce, T0 + QuotaPolicy.ShortWindow + QuotaPolicy.Slack).Kind.Should().Be(QuotaDecisionKind.Search);

        // A refused image whose header reports the day spent down to the margin stops the source until the window turns.
        var refused = new BooruException(BooruSource.SauceNao, BooruFailure.ImageRefused, "status -3") { Quota = new SearchQuota(4, 3, 100, 3) };
        var spent = QuotaPolicy.AfterFailure(QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(4, 3, 100, 10)), T0.AddMinutes(1), refused, TimeSpan.Zero);

        spent.SearchesToday.Should().Be(2, "a refused image still counted as a search");
        spent.Reported!.LongRemaining.Should().Be(3);
        var stop = QuotaPolicy.Decide(spent, Sauce, T0.AddMinutes(2));
        stop.Kind.Should().Be(QuotaDecisionKind.Stop);
        stop.At.Should().Be(T0 + QuotaPolicy.LongWindow);
    }

    [Fact]
    public void A_refusal_without_a_budget_keeps_the_learned_one()
    {
        var state = QuotaPolicy.AfterSearch(new QuotaState(BooruSource.SauceNao), T0, new SearchQuota(6, 5, 200, 150));
        var refused = new BooruException(BooruSource.SauceNao, BooruFailure.ImageRefused, "HTTP 413");

        QuotaPolicy.AfterFailure(state, T0.AddSeconds(10), refused, TimeSpan.Zero).Reported.Should().Be(new SearchQuota(6, 5, 200, 150));
    }

    [Fact]
    public void A_sliding_daily_window_gives_the_budget_back_24_hours_after_each_search()
    {
        var pacing = QuotaPacing.SauceNao(dailyMargin: 0);
        var state = new QuotaState(BooruSource.SauceNao);
        for (var i = 0; i < 100; i++)
        {
            state = QuotaPolicy.AfterSearch(state, T0.AddMinutes(i), new SearchQuota(4, 3, 100, 99 - i));
        }

        QuotaPolicy.Decide(state, pacing, T0.AddHours(2)).Should().Match<QuotaDecision>(d => d.Kind == QuotaDecisionKind.Stop && d.At == T0 + QuotaPolicy.LongWindow);

        // The next day's first search: a service whose window slides still counts the other 99 of yesterday.
        var nextDay = T0 + QuotaPolicy.LongWindow + TimeSpan.FromSeconds(1);
        QuotaPolicy.Decide(state, pacing, nextDay).Kind.Should().Be(QuotaDecisionKind.Search);
        state = QuotaPolicy.AfterSearch(state, nextDay, new SearchQuota(4, 3, 100, 0));

        var wait = QuotaPolicy.Decide(state, pacing, nextDay.AddSeconds(1));
        wait.Kind.Should().Be(QuotaDecisionKind.Wait, "yesterday's second search leaves the window a minute after yesterday's first");
        wait.At.Should().Be(T0.AddMinutes(1) + QuotaPolicy.LongWindow + QuotaPolicy.Slack);
    }
}
