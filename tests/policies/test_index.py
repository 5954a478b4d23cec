"""The stack index under every stack rule, through the SDK's real AnalyzeStack path: joins that
stay linear, one unknown value skipping one resource, a stack with nothing to join."""

from __future__ import annotations

from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import budgets, cloudwatch, scaling
from policies.guardrails.types import CLUSTER_TYPE
from tests.policies.estate import estate, replace
from tests.policies.sdk import sdk_analyze_stack

ALL = [*scaling.STACK_POLICIES, *cloudwatch.STACK_POLICIES, *budgets.STACK_POLICIES]


def test_compliant_estate_has_no_mandatory_violation():
    outcome = sdk_analyze_stack(ALL, estate(budget_limit="100000"))
    assert outcome.violations == [(p, level, m) for p, level, m in outcome.violations
                                  if level == "advisory"]
    assert outcome.messages("spike-alarm-present")  # queue has no spike alarm
    assert outcome.messages("worst-case-cost") == []


def test_stack_without_targets_or_alarms_is_not_applicable():
    resources = estate(budget_limit=None)
    resources = [r for r in resources if r[0] == CLUSTER_TYPE]
    outcome = sdk_analyze_stack(ALL, resources)
    assert outcome.violations == []
    assert {"scaling-tracks-cpu-and-memory", "spike-alarm-within-capacity",
            "budget-monthly-cost", "worst-case-cost"} <= outcome.not_applicable


def test_unknown_resource_id_skips_that_target_only():
    resources = replace(estate(drop={"web-memory-scaling"}), "queue-scaling-target",
                        resourceId=UNKNOWN)
    outcome = sdk_analyze_stack(ALL, resources)
    messages = outcome.messages("scaling-tracks-cpu-and-memory")
    assert len(messages) == 1 and "beta web" in messages[0]


def test_joins_are_linear_in_the_number_of_services():
    import time

    def timed(count):
        services = tuple((f"svc{i}", 1, 20, 10) for i in range(count))
        resources = estate(services=services)
        started = time.perf_counter()
        sdk_analyze_stack(ALL, resources)
        return time.perf_counter() - started

    # The best of three: one run of the small estate is ~50 ms, so a pause of the whole
    # suite's process (GC, another test's threads) could otherwise decide the ratio.
    small = min(timed(40) for _ in range(3))
    large = min(timed(400) for _ in range(2))
    # Quadratic joins would make 10x the services cost ~100x; allow generous noise.
    assert large < small * 30, (small, large)
