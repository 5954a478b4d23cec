"""Burn-rate facts: CloudWatch's metric-math limits from botocore's model, the "$ per hour"
expression and its round trip, and how services are split into alarms with the threshold
shared out when one alarm cannot watch them all."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import botocore.session
import pytest

from policies.guardrails.facts import burn_rate as facts
from policies.guardrails.facts.burn_rate import PricedService

CLOUDWATCH = botocore.session.get_session().get_service_model("cloudwatch")


def _doc(shape: str) -> str:
    return re.sub(r"<[^>]+>", "", CLOUDWATCH.shape_for(shape).documentation)


def test_limits_are_the_ones_in_botocores_cloudwatch_model():
    text = _doc("MetricDataQuery")
    assert f"A single PutMetricAlarm call can include up to {facts.MAX_QUERIES_PER_ALARM} " \
           "MetricDataQuery structures" in text
    assert f"as many as {facts.MAX_METRICS_PER_ALARM} structures that contain a MetricStat" in text
    assert f"as many as {facts.MAX_EXPRESSIONS_PER_ALARM} structures that contain the " \
           "Expression parameter" in text
    assert "must return a single time series" in text
    assert CLOUDWATCH.shape_for("MetricExpression").metadata["max"] == facts.MAX_EXPRESSION_LENGTH
    assert CLOUDWATCH.shape_for("ResourceList").metadata["max"] == facts.MAX_ALARM_ACTIONS


def test_expression_round_trip_and_what_it_refuses():
    prices = [Decimal("0.04937"), Decimal("0.0123425"), Decimal("0.10318500")]
    text = facts.rate_expression(prices)
    assert text == "FILL(m1,0)*0.04937+FILL(m2,0)*0.0123425+FILL(m3,0)*0.103185"
    parsed = facts.parse_rate_expression(text)
    assert parsed == {"m1": prices[0], "m2": prices[1], "m3": prices[2]}
    assert facts.parse_rate_expression("SUM(METRICS())") is None
    assert facts.parse_rate_expression("FILL(m1,0)*1+FILL(m1,0)*2") is None  # id twice


def test_ten_services_fit_one_expression_eleven_do_not():
    widest = Decimal("0.1234567")  # more digits than any list price
    text = facts.rate_expression([widest] * facts.MAX_METRICS_PER_ALARM)
    assert len(text) <= facts.MAX_EXPRESSION_LENGTH
    with pytest.raises(ValueError, match="1 to 10 metrics"):
        facts.rate_expression([widest] * (facts.MAX_METRICS_PER_ALARM + 1))
    with pytest.raises(ValueError):
        facts.rate_expression([])


def _services(n: int, seed: int = 0) -> list[PricedService]:
    rng = random.Random(seed)
    return [PricedService(f"s{i}", Decimal(rng.choice(["0.0123425", "0.04937", "0.103185"])),
                          rng.randint(0, 3), rng.randint(4, 50)) for i in range(n)]


@pytest.mark.parametrize("count, groups", [(1, 1), (10, 1), (11, 2), (20, 2), (21, 3)])
def test_chunks_never_exceed_ten_metrics(count, groups):
    chunks = facts.chunks(_services(count))
    assert len(chunks) == groups
    assert all(1 <= len(c) <= facts.MAX_METRICS_PER_ALARM for c in chunks)
    assert sum(len(c) for c in chunks) == count


def test_split_thresholds_add_up_stay_in_range_and_miss_no_flood():
    services = _services(25, seed=7)
    groups = facts.chunks(services)
    low, high = facts.baseline_rate(services), facts.max_rate(services)
    threshold = low + (high - low) * Decimal("0.35")
    shares = facts.split_threshold(threshold, groups)
    assert abs(sum(shares) - threshold) < Decimal("1e-20")
    for group, share in zip(groups, shares, strict=True):
        assert facts.baseline_rate(group) < share < facts.max_rate(group)
    rng = random.Random(3)
    for _ in range(2000):
        counts = [[rng.randint(s.min_capacity, s.max_capacity) for s in g] for g in groups]
        rates = [facts.rate_at(g, c) for g, c in zip(groups, counts, strict=True)]
        if sum(rates) > threshold:
            assert any(r > s for r, s in zip(rates, shares, strict=True))
    assert facts.split_threshold(threshold, [services[:10]]) == [threshold]
