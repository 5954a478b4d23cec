"""Every policy of the pack has a compliant, a non-compliant and a not-applicable case in its
area's test file: policy `p` of `policies/guardrails/<area>.py` needs tests marked
`@pytest.mark.policy_case(kind, "p")` for each kind in tests/policies/guardrails/test_<area>.py.

The marks are read from the test files' source (no test module imports another); that a mark is
true, that the marked test's SDK outcomes show that case, is checked as the test runs
(tests/policies/conftest.py). A mark's arguments are strings, or names of module-level strings
and tuples of strings (`*TASK_RULES`); anything else is reported, never guessed.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from policies.guardrails.pack import AREAS, POLICIES
from tests.support.policy_sdk import CASE_KINDS, Outcome, shows, unmet_cases

AREA_TESTS = Path(__file__).resolve().parent / "guardrails"
MARK = "pytest.mark.policy_case"


def area_name(area) -> str:
    return area.__name__.rsplit(".", 1)[-1]


AREA_OF = {policy.name: area_name(area) for area in AREAS for policy in area.POLICIES}


def area_test_file(area: str) -> Path:
    return AREA_TESTS / f"test_{area}.py"


@dataclass
class Declared:
    cases: dict[str, set[str]] = field(default_factory=dict)
    """Policy -> the kinds of case marked for it."""
    problems: list[str] = field(default_factory=list)


def _constants(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    """Module-level `NAME = "x"` and `NAME = ("x", "y")` (or a list), as tuples."""
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found[node.targets[0].id] = (value.value,)
        elif isinstance(value, (ast.Tuple, ast.List)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
            found[node.targets[0].id] = tuple(e.value for e in value.elts)
    return found


def _arguments(call: ast.Call, constants: dict[str, tuple[str, ...]]) -> list[str] | None:
    """The mark's arguments as strings, or None when one cannot be read from the source."""
    values: list[str] = []
    for arg in call.args:
        inner = arg.value if isinstance(arg, ast.Starred) else arg
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            values.append(inner.value)
        elif isinstance(inner, ast.Name) and inner.id in constants:
            named = constants[inner.id]
            if not isinstance(arg, ast.Starred) and len(named) != 1:
                return None
            values.extend(named)
        else:
            return None
    return values if not call.keywords else None


