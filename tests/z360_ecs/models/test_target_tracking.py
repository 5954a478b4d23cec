"""The target-tracking simulator against cases worked out by hand (see each test's comment)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policies.guardrails.facts.fargate import hourly_task_cost
from z360_ecs.models.target_tracking import (
    IDEAL_DELAYS,
    Assumptions,
    ProfileError,
    ServiceModel,
    parse_profile,
    simulate,
)


def _service(**changes) -> ServiceModel:
    settings = dict(
        name="svc", min_capacity=1, max_capacity=10, initial_count=1, cpu_target=50.0,
        memory_target=70.0, scale_out_cooldown_s=0, scale_in_cooldown_s=600,
        hourly_task_cost=hourly_task_cost(256, 512, "X86_64"),
    )
    settings.update(changes)
    return ServiceModel(**settings)


# The hand-worked cases use the idealised model (no publishing or action delay, 60 s metrics);
# the calibrated delays are tested against AWS's figures in test_calibration.py.
ONE_MINUTE_START = Assumptions(task_start_delay_s=60, memory_utilisation=40.0, **IDEAL_DELAYS)


def _counts(result) -> list[tuple[int, int, int]]:
    return [(a.at_minute, a.from_count, a.to_count) for a in result.activities]


def test_step_crossing_target_scales_out_after_three_datapoints_and_overshoots_without_cooldown():
    # 1.5x at target 50 % puts one task at 75 %. Minutes 5, 6, 7 breach, so AlarmHigh acts at
    # minute mark 8: ceil(1 x 75 / 50) = 2. The new task only carries load from mark 9, so
    # minute 8 still reads 75 % and the alarm, still in ALARM, acts again: ceil(2 x 75/50) = 3.
    # From minute 9 two tasks share the load (37.5 %): no further action.
    result = simulate(_service(), parse_profile("step:1.5x@5"), 20, ONE_MINUTE_START)
    assert _counts(result)[:2] == [(8, 1, 2), (9, 2, 3)]
    assert result.minutes[7].cpu == 75.0 and result.minutes[9].cpu == 37.5
    assert result.summary()["secondsToFirstScaleOut"] == 180


def test_scale_out_cooldown_counts_the_capacity_already_added():
    # As above, but inside a 300 s scale-out cooldown the second request starts from the
    # capacity before the first scale-out: ceil(1 x 75 / 50) = 2, which adds nothing.
    result = simulate(_service(scale_out_cooldown_s=300), parse_profile("step:1.5x@5"), 20,
                      ONE_MINUTE_START)
    assert _counts(result) == [(8, 1, 2)]


def test_publishing_delay_delays_the_first_scale_out_by_that_much():
    lagged = Assumptions(task_start_delay_s=60, **{**IDEAL_DELAYS, "publish_delay_60_s": 60})
    result = simulate(_service(), parse_profile("step:1.5x@5"), 20, lagged)
    assert result.activities[0].at_minute == 9


def test_scale_in_is_held_for_the_cooldown_then_steps_down():
    # Eight tasks at load 1x: CPU 6.25 %, memory 40 %, both under 90 % of their targets
    # (45 and 63). AlarmLow needs 15 datapoints: minutes 0-14, so the first scale-in is at
    # mark 15. Capacity is the larger of the policies' wishes: CPU ceil(8 x 6.25/50) = 1,
    # memory ceil(8 x 40/70) = 5, so 8 -> 5. The 600 s cooldown holds marks 16-24; then
    # ceil(5 x 40/70) = 3 at mark 25, ceil(3 x 40/70) = 2 at mark 35, and ceil(2 x 40/70) = 2
    # stops there.
    result = simulate(_service(initial_count=8), parse_profile("flat:1x"), 50, ONE_MINUTE_START)
    assert _counts(result) == [(15, 8, 5), (25, 5, 3), (35, 3, 2)]
    held = [m.minute + 1 for m in result.minutes if "held" in m.event]
    assert held == list(range(16, 25)) + list(range(26, 35))


def test_scale_in_needs_every_policy_to_agree():
    # Memory at 65 % is not below 90 % of its 70 % target: the CPU policy alone cannot scale in.
    busy_memory = Assumptions(task_start_delay_s=60, memory_utilisation=65.0, **IDEAL_DELAYS)
    result = simulate(_service(initial_count=8), parse_profile("flat:1x"), 40, busy_memory)
    assert result.activities == []


def test_scale_out_needs_only_one_policy():
    # Memory at 80 % above its 70 % target scales out though CPU sits at 50 %, its target:
    # marks 3 (ceil(1 x 80/70) = 2), then every minute the alarm stays in ALARM.
    hot_memory = Assumptions(task_start_delay_s=60, memory_utilisation=80.0, **IDEAL_DELAYS)
    result = simulate(_service(max_capacity=3), parse_profile("flat:1x"), 10, hot_memory)
    assert result.activities[0].at_minute == 3
    assert result.activities[0].cause == "memory AlarmHigh"


def test_max_capacity_caps_scale_out():
    # 10x at target 50 %: one task at 100 %. Mark 5: ceil(1 x 100/50) = 2. Mark 6: minute 5
    # still one task, ceil(2 x 2) = 4 capped to 3. Mark 7 onwards asks for 6, capped to 3:
    # nothing more happens and CPU stays at 100 %.
    result = simulate(_service(max_capacity=3), parse_profile("step:10x@2"), 15,
                      ONE_MINUTE_START)
    assert _counts(result) == [(5, 1, 2), (6, 2, 3)]
    assert result.summary()["reachedMaxCapacity"] is True
    assert result.minutes[-1].cpu == 100.0 and result.minutes[-1].running == 3


def test_cost_of_one_task_for_an_hour_is_its_hourly_price():
    result = simulate(_service(), parse_profile("flat:1x"), 60, ONE_MINUTE_START)
    assert result.activities == []
    assert result.minutes[-1].cost_so_far.quantize(Decimal("0.000001")) == hourly_task_cost(
        256, 512, "X86_64").quantize(Decimal("0.000001"))


def test_new_tasks_are_billed_from_launch_but_carry_load_after_the_start_delay():
    slow = Assumptions(task_start_delay_s=120, **IDEAL_DELAYS)
    result = simulate(_service(max_capacity=2), parse_profile("step:1.5x@0"), 8, slow)
    # Scale-out at mark 3; the task is ready at mark 5, so running becomes 2 at minute 4's end.
    assert _counts(result) == [(3, 1, 2)]
    assert [m.running for m in result.minutes[2:5]] == [1, 1, 2]
    assert [m.desired for m in result.minutes[2:5]] == [2, 2, 2]


@pytest.mark.parametrize("profile, minute, expected", [
    ("step:10x@5", 4, 1.0), ("step:10x@5", 5, 10.0), ("step:10x@5,2x@9", 9, 2.0),
    ("ramp:1x-11x@0-10", 5, 6.0), ("ramp:1x-11x@0-10", 30, 11.0),
    ("spike:4x@3+2", 4, 4.0), ("spike:4x@3+2", 5, 1.0), ("flat:2.5x", 0, 2.5),
])
def test_profiles(profile, minute, expected):
    assert parse_profile(profile)(minute) == expected


@pytest.mark.parametrize("profile", ["step:10@5", "wave:3x", "ramp:1x-2x@5-5", "spike:2x@1"])
def test_bad_profiles_name_the_value_and_the_allowed_form(profile):
    with pytest.raises(ProfileError, match="--load"):
        parse_profile(profile)
