"""The pack's contents: every policy, in the order reports list them.

`policies/__main__.py` builds the PolicyPack from this list; tests and the offline analyzer
read it without starting a server.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import budgets, burn_rate, cloudwatch, ecs, iam, scaling, sns, wafv2

PACK_NAME = "z360-ecs-guardrails"

# Every policy sets its own level; this applies only to one that forgets.
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

# One module per AWS area, each holding its resource and its stack rules.
AREAS = (scaling, ecs, cloudwatch, iam, budgets, sns, wafv2, burn_rate)

# Resource rules first, then stack rules, each by area: the order the engine runs them in.
POLICIES = [
    *(policy for area in AREAS for policy in area.RESOURCE_POLICIES),
    *(policy for area in AREAS for policy in area.STACK_POLICIES),
]
