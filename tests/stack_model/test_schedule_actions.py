"""The scheduled actions a service's working hours ask for (stack_model/schedule_actions.py), and
the real program creating them under the mock engine for staging: a schedule-only target (min
= max = 1, no tracking policy, min/max left to the schedule) and two actions per service."""

from __future__ import annotations

from collections.abc import Callable

from policies.guardrails.facts.types import SCALING_POLICY_TYPE, SCHEDULED_ACTION_TYPE
from stack_model.schedule_actions import SCHEDULE_OWNED, scheduled_actions, target_ignore_changes
from tests.support.configs import service_config
from z360_ecs.engine.program import ProgramRun

RunStack = Callable[..., ProgramRun]
SCHEDULE = {"timezone": "Europe/London", "wake": "cron(0 8 ? * MON-FRI *)",
            "sleep": "cron(0 20 ? * MON-FRI *)"}


def test_wake_puts_back_the_scaling_range_and_sleep_sets_zero():
    config = service_config(scaling={"enabled": True, "min": 2, "max": 20}, schedule=SCHEDULE)
    wake, sleep = scheduled_actions(config)
    assert (wake.role, wake.min_capacity, wake.max_capacity) == ("wake", 2, 20)
    assert (sleep.role, sleep.min_capacity, sleep.max_capacity) == ("sleep", 0, 0)
    assert wake.timezone == sleep.timezone == "Europe/London"
    assert target_ignore_changes(config) == SCHEDULE_OWNED


def test_without_a_schedule_nothing_is_scheduled_and_nothing_ignored():
    config = service_config(scaling={"enabled": True, "min": 2, "max": 20})
    assert scheduled_actions(config) == [] and target_ignore_changes(config) == ()


def test_staging_under_the_mock_engine_sleeps_out_of_working_hours(run_stack: RunStack):
    run = run_stack("staging")
    assert not [r for r in run.resources if r.type == SCALING_POLICY_TYPE]
    actions = [r for r in run.resources if r.type == SCHEDULED_ACTION_TYPE]
    assert len(actions) == 12
    for key in ("web", "queue", "reverb", "gateway", "aegra", "voice"):
        target = run.named(f"{key}-scaling-target")
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 1)
        # The trap of terraform-aws-ecs#422: an `up` must not put min/max back at night.
        assert set(SCHEDULE_OWNED) <= set(target.ignore_changes), target.urn
        assert "desiredCount" in run.named(f"{key}-service").ignore_changes
        wake, sleep = run.named(f"{key}-wake"), run.named(f"{key}-sleep")
        assert wake.inputs["scalableTargetAction"] == {"minCapacity": 1, "maxCapacity": 1}
        assert sleep.inputs["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
        assert wake.inputs["schedule"] == "cron(0 8 ? * MON-FRI *)"
        assert sleep.inputs["timezone"] == wake.inputs["timezone"] == "Asia/Karachi"
        assert wake.inputs["resourceId"] == target.inputs["resourceId"]
