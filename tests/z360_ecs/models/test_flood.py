"""The flood model: what a flood lets through, the tasks it buys, and its Fargate and WAF bill,
on beta's web with and without its rate limit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from z360_ecs.common import read_stack_config
from z360_ecs.models.flood import (
    REPORT_FLOOD,
    Flood,
    RateLimit,
    admitted_rate,
    compare,
    model_flood,
    rate_limit_for,
    requests_per_task_at_target,
    unpaced,
    waf_hourly,
)

WEB_HOURLY = Decimal("0.049370")  # 1 vCPU at $0.04048 + 2 GB at $0.004445


@pytest.fixture(scope="module")
def beta():
    return read_stack_config("beta")


def test_admitted_rate_is_bounded_per_source():
    limit = RateLimit(3000, 300)
    assert admitted_rate(Flood(1000, 10), None) == 1000
    assert admitted_rate(Flood(1000, 10), limit) == 100            # paced at 10/s each
    assert admitted_rate(Flood(50, 10), limit) == 50               # under the limit: all
    assert admitted_rate(Flood(1000, 10), limit, paced=False) == 0  # over it: blocked


def test_waf_hourly_bills_every_request_and_a_share_of_the_fixed_fees():
    # 1,000 requests/s = 3.6 million an hour = $2.16, plus $9 / 730 h.
    assert waf_hourly(RateLimit(3000, 300), Decimal(9), 1000) == \
        Decimal("2.16") + Decimal(9) / Decimal(730)
    assert waf_hourly(None, Decimal(9), 1000) == 0


def test_one_task_at_target_is_the_simulators_one_x():
    assert requests_per_task_at_target(11.06, 60) == pytest.approx(6.636)


def test_beta_web_flood_without_a_web_acl_reaches_max_capacity(beta):
    without, _ = compare(beta, "web", REPORT_FLOOD, 11.06, None)
    assert without.tasks_reached == without.steady_tasks == 50
    assert without.minutes_to_max == 8  # web scales on 20 s metrics
    assert without.fargate_hourly == WEB_HOURLY * 50
    assert without.waf_hourly == 0
    # A flood on web alone keeps the month under the budget: the breaker never trips.
    assert not without.breaker_trips


def test_beta_web_flood_with_the_rate_limit(beta):
    without, paced = compare(beta, "web", REPORT_FLOOD, 11.06,
                             rate_limit_for(beta.services["web"], None, None))
    assert paced is not None
    assert paced.admitted_rate == 100
    assert paced.minutes_to_max is None
    assert (paced.tasks_reached, paced.steady_tasks) == (46, 17)
    assert paced.fargate_hourly == WEB_HOURLY * 17
    inspected = 1000 + requests_per_task_at_target(11.06, 60)
    assert paced.waf_hourly == waf_hourly(RateLimit(3000, 300), Decimal(9), inspected)
    blocked = unpaced(paced)
    assert blocked is not None and blocked.admitted_rate == 0 and blocked.steady_tasks == 1
    # The rate limit caps tasks, not the bill: WAF's request fee outgrows the Fargate saved.
    assert paced.hourly > without.hourly


def test_breaker_trips_when_the_months_rate_passes_its_threshold(beta):
    without, _ = compare(beta, "web", REPORT_FLOOD, 11.06, None)
    breaker = without.inputs.breaker
    assert breaker is not None and breaker.ceiling == 10
    low = replace(breaker, threshold_monthly=Decimal(1000))
    tripping = model_flood(replace(without.inputs, breaker=low))
    assert tripping.breaker_trips and tripping.breaker_after_hours == 24
    assert tripping.before_breaker == tripping.hourly * 24
    assert tripping.tripped_hourly == WEB_HOURLY * 10
