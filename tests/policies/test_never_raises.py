"""A policy with a bug must not silence the others (the SDK loses every diagnostic of a
resource when one validate raises)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from policies.guardrails import scaling
from policies.guardrails._safe import resource_policy
from tests.policies.sdk import sdk_analyze
from tests.policies.test_scaling import target


def _buggy(args, report):
    raise KeyError("maxCapacity")


BUGGY = resource_policy(
    "buggy", "A policy with a bug.", EnforcementLevel.ADVISORY,
    [scaling.TARGET_TYPE], _buggy, {},
)


def test_buggy_policy_reports_its_error_and_others_still_report():
    outcome = sdk_analyze([BUGGY, *scaling.POLICIES], scaling.TARGET_TYPE, target(maxCapacity=60))
    assert "policy buggy failed on this resource (KeyError" in outcome.messages("buggy")[0]
    assert outcome.messages("max-capacity-ceiling"), "the ceiling violation was lost"


def test_without_the_wrapper_the_sdk_loses_every_diagnostic():
    from pulumi_policy import ResourceValidationPolicy

    raw = ResourceValidationPolicy("raw", "Raises.", _buggy, EnforcementLevel.ADVISORY)
    try:
        sdk_analyze([*scaling.POLICIES, raw], scaling.TARGET_TYPE, target(maxCapacity=60))
    except KeyError:
        return
    raise AssertionError("the SDK no longer propagates a validate error; revisit _safe.py")


def test_every_pack_policy_is_wrapped():
    from policies.guardrails.pack import POLICIES

    for policy in POLICIES:
        validate = policy._ResourceValidationPolicy__validate if hasattr(
            policy, "_ResourceValidationPolicy__validate") else policy._StackValidationPolicy__validate
        assert validate.__qualname__.startswith("never_raises"), policy.name
