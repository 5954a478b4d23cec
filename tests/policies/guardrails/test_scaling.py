"""Scaling rules (policies/guardrails/scaling.py): resource rules through the SDK's real Analyze
path, the stack rules through its AnalyzeStack path. Each policy has compliant, non-compliant and
not-applicable cases (`policy_case` marks, tests/policies/conftest.py)."""

from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import scaling
from policies.guardrails.facts.types import (
    SCALING_POLICY_TYPE,
    SCHEDULED_ACTION_TYPE,
    TARGET_TYPE,
    TOPIC_TYPE,
)
from tests.support.policy_estate import CLUSTER, estate
from tests.support.policy_resources import (
    LIVE_WEB_RESOURCE_ID,
    backlog_policy,
    resolution_stack,
    target,
    tracking_policy,
)
from tests.support.policy_sdk import REMOVE, changed, sdk_analyze, sdk_analyze_stack

TARGET = TARGET_TYPE
POLICY = SCALING_POLICY_TYPE
ALL = scaling.RESOURCE_POLICIES
STACK = scaling.STACK_POLICIES
TARGET_RULES = ("max-capacity-ceiling", "capacity-bounds")
TRACKING_RULES = ("scaling-cooldowns", "target-utilisation-bounds", "target-utilisation-preferred",
                  "scale-in-enabled")


@pytest.mark.policy_case("compliant", *TARGET_RULES, *TRACKING_RULES)
def test_compliant_target_and_policy_have_no_violations():
    assert sdk_analyze(ALL, TARGET, target()).violations == []
    assert sdk_analyze(ALL, POLICY, tracking_policy()).violations == []


@pytest.mark.policy_case("non-compliant", "max-capacity-ceiling")
def test_max_capacity_above_ceiling_is_mandatory_with_the_config_key():
    outcome = sdk_analyze(ALL, TARGET, target(maxCapacity=60))
    assert outcome.levels("max-capacity-ceiling") == {"mandatory"}
    assert outcome.messages("max-capacity-ceiling")[0].startswith(
        "beta web: maxCapacity 60 exceeds the ceiling 50 "
        "(policy config max-capacity-ceiling.ceilings.web)"
    )


def test_ceiling_comes_from_policy_config_when_given():
    config = {"max-capacity-ceiling": {"ceilings": {"web": 40}}}
    outcome = sdk_analyze(ALL, TARGET, target(maxCapacity=45), config=config)
    assert "exceeds the ceiling 40" in outcome.messages("max-capacity-ceiling")[0]


def test_unlisted_service_gets_the_default_ceiling():
    props = target(maxCapacity=scaling.DEFAULT_CEILING + 1,
                   tags={"z360:service": "billing", "z360:environment": "beta"})
    message = sdk_analyze(ALL, TARGET, props).messages("max-capacity-ceiling")[0]
    assert f"ceiling {scaling.DEFAULT_CEILING}" in message
    assert "defaultCeiling" in message


def test_untagged_target_is_matched_by_resource_id_not_arn():
    props = target(maxCapacity=51, tags=REMOVE)
    message = sdk_analyze(ALL, TARGET, props).messages("max-capacity-ceiling")[0]
    assert "ceilings.web" in message


@pytest.mark.policy_case("not-applicable", "max-capacity-ceiling")
def test_target_outside_ecs_is_not_applicable():
    outcome = sdk_analyze(ALL, TARGET, target(serviceNamespace="dynamodb", maxCapacity=500))
    assert "max-capacity-ceiling" in outcome.not_applicable
    assert outcome.messages("max-capacity-ceiling") == []


@pytest.mark.policy_case("not-applicable", *TARGET_RULES, *TRACKING_RULES)
def test_scaling_policies_do_not_apply_to_other_types():
    outcome = sdk_analyze(ALL, TOPIC_TYPE, {"name": "t"})
    assert {p.name for p in ALL} <= outcome.not_applicable


def test_unknown_max_capacity_during_preview_is_not_a_violation():
    outcome = sdk_analyze(ALL, TARGET, target(maxCapacity=UNKNOWN))
    assert outcome.violations == []
    assert {"max-capacity-ceiling", "capacity-bounds"} <= outcome.unknown


@pytest.mark.policy_case("non-compliant", "capacity-bounds")
def test_min_above_max_violates_capacity_bounds():
    outcome = sdk_analyze(ALL, TARGET, target(minCapacity=5, maxCapacity=3))
    assert outcome.levels("capacity-bounds") == {"mandatory"}
    assert "minCapacity 5 is above maxCapacity 3" in outcome.messages("capacity-bounds")[0]


def test_negative_min_violates_capacity_bounds():
    assert sdk_analyze(ALL, TARGET, target(minCapacity=-1)).messages("capacity-bounds")


