"""The stack index under every stack rule, through the SDK's real AnalyzeStack path: joins that
stay linear, one unknown value skipping one resource, a stack with nothing to join."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

import policies.guardrails
from policies.guardrails import budgets, cloudwatch, scaling
from policies.guardrails.facts.types import CLUSTER_TYPE
from tests.support.policy_estate import estate, replace
from tests.support.policy_sdk import sdk_analyze_stack

ALL = [*scaling.STACK_POLICIES, *cloudwatch.STACK_POLICIES, *budgets.STACK_POLICIES]
PACK_DIR = str(Path(policies.guardrails.__file__).parent)


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


def _pack_lines_run(services: int) -> int:
    """Lines of the pack's own code (policies/guardrails) executed by every stack rule on an
    estate of `services` services: an operation count that does not depend on machine load."""
    resources = estate(services=tuple((f"svc{i}", 1, 20, 10) for i in range(services)))
    executed = 0

    def count_lines(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal executed
        if event == "line":
            executed += 1
        return count_lines

    def in_the_pack(frame: FrameType, event: str, arg: object) -> Any:
        return count_lines if frame.f_code.co_filename.startswith(PACK_DIR) else None

    previous = sys.gettrace()
    sys.settrace(in_the_pack)
    try:
        sdk_analyze_stack(ALL, resources)
    finally:
        sys.settrace(previous)
    return executed


def test_joins_are_linear_in_the_number_of_services():
    # Counted, not timed: each doubling must add twice the work of the one before. A join
    # with a nested loop over services (even one line per pair) breaks this by several
    # percent already at these sizes; 10x the services would cost ~100x.
    ten, twenty, forty = (_pack_lines_run(n) for n in (10, 20, 40))
    first, second = twenty - ten, forty - twenty
    assert first > 0
    assert second == pytest.approx(2 * first, rel=0.02), (ten, twenty, forty)
