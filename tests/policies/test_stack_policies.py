"""Stack rules (joins) and budget rules, through the SDK's real AnalyzeStack path."""

from __future__ import annotations

from decimal import Decimal

from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import budgets, stack_policies
from policies.guardrails.fargate import monthly_task_cost, to_cents
from tests.policies.sdk import changed, sdk_analyze_stack

ALL = [*stack_policies.POLICIES, *budgets.POLICIES]
CLUSTER = "z360-beta"


def _rid(service):
    return f"service/{CLUSTER}/z360-beta-{service}"


def estate(services=(("web", 1, 50, 10), ("queue", 1, 20, None)), insights="enabled",
           budget_limit="2500", drop=()):
    """A compliant beta-like stack as (type, name, props): cluster, per service a task
    definition (1 vCPU / 2 GB), target, CPU and memory policies and an optional spike alarm,
    and a budget. `drop` removes resources by name."""
    resources = [(stack_policies.CLUSTER_TYPE, "app-cluster", {
        "name": CLUSTER, "settings": [{"name": "containerInsights", "value": insights}]})]
    for key, low, high, spike in services:
        tags = {"z360:service": key, "z360:environment": "beta"}
        resources.append((stack_policies.TASK_DEFINITION_TYPE, f"{key}-task", {
            "family": f"z360-beta-{key}", "cpu": "1024", "memory": "2048",
            "requiresCompatibilities": ["FARGATE"], "tags": tags,
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}}))
        resources.append((stack_policies.TARGET_TYPE, f"{key}-scaling-target", {
            "serviceNamespace": "ecs", "resourceId": _rid(key), "minCapacity": low,
            "maxCapacity": high, "tags": tags}))
        for metric, predefined in (("cpu", stack_policies.CPU_METRIC),
                                   ("memory", stack_policies.MEMORY_METRIC)):
            resources.append((stack_policies.SCALING_POLICY_TYPE, f"{key}-{metric}-scaling", {
                "resourceId": _rid(key), "policyType": "TargetTrackingScaling",
                "targetTrackingScalingPolicyConfiguration": {
                    "predefinedMetricSpecification": {"predefinedMetricType": predefined},
                    "targetValue": 65}}))
        if spike is not None:
            resources.append((stack_policies.METRIC_ALARM_TYPE, f"{key}-task-count-spike", {
                "name": f"z360-beta-{key}-task-count-spike", "metricName": "RunningTaskCount",
                "namespace": "ECS/ContainerInsights", "threshold": spike, "tags": tags,
                "dimensions": {"ClusterName": CLUSTER, "ServiceName": f"z360-beta-{key}"}}))
    if budget_limit is not None:
        resources.append((stack_policies.BUDGET_TYPE, "monthly-budget", {
            "name": "z360-monthly", "budgetType": "COST", "timeUnit": "MONTHLY",
            "limitAmount": budget_limit, "limitUnit": "USD",
            "notifications": [{"threshold": 500, "notificationType": "ACTUAL",
                               "subscriberEmailAddresses": ["ops@z360.biz"]}]}))
    return [r for r in resources if r[1] not in drop]


def _replace(resources, name, **changes):
    return [(t, n, changed(p, **changes) if n == name else p) for t, n, p in resources]


def test_compliant_estate_has_no_mandatory_violation():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="100000"))
    assert outcome.violations == [(p, level, m) for p, level, m in outcome.violations
                                  if level == "advisory"]
    assert outcome.messages("spike-alarm-present")  # queue has no spike alarm
    assert outcome.messages("worst-case-cost") == []


def test_target_without_memory_tracking_is_mandatory():
    outcome = sdk_analyze_stack(ALL, estate(drop={"web-memory-scaling"}))
    assert outcome.levels("scaling-tracks-cpu-and-memory") == {"mandatory"}
    message = outcome.messages("scaling-tracks-cpu-and-memory")[0]
    assert "beta web" in message and "no memory target-tracking policy" in message


