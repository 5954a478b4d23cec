"""The pack's contents: every policy, in the order reports list them.

`policies/__main__.py` builds the PolicyPack from this list; tests and the offline analyzer
read it without starting a server.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import budgets, burn_rate, cloudwatch, ecs, iam, scaling, stack_policies

PACK_NAME = "z360-ecs-guardrails"

# Every policy sets its own level; this applies only to one that forgets.
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

POLICIES = [
    *scaling.POLICIES,
    *ecs.POLICIES,
    *cloudwatch.POLICIES,
    *iam.POLICIES,
    *stack_policies.POLICIES,
    *budgets.POLICIES,
    *burn_rate.POLICIES,
]
