"""The rule framework: a policy with a bug must not silence the others (the SDK loses every
diagnostic of a resource when one validate raises), and a rule that does not apply reaches the
SDK as not applicable through its public API only."""

from __future__ import annotations

import ast
from pathlib import Path

from pulumi_policy import EnforcementLevel

import policies
from policies.guardrails import scaling
from policies.guardrails._kit import NotApplicable, resource_policy, stack_policy
from policies.guardrails.facts.types import (
    TARGET_TYPE,
    TOPIC_TYPE,
)
from tests.support.policy_resources import target
from tests.support.policy_sdk import sdk_analyze, sdk_analyze_stack

PACK_DIR = Path(policies.__file__).resolve().parent
PACK_MODULES = sorted(p for p in PACK_DIR.rglob("*.py") if "venv" not in p.parts)


def _buggy(args, report):
    raise KeyError("maxCapacity")


BUGGY = resource_policy(
    "buggy", "A policy with a bug.", EnforcementLevel.ADVISORY,
    [TARGET_TYPE], _buggy, {},
)


def test_buggy_policy_reports_its_error_and_others_still_report():
    outcome = sdk_analyze([BUGGY, *scaling.RESOURCE_POLICIES], TARGET_TYPE, target(maxCapacity=60))
    assert "policy buggy failed on this resource (KeyError" in outcome.messages("buggy")[0]
    assert outcome.messages("max-capacity-ceiling"), "the ceiling violation was lost"


def test_without_the_wrapper_the_sdk_loses_every_diagnostic():
    from pulumi_policy import ResourceValidationPolicy

    raw = ResourceValidationPolicy("raw", "Raises.", _buggy, EnforcementLevel.ADVISORY)
    try:
        sdk_analyze([*scaling.RESOURCE_POLICIES, raw], TARGET_TYPE, target(maxCapacity=60))
    except KeyError:
        return
    raise AssertionError("the SDK no longer propagates a validate error; revisit _kit.py")


def test_every_pack_policy_is_wrapped():
    from policies.guardrails.pack import POLICIES

    for policy in POLICIES:
        validate = policy._ResourceValidationPolicy__validate if hasattr(
            policy, "_ResourceValidationPolicy__validate") else policy._StackValidationPolicy__validate
        assert validate.__qualname__.startswith("never_raises"), policy.name


def _skip(args, report):
    raise NotApplicable("nothing to join")


def test_not_applicable_reaches_the_sdk_with_its_reason():
    policy = resource_policy("skips", "Skips.", EnforcementLevel.MANDATORY, [TARGET_TYPE],
                             _skip, {})
    outcome = sdk_analyze([policy, *scaling.RESOURCE_POLICIES], TARGET_TYPE, target(maxCapacity=60))
    assert outcome.not_applicable_reasons["skips"] == "nothing to join"
    assert outcome.messages("skips") == []
    assert outcome.messages("max-capacity-ceiling"), "a skip must not stop the other policies"


def test_not_applicable_from_a_stack_policy_reaches_the_sdk():
    policy = stack_policy("skips", "Skips.", EnforcementLevel.MANDATORY, _skip, {})
    outcome = sdk_analyze_stack([policy], [(TARGET_TYPE, "t", target())])
    assert outcome.not_applicable_reasons == {"skips": "nothing to join"}
    assert outcome.violations == []


def test_a_resource_policy_is_not_applicable_to_other_types():
    outcome = sdk_analyze([BUGGY], TOPIC_TYPE, {"name": "t"})
    assert outcome.not_applicable_reasons == {"buggy": f"applies to {TARGET_TYPE}"}


def _imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` in a pack module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [(node.module or "", alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) for alias in node.names]


def test_no_pack_module_imports_a_private_sdk_name():
    private = [
        f"{path.relative_to(PACK_DIR)}: {module}.{name}"
        for path in PACK_MODULES for module, name in _imported_names(path)
        if module.startswith("pulumi") and (name.startswith("_") or "._" in f".{module}")
    ]
    assert private == []


def test_rules_skip_through_the_kit_not_the_sdks_not_applicable():
    # A direct args.not_applicable() inside a check raises the SDK's private exception, which
    # the wrapper would report as a failure of the policy. (_servicer.py is the SDK's own loop,
    # filling the response's not_applicable field.)
    calls = [
        f"{path.relative_to(PACK_DIR)}:{node.lineno}"
        for path in PACK_MODULES if path.name not in ("_kit.py", "_servicer.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "not_applicable"
    ]
    assert calls == []
