"""metricResolution and alarm periods: the stack config refuses a period the metric cannot fill,
naming the key, the value and what is allowed (policies/guardrails/facts/metrics.py, called from
stack_model/config/models.py: AlarmsConfig for what no resolution fills, ServiceConfig for the
service's own resolution)."""

from __future__ import annotations

import pytest

from stack_model.config import ConfigError
from tests.support.config_mutations import both, load, setter


@pytest.mark.parametrize("resolution,period", [(60, 60), (60, 300), (20, 20), (20, 60)])
def test_periods_the_metric_fills_are_accepted(resolution, period):
    config = load("beta", both(setter("queue", "metricResolution", value=resolution),
                               setter("queue", "alarms", "period", value=period)))
    assert config.services["queue"].metric_resolution == resolution


@pytest.mark.parametrize("resolution,period,words", [
    (60, 20, "arrive every 60 s, so a 20 s period has no datapoint"),
    (60, 20, "or set metricResolution: 20"),
    (60, 10, "20 only with metricResolution: 20"),
    (20, 30, "30 s periods hold one datapoint or none"),
    (20, 10, "use 20 or a multiple of 60"),
])
def test_periods_the_metric_cannot_fill_are_refused(resolution, period, words):
    with pytest.raises(ConfigError) as refused:
        load("beta", both(setter("queue", "metricResolution", value=resolution),
                          setter("queue", "alarms", "period", value=period)))
    (problem,) = refused.value.problems
    assert problem.startswith("services.queue.alarms.period")
    assert f"{period} s" in problem and words in problem


def test_resolution_other_than_20_or_60_is_refused():
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("queue", "metricResolution", value=30))
    assert "services.queue.metricResolution" in refused.value.problems[0]
