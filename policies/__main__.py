"""The z360-ecs guardrails policy pack: `pulumi preview --policy-pack policies`.

Only assembles the pack: PolicyPack() starts the analyzer server and never returns. The rules
live in guardrails/ (imported as `guardrails`, since Pulumi runs this folder as a script).
"""

import gc

from guardrails import _servicer
from guardrails.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from pulumi_policy import PolicyPack

# The SDK's servicer reads every resource once per policy; this one once per request.
_servicer.install()

# Each AnalyzeStack holds every resource of the stack at once, and each full collection walks
# all of them. Full collections stay rare; young ones run as usual.
young, middle, _ = gc.get_threshold()
gc.set_threshold(young, middle, 10_000)

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=PACK_ENFORCEMENT_LEVEL)