def test_max_above_task_quota_violates_capacity_bounds():
    config = {"capacity-bounds": {"maxTasksPerService": 40}}
    outcome = sdk_analyze(ALL, TARGET, target(maxCapacity=45), config=config)
    assert "exceeds 40 tasks per service" in outcome.messages("capacity-bounds")[0]
    default = sdk_analyze(ALL, TARGET, target(maxCapacity=scaling.MAX_TASKS_PER_SERVICE + 1))
    assert default.messages("capacity-bounds")


@pytest.mark.policy_case("non-compliant", "scaling-cooldowns")
def test_slow_scale_out_violates_cooldowns():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(scaleOutCooldown=120))
    assert outcome.levels("scaling-cooldowns") == {"mandatory"}
    assert "scaleOutCooldown 120 s exceeds 60 s" in outcome.messages("scaling-cooldowns")[0]


def test_unset_cooldowns_are_judged_as_awss_300_seconds():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(scaleOutCooldown=REMOVE))
    assert "scaleOutCooldown unset (AWS uses 300 s)" in outcome.messages("scaling-cooldowns")[0]
    unset_in = sdk_analyze(ALL, POLICY, tracking_policy(scaleInCooldown=REMOVE))
    assert unset_in.messages("scaling-cooldowns") == []  # 300 s meets the 300 s floor


def test_fast_scale_in_violates_cooldowns():
    messages = sdk_analyze(ALL, POLICY, tracking_policy(scaleInCooldown=120)).messages("scaling-cooldowns")
    assert any("scaleInCooldown 120 s is below 300 s" in m for m in messages)


def test_scale_in_faster_than_scale_out_violates_cooldowns():
    config = {"scaling-cooldowns": {"maxScaleOutCooldown": 900}}
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(scaleOutCooldown=700), config=config)
    assert any("shorter than" in m for m in outcome.messages("scaling-cooldowns"))


@pytest.mark.policy_case("not-applicable", *TRACKING_RULES)
def test_step_scaling_policy_is_not_applicable():
    props = tracking_policy()
    props["policyType"] = "StepScaling"
    del props["targetTrackingScalingPolicyConfiguration"]
    outcome = sdk_analyze(ALL, POLICY, props)
    assert {"scaling-cooldowns", "target-utilisation-bounds", "scale-in-enabled",
            "target-utilisation-preferred"} <= outcome.not_applicable


@pytest.mark.policy_case("non-compliant", "target-utilisation-bounds")
def test_target_value_outside_40_85_is_mandatory():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(targetValue=90))
    assert outcome.levels("target-utilisation-bounds") == {"mandatory"}
    assert "targetValue 90 % lies outside 40-85 %" in outcome.messages("target-utilisation-bounds")[0]


@pytest.mark.policy_case("non-compliant", "target-utilisation-preferred")
@pytest.mark.policy_case("compliant", "target-utilisation-bounds")
def test_target_value_outside_60_70_is_only_advisory():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(targetValue=75))
    assert outcome.messages("target-utilisation-bounds") == []
    assert outcome.levels("target-utilisation-preferred") == {"advisory"}


@pytest.mark.policy_case("non-compliant", "scale-in-enabled")
def test_disabled_scale_in_is_advisory():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(disableScaleIn=True))
    assert outcome.levels("scale-in-enabled") == {"advisory"}


def test_unknown_target_value_is_not_a_violation():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy(targetValue=UNKNOWN))
    assert outcome.violations == []
    assert "target-utilisation-bounds" in outcome.unknown


# --- queue-backlog-per-task ---------------------------------------------------------------------

BACKLOG_RULE = "queue-backlog-per-task"


@pytest.mark.policy_case("compliant", BACKLOG_RULE)
def test_backlog_over_its_own_task_count_is_compliant_and_not_a_utilisation():
    outcome = sdk_analyze(ALL, POLICY, backlog_policy())
    assert outcome.violations == []
    # 120 jobs per task is a count: the utilisation bands (40-85 %) do not judge it.
    assert {"target-utilisation-bounds", "target-utilisation-preferred"} <= outcome.not_applicable


@pytest.mark.policy_case("non-compliant", BACKLOG_RULE)
def test_backlog_target_under_one_job_per_task_is_mandatory():
    outcome = sdk_analyze(ALL, POLICY, backlog_policy(targetValue=0.5))
    assert outcome.levels(BACKLOG_RULE) == {"mandatory"}
    message = outcome.messages(BACKLOG_RULE)[0]
    assert "targetValue 0.5 jobs per task is under 1" in message
    assert "acceptableLatency" in message


