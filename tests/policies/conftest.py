"""The pack as its own process, shared by the protocol and whole-stack tests; and the
`policy_case` mark every area test file uses to say which case of which policy a test is.

`@pytest.mark.policy_case("non-compliant", "capacity-bounds")` claims that the test runs
capacity-bounds through the SDK (tests/support/policy_sdk.py) and that one of the outcomes
shows a violation. The claim is checked when the test runs: a test whose outcomes do not show
what its marks say fails, so a mark cannot stand for a case the test does not make.
tests/policies/test_pack_case_coverage.py reads the marks to require a compliant, a
non-compliant and a not-applicable case of every policy in its area's test file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.policy_sdk import CASE_KINDS, OBSERVERS, Outcome, unmet_cases
from z360_ecs.engine.analyzer import PolicyPackProcess


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"policy_case(kind, *policies): the test is a {' / '.join(CASE_KINDS)} case of each "
        "named policy, shown by an outcome of tests/support/policy_sdk.py (checked as it runs)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    claims = [(mark.args[0], policy) for mark in item.iter_markers("policy_case")
              for policy in mark.args[1:]]
    if not claims:
        return (yield)
    outcomes: list[Outcome] = []
    OBSERVERS.append(outcomes.append)
    try:
        result = yield
    finally:
        OBSERVERS.remove(outcomes.append)
    unmet = unmet_cases(claims, outcomes)
    assert not unmet, (
        f"marked policy_case, but no outcome of the test shows: {', '.join(unmet)}")
    return result


@pytest.fixture(scope="session")
def pack(policy_pack: PolicyPackProcess) -> Iterator[PolicyPackProcess]:
    """The pack running as its own process, started once for the whole session."""
    yield policy_pack
