"""The simulator against AWS's published measurements of ECS target tracking.

Source: AWS News Blog, "Amazon ECS introduces new high-resolution metrics for faster service
auto scaling" (June 2026), AWS's benchmark of a load step on a Fargate service: load step ->
scale-out trigger 363 s with 60-second metrics and 86 s with 20-second ones; load step -> new
capacity 386 s and 109 s. Tolerance: 15 % of each figure.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from z360_ecs.common import read_stack_config
from z360_ecs.models.target_tracking import Assumptions, ServiceModel, parse_profile, simulate

TOLERANCE = 0.15
AWS_FIGURES = {  # resolution -> (seconds to trigger, seconds to new capacity)
    60: (363, 386),
    20: (86, 109),
}


def _web(resolution: int, cooldown: int = 0) -> ServiceModel:
    web = read_stack_config("beta").services["web"]
    return replace(ServiceModel.from_config("web", web), metric_resolution_s=resolution,
                   scale_out_cooldown_s=cooldown)


@pytest.mark.parametrize("resolution", [60, 20])
def test_default_assumptions_reproduce_aws_measurements_within_15_percent(resolution):
    result = simulate(_web(resolution), parse_profile("step:10x@5"), 40, Assumptions())
    summary = result.summary()
    trigger, capacity = AWS_FIGURES[resolution]
    assert summary["secondsToTrigger"] == pytest.approx(trigger, rel=TOLERANCE)
    assert summary["secondsToFirstScaleOut"] == pytest.approx(capacity, rel=TOLERANCE)


def test_zero_cooldown_overshoots_while_tasks_start_and_a_short_one_does_not():
    # 10x at target 60 % needs 10 tasks. With 20 s metrics and no cooldown the alarm keeps
    # asking every minute while the tasks it asked for start: 29 tasks. A 150 s cooldown (the
    # task start plus a metric's delay) stops at 10, at the price of a slower relief.
    load = parse_profile("step:10x@5")
    eager = simulate(_web(20, 0), load, 60, Assumptions()).summary()
    patient = simulate(_web(20, 150), load, 60, Assumptions()).summary()
    assert eager["peakDesired"] == 29 and patient["peakDesired"] == 10
    assert eager["minutesUntilCpuAtOrBelowTarget"] < patient["minutesUntilCpuAtOrBelowTarget"]