def test_backlog_of_exactly_one_job_per_task_is_reachable():
    assert sdk_analyze(ALL, POLICY, backlog_policy(targetValue=1)).messages(BACKLOG_RULE) == []


@pytest.mark.parametrize("divisor, expression, why", [
    ([{"name": "ClusterName", "value": "z360-beta"},
      {"name": "ServiceName", "value": "z360-beta-web"}], "depth / tasks", "z360-beta-web"),
    ([{"name": "ClusterName", "value": "z360-beta"}], "depth / tasks", "not service"),
    (None, "depth", "is not <queue depth> / <task count>"),
    (None, "tasks / depth", "is not <queue depth> / <task count>"),
])
def test_backlog_not_divided_by_its_own_task_count_is_mandatory(divisor, expression, why):
    outcome = sdk_analyze(ALL, POLICY, backlog_policy(divisor=divisor, expression=expression))
    assert outcome.levels(BACKLOG_RULE) == {"mandatory"}
    assert why in outcome.messages(BACKLOG_RULE)[0]


@pytest.mark.policy_case("not-applicable", BACKLOG_RULE)
def test_policy_reading_no_queue_depth_is_not_applicable_to_the_backlog_rule():
    outcome = sdk_analyze(ALL, POLICY, tracking_policy())
    assert BACKLOG_RULE in outcome.not_applicable


# --- scaling-tracks-cpu-and-memory (stack) -------------------------------------------------------


@pytest.mark.policy_case("compliant", "scaling-tracks-cpu-and-memory")
def test_targets_with_cpu_and_memory_tracking_are_compliant():
    outcome = sdk_analyze_stack(STACK, estate())
    assert outcome.violations == []


@pytest.mark.policy_case("non-compliant", "scaling-tracks-cpu-and-memory")
def test_target_without_memory_tracking_is_mandatory():
    outcome = sdk_analyze_stack(STACK, estate(drop={"web-memory-scaling"}))
    assert outcome.levels("scaling-tracks-cpu-and-memory") == {"mandatory"}
    message = outcome.messages("scaling-tracks-cpu-and-memory")[0]
    assert "beta web" in message and "no memory target-tracking policy" in message


def test_backlog_per_task_stands_in_for_cpu_but_a_look_alike_does_not():
    own = estate(drop={"queue-cpu-scaling"}) + [
        (POLICY, "queue-backlog-scaling", backlog_policy())]
    assert sdk_analyze_stack(STACK, own).messages("scaling-tracks-cpu-and-memory") == []
    other = [{"name": "ClusterName", "value": "z360-beta"},
             {"name": "ServiceName", "value": "z360-beta-web"}]
    look_alike = estate(drop={"queue-cpu-scaling"}) + [
        (POLICY, "queue-backlog-scaling", backlog_policy(divisor=other))]
    message = sdk_analyze_stack(STACK, look_alike).messages("scaling-tracks-cpu-and-memory")[0]
    assert "queue" in message and "no CPU target-tracking policy" in message


@pytest.mark.policy_case("not-applicable", "scaling-tracks-cpu-and-memory")
def test_stack_without_scalable_targets_is_not_applicable_to_tracking_policy():
    resources = [r for r in estate() if r[0] != TARGET_TYPE]
    outcome = sdk_analyze_stack(STACK, resources)
    assert "scaling-tracks-cpu-and-memory" in outcome.not_applicable


# --- high-resolution-needs-20s-metrics (stack) ---------------------------------------------------

HIGH = "ECSServiceAverageCPUUtilizationHighResolution"
POLICY_RULE = "high-resolution-needs-20s-metrics"


@pytest.mark.policy_case("compliant", POLICY_RULE)
def test_high_resolution_policy_on_a_20s_service_is_compliant():
    outcome = sdk_analyze_stack(STACK, resolution_stack(20, HIGH))
    assert outcome.messages(POLICY_RULE) == []


@pytest.mark.policy_case("non-compliant", POLICY_RULE)
def test_high_resolution_policy_on_a_60s_service_is_mandatory():
    for resources in (resolution_stack(60, HIGH), resolution_stack(60, HIGH, native=False)):
        outcome = sdk_analyze_stack(STACK, resources)
        assert outcome.levels(POLICY_RULE) == {"mandatory"}
        assert "never get data" in outcome.messages(POLICY_RULE)[0]
        assert "ECSServiceAverageCPUUtilization" in outcome.messages(POLICY_RULE)[0]


@pytest.mark.policy_case("not-applicable", POLICY_RULE)
def test_high_resolution_rule_does_not_apply_to_standard_policies():
    outcome = sdk_analyze_stack(STACK, resolution_stack(60, "ECSServiceAverageCPUUtilization"))
    assert POLICY_RULE in outcome.not_applicable


