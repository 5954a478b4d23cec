"""The z360-ecs guardrails policy pack: `pulumi preview --policy-pack policies`.

Only assembles the pack: PolicyPack() starts the analyzer server and never returns. The rules
live in guardrails/ (imported as `guardrails`, since Pulumi runs this folder as a script).
"""

from guardrails.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from pulumi_policy import PolicyPack

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=PACK_ENFORCEMENT_LEVEL)