def _is_mark(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and ast.unparse(node.func) == MARK


def declared_cases(source: str, filename: str = "<source>") -> Declared:
    """The policy_case marks on the test functions of a test module's source."""
    tree = ast.parse(source, filename=filename)
    constants = _constants(tree)
    declared = Declared()
    counted = 0
    for function in tree.body:
        if not (isinstance(function, ast.FunctionDef) and function.name.startswith("test_")):
            continue
        for decorator in function.decorator_list:
            for call in (n for n in ast.walk(decorator) if _is_mark(n)):
                counted += 1
                assert isinstance(call, ast.Call)
                where = f"{filename}:{call.lineno} ({function.name})"
                arguments = _arguments(call, constants)
                if not arguments or len(arguments) < 2:
                    declared.problems.append(
                        f"{where}: {ast.unparse(call)} does not name a kind and a policy in "
                        "strings or module-level constants")
                    continue
                kind, *policies = arguments
                if kind not in CASE_KINDS:
                    declared.problems.append(
                        f"{where}: {kind!r} is not one of {', '.join(CASE_KINDS)}")
                    continue
                for policy in policies:
                    declared.cases.setdefault(policy, set()).add(kind)
    stray = sum(1 for node in ast.walk(tree) if _is_mark(node)) - counted
    if stray:
        declared.problems.append(f"{filename}: {stray} policy_case mark(s) outside the "
                                 "decorators of a test function count for nothing")
    return declared


def _declared(area: str) -> Declared:
    path = area_test_file(area)
    return declared_cases(path.read_text(), str(path.relative_to(AREA_TESTS.parent.parent.parent)))


# --- the pack's policies ---------------------------------------------------------------------


def test_every_policy_of_the_pack_is_in_exactly_one_area():
    names = [policy.name for policy in POLICIES]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    assert sorted(names) == sorted(AREA_OF)


@pytest.mark.parametrize("area", sorted({area_name(a) for a in AREAS}))
def test_every_area_has_its_test_file(area):
    assert area_test_file(area).is_file(), f"{area}.py has no tests/policies/guardrails/test_{area}.py"


@pytest.mark.parametrize("policy", [p.name for p in POLICIES])
def test_every_policy_has_each_case_in_its_area_file(policy):
    area = AREA_OF[policy]
    missing = [k for k in CASE_KINDS if k not in _declared(area).cases.get(policy, set())]
    assert missing == [], (
        f"{policy} has no {' / '.join(missing)} case in tests/policies/guardrails/test_{area}.py: "
        f"mark a test that shows one @pytest.mark.policy_case(<kind>, \"{policy}\")")


@pytest.mark.parametrize("area", sorted({area_name(a) for a in AREAS}))
def test_marks_are_readable_and_name_policies_of_their_area(area):
    declared = _declared(area)
    assert declared.problems == []
    foreign = {p: AREA_OF.get(p, "no area") for p in declared.cases if AREA_OF.get(p) != area}
    assert foreign == {}, f"test_{area}.py marks policies of other areas (or none)"


# --- the checks themselves can fail ----------------------------------------------------------

SOURCE = '''
import pytest

BOTH = ("a", "b")
ONE = "a"


@pytest.mark.policy_case("compliant", *BOTH)
def test_compliant():
    pass


@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.policy_case("non-compliant", ONE))])
def test_violation(x):
    pass


@pytest.mark.policy_case("not-applicable", "b")
def helper():
    pass


@pytest.mark.policy_case("not applicable", "a")
@pytest.mark.policy_case("compliant", *[p for p in BOTH])
def test_wrong():
    pass
'''


def test_declared_cases_reads_marks_on_tests_only_and_reports_the_unreadable():
    declared = declared_cases(SOURCE, "t.py")
    assert declared.cases == {"a": {"compliant", "non-compliant"}, "b": {"compliant"}}
    problems = "\n".join(declared.problems)
    assert "'not applicable' is not one of compliant, non-compliant, not-applicable" in problems
    assert "does not name a kind and a policy" in problems and "(test_wrong)" in problems
    assert "1 policy_case mark(s) outside the decorators of a test function" in problems


def test_a_missing_case_is_found():
    cases = declared_cases(SOURCE).cases
    missing = {p: [k for k in CASE_KINDS if k not in cases.get(p, set())] for p in ("a", "b")}
    assert missing == {"a": ["not-applicable"], "b": ["non-compliant", "not-applicable"]}


def test_a_mark_no_outcome_shows_is_unmet():
    ran_clean = Outcome(ran={"p"})
    violated = Outcome(ran={"p"}, violations=[("p", "mandatory", "beta web: too big")])
    failed = Outcome(ran={"p"}, violations=[
        ("p", "mandatory", "policy p failed on this resource (KeyError: 'x'); ...")])
    skipped = Outcome(ran={"p"}, not_applicable={"p"})
    unknown = Outcome(ran={"p"}, unknown={"p"})
    assert shows(ran_clean, "compliant", "p") and not shows(Outcome(), "compliant", "p")
    assert not shows(skipped, "compliant", "p") and not shows(unknown, "compliant", "p")
    assert shows(violated, "non-compliant", "p") and not shows(failed, "non-compliant", "p")
    assert shows(skipped, "not-applicable", "p") and not shows(ran_clean, "not-applicable", "p")
    claims = [("compliant", "p"), ("non-compliant", "p"), ("not-applicable", "p")]
    assert unmet_cases(claims, [ran_clean, violated]) == ["not-applicable p"]
    with pytest.raises(ValueError, match="not one of"):
        shows(ran_clean, "passing", "p")