# --- scheduled actions: max-capacity-ceiling and scheduled-action-schedule -------------------------

SCHEDULED = SCHEDULED_ACTION_TYPE


def scheduled_action(**changes):
    """A compliant wake action on beta web: 1..50 at 08:00 on weekdays, London time."""
    return changed({
        "name": "z360-beta-web-wake",
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": LIVE_WEB_RESOURCE_ID,
        "schedule": "cron(0 8 ? * MON-FRI *)",
        "timezone": "Europe/London",
        "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 50},
    }, **changes)


@pytest.mark.policy_case("compliant", "scheduled-action-schedule")
def test_a_scheduled_action_within_its_ceiling_and_with_a_valid_schedule_is_compliant():
    assert sdk_analyze(ALL, SCHEDULED, scheduled_action()).violations == []


@pytest.mark.policy_case("non-compliant", "max-capacity-ceiling")
def test_a_scheduled_max_above_the_ceiling_is_mandatory():
    outcome = sdk_analyze(ALL, SCHEDULED, scheduled_action(
        scalableTargetAction={"minCapacity": 1, "maxCapacity": 60}))
    assert outcome.levels("max-capacity-ceiling") == {"mandatory"}
    assert "scalableTargetAction.maxCapacity 60 exceeds the ceiling 50 (policy config " \
        "max-capacity-ceiling.ceilings.web)" in outcome.messages("max-capacity-ceiling")[0]


def test_a_sleep_action_setting_no_max_is_not_judged_by_the_ceiling():
    outcome = sdk_analyze(ALL, SCHEDULED, scheduled_action(
        scalableTargetAction={"minCapacity": 0}))
    assert "max-capacity-ceiling" in outcome.not_applicable


@pytest.mark.policy_case("non-compliant", "scheduled-action-schedule")
@pytest.mark.parametrize(("changes", "expected"), [
    ({"schedule": "cron(0 8 ? * MON-FRI)"}, "has 5 fields"),
    ({"schedule": "cron(0 8 * * MON-FRI *)"}, "needs '?' in exactly one"),
    ({"schedule": "cron(0 24 ? * MON-FRI *)"}, "hours '24' is not a value 0-23"),
    ({"schedule": "0 8 * * 1-5"}, "is not at(yyyy-mm-ddThh:mm:ss), rate(value unit)"),
    ({"timezone": "Europe/Londres"}, "timezone 'Europe/Londres' is not an IANA time zone"),
])
def test_a_schedule_or_time_zone_aws_refuses_is_mandatory(changes, expected):
    outcome = sdk_analyze(ALL, SCHEDULED, scheduled_action(**changes))
    assert outcome.levels("scheduled-action-schedule") == {"mandatory"}
    assert expected in outcome.messages("scheduled-action-schedule")[0]


@pytest.mark.policy_case("not-applicable", "scheduled-action-schedule")
def test_the_schedule_rule_does_not_apply_to_a_scalable_target():
    assert "scheduled-action-schedule" in sdk_analyze(ALL, TARGET, target()).not_applicable


def _schedule_only(**action_changes):
    """The estate with web's tracking policies replaced by a wake and a sleep action."""
    resources = estate(drop={"web-cpu-scaling", "web-memory-scaling"})
    base = {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
            "resourceId": f"service/{CLUSTER}/z360-beta-web", "timezone": "Europe/London"}
    wake = changed({**base, "schedule": "cron(0 8 ? * MON-FRI *)",
                    "scalableTargetAction": {"minCapacity": 1, "maxCapacity": 1}},
                   **action_changes)
    sleep = changed({**base, "schedule": "cron(0 20 ? * MON-FRI *)",
                     "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}},
                    **action_changes)
    return [*resources, (SCHEDULED, "web-wake", wake), (SCHEDULED, "web-sleep", sleep)]


@pytest.mark.policy_case("compliant", "scaling-tracks-cpu-and-memory")
def test_a_schedule_only_target_needs_no_tracking_policy():
    outcome = sdk_analyze_stack(STACK, _schedule_only())
    assert outcome.messages("scaling-tracks-cpu-and-memory") == []


@pytest.mark.parametrize("look_alike", [
    {"resourceId": f"service/{CLUSTER}/z360-beta-queue-old"},
    {"scalableDimension": "ecs:service:RunningCount"},
    {"serviceNamespace": "dynamodb"},
])
def test_a_scheduled_action_of_another_target_does_not_excuse_web(look_alike):
    outcome = sdk_analyze_stack(STACK, _schedule_only(**look_alike))
    assert any("beta web" in m for m in outcome.messages("scaling-tracks-cpu-and-memory"))