def test_spike_threshold_at_or_above_max_is_mandatory():
    outcome = sdk_analyze_stack(ALL, estate(services=(("web", 1, 10, 10),)))
    assert outcome.levels("spike-alarm-within-capacity") == {"mandatory"}
    assert "can never fire" in outcome.messages("spike-alarm-within-capacity")[0]


def test_spike_threshold_below_min_is_a_violation():
    outcome = sdk_analyze_stack(ALL, estate(services=(("web", 12, 50, 10),)))
    assert "always firing" in outcome.messages("spike-alarm-within-capacity")[0]


def test_scaled_service_without_spike_alarm_is_advisory():
    outcome = sdk_analyze_stack(ALL, estate())
    assert outcome.levels("spike-alarm-present") == {"advisory"}
    assert [m.split(":")[0] for m in outcome.messages("spike-alarm-present")] == ["beta queue"]


def test_spike_alarm_on_cluster_without_container_insights_is_mandatory():
    outcome = sdk_analyze_stack(ALL, estate(insights="disabled"))
    assert outcome.levels("container-insights-for-spike-alarms") == {"mandatory"}
    assert "Container Insights disabled" in outcome.messages(
        "container-insights-for-spike-alarms")[0]


def test_stack_without_targets_or_alarms_is_not_applicable():
    resources = estate(budget_limit=None)
    resources = [r for r in resources if r[0] == stack_policies.CLUSTER_TYPE]
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.violations == []
    assert {"scaling-tracks-cpu-and-memory", "spike-alarm-within-capacity",
            "budget-monthly-cost", "worst-case-cost"} <= outcome.not_applicable


def test_unknown_resource_id_skips_that_target_only():
    resources = _replace(estate(drop={"web-memory-scaling"}), "queue-scaling-target",
                         resourceId=UNKNOWN)
    outcome = sdk_analyze_stack(ALL, resources)
    messages = outcome.messages("scaling-tracks-cpu-and-memory")
    assert len(messages) == 1 and "beta web" in messages[0]


def test_budget_that_is_not_monthly_cost_is_mandatory():
    resources = _replace(estate(), "monthly-budget", timeUnit="QUARTERLY")
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.levels("budget-monthly-cost") == {"mandatory"}
    assert "timeUnit is 'QUARTERLY', not MONTHLY" in outcome.messages("budget-monthly-cost")[0]


def test_budget_without_notifications_is_a_violation():
    resources = _replace(estate(), "monthly-budget", notifications=[])
    assert "no notifications" in sdk_analyze_stack(ALL, resources).messages(
        "budget-monthly-cost")[0]


def test_worst_case_above_budget_is_advisory_with_the_figures():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="1000"))
    assert outcome.levels("worst-case-cost") == {"advisory"}
    per_task = monthly_task_cost(1024, 2048, "X86_64")
    total = to_cents(per_task * 70)
    message = outcome.messages("worst-case-cost")[0]
    assert f"${total:,} a month" in message
    assert f"web 50 x ${to_cents(per_task):,} = ${to_cents(per_task * 50):,}" in message
    assert "limit $1,000.00" in message


def test_worst_case_threshold_comes_from_policy_config():
    per_task = monthly_task_cost(1024, 2048, "X86_64")
    limit = str(int(per_task * 70 / Decimal("0.9")))  # worst case is ~90 % of the limit
    assert sdk_analyze_stack(ALL, estate(budget_limit=limit)).messages("worst-case-cost") == []
    config = {"worst-case-cost": {"maxPercentOfBudget": 80}}
    assert sdk_analyze_stack(ALL, estate(budget_limit=limit), config=config).messages(
        "worst-case-cost")


def test_joins_are_linear_in_the_number_of_services():
    import time

    def timed(count):
        services = tuple((f"svc{i}", 1, 20, 10) for i in range(count))
        resources = estate(services=services)
        started = time.perf_counter()
        sdk_analyze_stack(ALL, resources)
        return time.perf_counter() - started

    small, large = timed(40), timed(400)
    # Quadratic joins would make 10x the services cost ~100x; allow generous noise.
    assert large < small * 30, (small, large)

