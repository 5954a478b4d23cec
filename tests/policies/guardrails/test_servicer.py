"""The pack's servicer: each request read once, the stack index built once per AnalyzeStack and
dropped with it, and every answer the same as the SDK's own servicer gives."""

from __future__ import annotations

import ast
import gc
import re
import threading
import weakref
from pathlib import Path
from typing import Any

import pulumi_policy.policy as sdk
import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, StackValidationPolicy

import policies
from policies.guardrails import _kit, _servicer
from policies.guardrails._index import StackIndex
from policies.guardrails._kit import once_per_request, one_request
from policies.guardrails._servicer import SharedRequestServicer
from policies.guardrails.pack import PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from tests.support.pack_runs import with_props
from tests.support.runs import unmodified_run
from z360_ecs.engine.analyzer import LEVELS, analyze_request, analyze_stack_request

PACK_DIR = Path(policies.__file__).resolve().parent
STACK_POLICIES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]


def _configured(servicer_class: type, policies: list[Any], disabled: str | None = None) -> Any:
    """A servicer configured as the engine configures it: every policy with its level."""
    servicer = servicer_class(PACK_NAME, "0.0.1", list(policies), PACK_ENFORCEMENT_LEVEL)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in policies:
        level = "disabled" if policy.name == disabled else policy.enforcement_level.value
        request.policyConfig[policy.name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS.index(level)))
    servicer.Configure(request, None)
    return servicer


def _bytes(response: Any) -> bytes:
    return response.SerializeToString(deterministic=True)


def _tripped_beta():
    """beta with a mandatory resource violation and a stack-rule violation sent to the pack."""
    run = unmodified_run("beta")
    run = with_props(run, "web-scaling-target", lambda p: p.update(maxCapacity=500))
    return with_props(run, "monthly-budget", lambda p: p.update(limitAmount="10"))


RUNS = {
    "beta": lambda: unmodified_run("beta"),
    "beta-up": lambda: unmodified_run("beta", preview=False),
    "staging": lambda: unmodified_run("staging"),
    "beta-violations": _tripped_beta,
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_both_servicers_answer_every_request_alike(name):
    run = RUNS[name]()
    shared = _configured(SharedRequestServicer, POLICIES, disabled="fargate-task-size")
    own = _configured(sdk._PolicyAnalyzerServicer, POLICIES, disabled="fargate-task-size")

    reported = set()
    for registration in run.registrations:
        request = analyze_request(registration)
        answer = shared.Analyze(request, None)
        assert _bytes(answer) == _bytes(own.Analyze(request, None)), registration.urn
        reported |= {d.policyName for d in answer.diagnostics}
    request = analyze_stack_request(run.registrations)
    answer = shared.AnalyzeStack(request, None)
    assert _bytes(answer) == _bytes(own.AnalyzeStack(request, None))
    reported |= {d.policyName for d in answer.diagnostics}
    if name == "beta-violations":
        assert {"max-capacity-ceiling", "worst-case-cost"} <= reported


def _counting_builds(monkeypatch) -> list[int]:
    built: list[int] = []
    real = StackIndex._build

    def counted(resources):
        built.append(len(resources))
        return real(resources)

    monkeypatch.setattr(StackIndex, "_build", staticmethod(counted))
    return built


def test_the_stack_index_is_built_once_per_request(monkeypatch):
    run = unmodified_run("beta")
    built = _counting_builds(monkeypatch)
    request = analyze_stack_request(run.registrations)

    _configured(SharedRequestServicer, POLICIES).AnalyzeStack(request, None)
    assert built == [len(run.registrations)]

    built.clear()
    _configured(sdk._PolicyAnalyzerServicer, POLICIES).AnalyzeStack(request, None)
    assert len(built) > 1, "the SDK's servicer hands each stack policy a list of its own"


def test_each_stack_policy_gets_the_one_list_of_the_request():
    seen: list[int] = []

    def look(args, report):
        seen.append(id(args.resources))

    lookers = [StackValidationPolicy(f"look-{i}", "Looks.", look, EnforcementLevel.ADVISORY)
               for i in range(3)]
    request = analyze_stack_request(unmodified_run("staging").registrations)
    _configured(SharedRequestServicer, lookers).AnalyzeStack(request, None)
    assert len(seen) == 3 and len(set(seen)) == 1


def test_nothing_of_a_request_outlives_it():
    kept: list[weakref.ref] = []

    def keep(args, report):
        kept.append(weakref.ref(args.resources[0]))
        kept.append(weakref.ref(StackIndex.build(args.resources)))

    keeper = StackValidationPolicy("keeper", "Keeps.", keep, EnforcementLevel.ADVISORY)
    request = analyze_stack_request(unmodified_run("staging").registrations)
    _configured(SharedRequestServicer, [*STACK_POLICIES, keeper]).AnalyzeStack(request, None)

    gc.collect()
    assert kept and all(ref() is None for ref in kept)
    assert _kit._REQUEST.get() is None


def test_outside_a_request_every_build_is_new():
    resources: list[Any] = []
    assert StackIndex.build(resources) is not StackIndex.build(resources)


def test_within_a_request_another_list_gets_its_own_index():
    first: list[Any] = []
    second: list[Any] = []
    with one_request():
        index = StackIndex.build(first)
        assert StackIndex.build(first) is index
        assert StackIndex.build(second) is not index


def test_concurrent_requests_share_nothing():
    resources: list[Any] = []
    both_inside = threading.Barrier(2, timeout=10)
    built: list[object] = []

    def request() -> None:
        with one_request():
            built.append(once_per_request("kind", resources, lambda _: object()))
            both_inside.wait()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 2 and built[0] is not built[1]


def test_install_only_for_an_sdk_version_it_follows(monkeypatch):
    monkeypatch.setattr(sdk, "_PolicyAnalyzerServicer", sdk._PolicyAnalyzerServicer)
    original = sdk._PolicyAnalyzerServicer

    monkeypatch.setattr(_servicer, "VERSION", "9.9.9")
    assert _servicer.install() is False
    assert sdk._PolicyAnalyzerServicer is original

    monkeypatch.setattr(_servicer, "VERSION", sorted(_servicer.SUPPORTED_SDK_VERSIONS)[0])
    assert _servicer.install() is True
    assert sdk._PolicyAnalyzerServicer is SharedRequestServicer


def test_the_pinned_sdk_is_one_the_servicer_follows():
    pinned = re.search(r"^pulumi-policy==(\S+)$", (PACK_DIR / "requirements.txt").read_text(),
                       re.MULTILINE)
    assert pinned and pinned.group(1) in _servicer.SUPPORTED_SDK_VERSIONS


def test_the_pack_installs_the_servicer_before_it_serves():
    calls = [
        ast.unparse(node.func) for node in ast.walk(ast.parse((PACK_DIR / "__main__.py").read_text()))
        if isinstance(node, ast.Call)
    ]
    assert "_servicer.install" in calls and "PolicyPack" in calls
    assert calls.index("_servicer.install") < calls.index("PolicyPack")
