"""Budget rules (policies/guardrails/budgets.py), through the SDK's real AnalyzeStack path: each
policy has compliant, non-compliant and not-applicable cases (`policy_case` marks,
tests/policies/conftest.py), starting from a compliant estate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import budgets
from policies.guardrails.facts.fargate import SPOT_DISCOUNT_RANGE, monthly_task_cost, to_cents
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    SCHEDULED_ACTION_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
)
from tests.support.policy_estate import CLUSTER, estate, replace
from tests.support.policy_sdk import sdk_analyze_stack

ALL = budgets.STACK_POLICIES
PER_TASK = monthly_task_cost(1024, 2048, "X86_64")  # the estate's task size


def _budgets(*props):
    """The estate with its budget replaced by budgets with these props."""
    resources = [r for r in estate() if r[0] != BUDGET_TYPE]
    return resources + [(BUDGET_TYPE, f"budget-{i}", p) for i, p in enumerate(props)]


def _budget(**changes):
    """The estate's compliant budget's props, changed."""
    [props] = [p for t, _, p in estate() if t == BUDGET_TYPE]
    return {**props, **changes}


# --- budget-monthly-cost ---------------------------------------------------------------------


@pytest.mark.policy_case("compliant", "budget-monthly-cost")
def test_monthly_cost_budget_that_notifies_is_compliant():
    outcome = sdk_analyze_stack(ALL, estate())
    assert outcome.messages("budget-monthly-cost") == []
    assert "budget-monthly-cost" not in outcome.not_applicable


def test_budget_notifying_only_a_topic_is_compliant():
    notification = {"threshold": 80, "notificationType": "FORECASTED",
                    "subscriberSnsTopicArns": ["arn:aws:sns:us-east-1:108782097218:alerts"]}
    resources = replace(estate(), "monthly-budget", notifications=[notification])
    assert sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost") == []


@pytest.mark.policy_case("non-compliant", "budget-monthly-cost")
def test_budget_that_is_not_monthly_cost_is_mandatory():
    resources = replace(estate(), "monthly-budget", timeUnit="QUARTERLY")
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.levels("budget-monthly-cost") == {"mandatory"}
    assert "timeUnit is 'QUARTERLY', not MONTHLY" in outcome.messages("budget-monthly-cost")[0]


def test_usage_budget_is_a_violation():
    resources = replace(estate(), "monthly-budget", budgetType="USAGE")
    message = sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost")[0]
    assert message.startswith("budget z360-monthly: budgetType is 'USAGE', not COST")


def test_budget_without_notifications_is_a_violation():
    resources = replace(estate(), "monthly-budget", notifications=[])
    assert "no notifications" in sdk_analyze_stack(ALL, resources).messages(
        "budget-monthly-cost")[0]


def test_notification_without_subscriber_is_a_violation():
    resources = replace(estate(), "monthly-budget", notifications=[
        {"threshold": 500, "notificationType": "ACTUAL", "subscriberEmailAddresses": []}])
    messages = sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost")
    assert "notification 1 has no subscriber" in messages[0]


def test_one_good_budget_among_bad_ones_is_enough():
    resources = _budgets(_budget(name="quarterly", timeUnit="QUARTERLY"), _budget())
    assert sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost") == []


def test_every_bad_budget_is_reported_when_none_is_good():
    resources = _budgets(_budget(name="quarterly", timeUnit="QUARTERLY"),
                         _budget(name="silent", notifications=[]))
    messages = sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost")
    assert [m.split(":")[0] for m in messages] == ["budget quarterly", "budget silent"]


def test_unknown_subscribers_during_preview_are_not_a_violation():
    resources = replace(estate(), "monthly-budget", notifications=[
        {"threshold": 500, "notificationType": "ACTUAL", "subscriberSnsTopicArns": UNKNOWN}])
    assert sdk_analyze_stack(ALL, resources).messages("budget-monthly-cost") == []


@pytest.mark.policy_case("not-applicable", "budget-monthly-cost")
def test_stack_without_budget_is_not_applicable_to_budget_monthly_cost():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit=None))
    assert outcome.not_applicable_reasons["budget-monthly-cost"] == "this stack declares no budget"
    assert outcome.messages("budget-monthly-cost") == []


# --- worst-case-cost -------------------------------------------------------------------------


@pytest.mark.policy_case("compliant", "worst-case-cost")
def test_worst_case_within_budget_is_compliant():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="100000"))
    assert outcome.messages("worst-case-cost") == []
    assert "worst-case-cost" not in outcome.not_applicable


@pytest.mark.policy_case("non-compliant", "worst-case-cost")
def test_worst_case_above_budget_is_advisory_with_the_figures():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="1000"))
    assert outcome.levels("worst-case-cost") == {"advisory"}
    total = to_cents(PER_TASK * 70)
    message = outcome.messages("worst-case-cost")[0]
    assert f"${total:,} a month" in message
    assert f"web 50 x ${to_cents(PER_TASK):,} = ${to_cents(PER_TASK * 50):,}" in message
    assert "limit $1,000.00" in message


def test_worst_case_threshold_comes_from_policy_config():
    limit = str(int(PER_TASK * 70 / Decimal("0.9")))  # worst case is ~90 % of the limit
    assert sdk_analyze_stack(ALL, estate(budget_limit=limit)).messages("worst-case-cost") == []
    config = {"worst-case-cost": {"maxPercentOfBudget": 80}}
    assert sdk_analyze_stack(ALL, estate(budget_limit=limit), config=config).messages(
        "worst-case-cost")


def test_fixed_count_service_is_counted_at_its_desired_count():
    tags = {"z360:service": "queue", "z360:environment": "beta"}
    resources = [r for r in estate(budget_limit="1000") if r[1] != "queue-scaling-target"]
    resources.append((SERVICE_TYPE, "queue-service", {"desiredCount": 3, "tags": tags}))
    message = sdk_analyze_stack(ALL, resources).messages("worst-case-cost")[0]
    assert f"queue 3 x ${to_cents(PER_TASK):,} = ${to_cents(PER_TASK * 3):,}" in message
    assert f"${to_cents(PER_TASK * 53):,} a month" in message


def test_arm_task_is_priced_at_the_arm_rate():
    resources = replace(estate(services=(("web", 1, 50, 10),), budget_limit="100"), "web-task",
                        runtimePlatform={"operatingSystemFamily": "LINUX",
                                         "cpuArchitecture": "ARM64"})
    arm = monthly_task_cost(1024, 2048, "ARM64")
    message = sdk_analyze_stack(ALL, resources).messages("worst-case-cost")[0]
    assert f"web 50 x ${to_cents(arm):,} = ${to_cents(arm * 50):,}" in message


def test_unknown_task_size_during_preview_skips_that_service_only():
    resources = replace(estate(budget_limit="1000"), "queue-task", cpu=UNKNOWN)
    message = sdk_analyze_stack(ALL, resources).messages("worst-case-cost")[0]
    assert f"${to_cents(PER_TASK * 50):,} a month" in message
    assert "queue" not in message.split("Per service:")[1]


@pytest.mark.policy_case("not-applicable", "worst-case-cost")
def test_stack_without_budget_is_not_applicable_to_worst_case_cost():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit=None))
    assert "worst-case-cost" in outcome.not_applicable
    assert outcome.messages("worst-case-cost") == []


def test_budget_that_is_not_monthly_cost_is_not_applicable_to_worst_case_cost():
    for change in ({"timeUnit": "QUARTERLY"}, {"budgetType": "USAGE"}):
        outcome = sdk_analyze_stack(ALL, replace(estate(budget_limit="1"), "monthly-budget",
                                                 **change))
        assert outcome.not_applicable_reasons["worst-case-cost"] == (
            "no monthly COST budget with a known limit"), change


def test_budget_with_unknown_or_unreadable_limit_is_not_applicable_to_worst_case_cost():
    for limit in (UNKNOWN, "lots"):
        outcome = sdk_analyze_stack(ALL, estate(budget_limit=limit))
        assert "worst-case-cost" in outcome.not_applicable, limit
        assert outcome.messages("worst-case-cost") == [], limit


def test_worst_case_rule_ignores_stacks_without_scalable_targets_or_services():
    resources = [r for r in estate(budget_limit="1") if r[0] != TARGET_TYPE]
    assert sdk_analyze_stack(ALL, resources).messages("worst-case-cost") == []


def test_worst_case_prices_the_tasks_a_strategy_puts_on_spot_as_a_range():
    """web at 50 on FARGATE base 1 weight 1 + FARGATE_SPOT weight 1: 26 on demand, 24 on Spot
    (the base first, then 49 by the weights, the odd one to the provider listed first). The rule judges
    the top of the range and prints both ends."""
    tags = {"z360:service": "web", "z360:environment": "beta"}
    strategy = [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    resources = estate(budget_limit="1000") + [
        (SERVICE_TYPE, "web-service", {"tags": tags, "capacityProviderStrategies": strategy})]
    message = sdk_analyze_stack(ALL, resources).messages("worst-case-cost")[0]
    low_discount, high_discount = SPOT_DISCOUNT_RANGE
    low = PER_TASK * 26 + PER_TASK * 24 * (1 - high_discount)
    high = PER_TASK * 26 + PER_TASK * 24 * (1 - low_discount)
    assert (f"web 50 x ${to_cents(PER_TASK):,} = ${to_cents(PER_TASK * 50):,} (24 on Spot: "
            f"${to_cents(low):,} to ${to_cents(high):,})") in message
    assert "with 24 tasks on Fargate Spot" in message


def _with_working_hours(resources, key="web", wake_max=50):
    base = {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
            "resourceId": f"service/{CLUSTER}/z360-beta-{key}", "timezone": "Europe/London"}
    return resources + [
        (SCHEDULED_ACTION_TYPE, f"{key}-wake", {
            **base, "schedule": "cron(0 8 ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": 1, "maxCapacity": wake_max}}),
        (SCHEDULED_ACTION_TYPE, f"{key}-sleep", {
            **base, "schedule": "cron(0 20 ? * MON-FRI *)",
            "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}}),
    ]


def test_a_service_on_working_hours_is_priced_at_its_hours_on():
    outcome = sdk_analyze_stack(ALL, _with_working_hours(estate(budget_limit="1000")))
    message = outcome.messages("worst-case-cost")[0]
    # 60 of 168 hours a week: the same fraction the program's pricing uses.
    web = PER_TASK * 50 * Decimal(60) / Decimal(168)
    assert f"web 50 x ${to_cents(web / 50):,} = ${to_cents(web):,}" in message
    assert f"${to_cents(web + PER_TASK * 20):,} a month" in message


def test_a_scheduled_max_above_the_targets_is_the_worst_case():
    outcome = sdk_analyze_stack(ALL, _with_working_hours(estate(budget_limit="1000"),
                                                         wake_max=60))
    assert "web 60 x" in outcome.messages("worst-case-cost")[0]
