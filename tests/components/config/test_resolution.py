"""metricResolution and alarm periods: the stack config refuses a period the metric cannot fill,
naming the key, the value and what is allowed (components/config/resolution.py)."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from tests.components.config.test_errors import both, load, setter


@pytest.mark.parametrize("resolution,period", [(60, 60), (60, 300), (20, 20), (20, 60)])
def test_periods_the_metric_fills_are_accepted(resolution, period):
    config = load("beta", both(setter("queue", "metricResolution", value=resolution),
                               setter("queue", "alarms", "period", value=period)))
    assert config.services["queue"].metric_resolution == resolution


@pytest.mark.parametrize("resolution,period,words", [
    (60, 20, "shorter than the service's 60 s metrics"),
    (60, 10, "set metricResolution: 20"),
    (20, 30, "not a multiple of the service's 20 s metrics"),
    (20, 10, "use 20, or 60 or more"),
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
