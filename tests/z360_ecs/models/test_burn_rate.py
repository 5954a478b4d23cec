"""The whole chain on beta, offline: a flood -> target tracking's scale-out (the model in
models/target_tracking.py, task counts per minute) -> RunningTaskCount x price -> the trip
alarm's N-of-N rule -> the breaker -> money at risk, against the budget path."""

from __future__ import annotations

from decimal import Decimal

from policies.guardrails.facts.burn_rate import max_rate
from stack_model.pricing import priced_services
from tests.support.configs import beta_config
from z360_ecs.models import burn_rate
from z360_ecs.models.burn_rate import Delays
from z360_ecs.models.target_tracking import ServiceModel, parse_profile, simulate

TARGET = Decimal(5)  # issue 17: under $5 at beta's maxima


def _with_trip(per_hour: float | None = None, minutes: int | None = None):
    def mutate(document):
        burn = document["z360-ecs:costBreaker"]["burnRate"]
        if per_hour is not None:
            burn["tripPerHour"] = per_hour
        if minutes is not None:
            burn["tripMinutes"] = minutes
    return mutate


def test_flood_rates_are_the_simulators_running_tasks_times_prices():
    config = beta_config()
    minutes = burn_rate.flood(config)
    web = config.services["web"]
    result = simulate(ServiceModel.from_config("web", web), parse_profile(burn_rate.FLOOD_PROFILE),
                      burn_rate.SIMULATED_MINUTES)
    assert result.load_start == 1
    # Before the flood: every service at min 1, the baseline rate.
    assert minutes[0].running_rate == Decimal("0.2164900")
    # The flood takes every service to its max: the all-at-max rate, $9.79265/h.
    assert minutes[-1].running_rate == max_rate(priced_services(config))
    assert result.minutes[-1].running == web.effective_max
    rates = [m.running_rate for m in minutes]
    assert rates == sorted(rates)  # a flood only adds tasks


def test_minutes_from_a_flood_to_a_trip_on_beta():
    config = beta_config()
    rates = [m.running_rate for m in burn_rate.flood(config)]
    crossing = next(i for i, r in enumerate(rates) if r > Decimal("5"))
    # The rate passes $5/h eight minutes into the flood (web, gateway and voice scale on 20 s
    # metrics, docs/metrics-resolution.md; the simulator's calibrated delays).
    assert crossing == 8
    assert burn_rate.first_trip(rates, Decimal("5"), 5) == crossing + 4
    path = burn_rate.burn_rate_simulated(config)
    assert path is not None
    # 13 minutes of datapoints, 2 of Container Insights delay: invoked 15 minutes in; the
    # surplus stops 1 + 5 minutes later.
    assert (path.minutes_to_notice, path.minutes_to_act) == (15, 21)
    assert path.money_at_risk < TARGET
    assert f"{path.money_at_risk:.2f}" == "2.37"


def test_money_at_risk_on_both_paths():
    config = beta_config()
    budget = burn_rate.budget_path(config)
    assert budget.minutes_to_notice == 32 * 60
    # ~$313 to the notification (docs/cost-breaker.md's figure), plus the breaker's own 6 minutes.
    assert f"{Decimal('9.79265') * 32:.2f}" == "313.36"
    assert f"{budget.money_at_risk:.2f}" == "314.34"
    bound = burn_rate.burn_rate_bound(config)
    assert bound is not None and (bound.minutes_to_notice, bound.minutes_to_act) == (7, 13)
    assert f"{bound.money_at_risk:.2f}" == "2.12" and bound.money_at_risk < TARGET
    assert budget.money_at_risk / bound.money_at_risk > 100


def test_slower_assumptions_still_meet_the_target():
    """Container Insights at 5 min, a failed first invocation (retried ~3 min later)."""
    slow = Delays(container_insights=5, breaker=4)
    path = burn_rate.burn_rate_simulated(beta_config(), slow)
    assert path is not None and path.money_at_risk < TARGET


def test_a_trip_above_the_maximum_never_fires_and_longer_trips_cost_more():
    assert burn_rate.burn_rate_simulated(beta_config(_with_trip(per_hour=9.80))) is None
    costs = [burn_rate.burn_rate_simulated(beta_config(_with_trip(minutes=n))).money_at_risk
             for n in (1, 5, 15)]
    assert costs == sorted(costs) and costs[-1] > costs[0]


def test_surges_the_ceilings_could_carry_do_not_trip_despite_the_overshoot():
    """Up to 10x on every service (10 tasks each once settled, about the ceilings) overshoots
    while tasks start: the 20 s services (web, gateway, voice) overshoot to 29 tasks each, so
    the rate passes the trip's $5/h, but for 3 minutes, fewer than tripMinutes (5): no trip.
    The ops log's "high traffic" (5 tasks each) stays under the warning."""
    config = beta_config()
    burn = config.cost_breaker.burn_rate
    trip = Decimal(str(burn.trip_per_hour))
    for profile in ("step:5x@1", "step:8x@1", "step:10x@1"):
        assert burn_rate.burn_rate_simulated(config, profile=profile) is None, profile
    rates = [m.running_rate for m in burn_rate.flood(config, "step:10x@1")]
    assert max(rates) > 2 * rates[-1]  # the overshoot
    above = [r for r in rates if r > trip]
    assert 0 < len(above) < burn.trip_minutes
    assert burn_rate.first_trip(rates, trip, burn.trip_minutes) is None
    rates = [m.running_rate for m in burn_rate.flood(config, "step:5x@1")]
    assert max(rates) < Decimal(str(burn.warn_per_hour))
    # Further beyond the ceilings it trips: 12x overshoots for 4 minutes, 13x for 5.
    assert burn_rate.burn_rate_simulated(config, profile="step:12x@1") is None
    assert burn_rate.burn_rate_simulated(config, profile="step:13x@1") is not None


def test_paths_of_a_stack_with_and_without_the_fast_trip():
    names = [p.name for p in burn_rate.paths(beta_config())]
    assert names == ["budget notification", "burn-rate alarm, all at max at once",
                     "burn-rate alarm, simulated flood"]

    def no_burn_rate(document):
        del document["z360-ecs:costBreaker"]["burnRate"]
    assert [p.name for p in burn_rate.paths(beta_config(no_burn_rate))] == [
        "budget notification"]

    def no_breaker(document):
        document["z360-ecs:costBreaker"]["enabled"] = False
        del document["z360-ecs:costBreaker"]["burnRate"]  # refused without the breaker
    assert burn_rate.paths(beta_config(no_breaker)) == []
