"""`pulumi up` while the breaker is tripped keeps its ceilings (issue 12.10).

The program reads the breaker's record through the provider (GetParametersByPath on the
breaker's folder, which answers an empty list when the record does not exist) and keeps each
recorded newMax as the scalable target's max until a restore empties the record. Here the
provider's answer is the mock's `call`. Reading the record is tested on `held_maxima` itself;
that the held values reach the scalable targets, on the real program (build_stack on beta).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from breaker.handler import encode_record
from components.cost_breaker import held_maxima
from components.stack import build_stack
from policies.guardrails.facts.types import (
    TARGET_TYPE,
)
from stack_model.config import load_stack_config
from tests.support.runs import stack_document

RECORD = "/z360/beta/cost-breaker/state"
CONFIGURED = {"web": 50, "queue": 20, "reverb": 20, "gateway": 50, "aegra": 30, "voice": 50}


def beta():
    document = stack_document("beta")["config"]
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    aws_raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws_raw)


def answer_with(pulumi_mocks, monkeypatch, answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Make the provider answer GetParametersByPath with `answer` (None: the offline engine,
    where no provider answers); returns the invokes' arguments as they arrive."""
    invokes: list[dict[str, Any]] = []
    call = pulumi_mocks.call

    def provider(args):
        if args.token == "aws:ssm/getParametersByPath:getParametersByPath":
            invokes.append(dict(args.args))
            if answer is not None:
                return {"path": args.args["path"], **answer}, []
        return call(args)

    monkeypatch.setattr(pulumi_mocks, "call", provider)
    return invokes


def held(pulumi_mocks, monkeypatch, answer: dict[str, Any] | None) -> dict[str, int]:
    invokes = answer_with(pulumi_mocks, monkeypatch, answer)
    maxima = held_maxima("beta", list(CONFIGURED))
    assert [i["path"] for i in invokes] == ["/z360/beta/cost-breaker"]
    return maxima


def run_beta(pulumi_mocks, monkeypatch, answer: dict[str, Any] | None) -> dict[str, int]:
    """Max capacity per service key as the program registers it, given the provider's answer
    to GetParametersByPath."""
    maxima: dict[str, int] = {}
    invokes = answer_with(pulumi_mocks, monkeypatch, answer)
    new_resource = pulumi_mocks.new_resource

    def record(args):
        if args.typ == TARGET_TYPE:
            maxima[args.name.removesuffix("-scaling-target")] = int(args.inputs["maxCapacity"])
        return new_resource(args)

    monkeypatch.setattr(pulumi_mocks, "new_resource", record)

    @pulumi.runtime.test
    def build():
        exports = build_stack(beta())
        return pulumi.Output.from_input(exports["environment"])

    build()
    assert invokes and invokes[0]["path"] == "/z360/beta/cost-breaker"
    return {k: v for k, v in maxima.items() if k in CONFIGURED}


def record_answer(record: dict[str, Any]) -> dict[str, Any]:
    return {"names": ["/z360/beta/cost-breaker/lock", RECORD],
            "values": [json.dumps({"free": True}), encode_record(record)],
            "types": ["String", "String"], "arns": ["a", "b"]}


def change(service: str, original: int, new: int) -> dict[str, Any]:
    return {"service": service, "resourceId": f"service/cluster/{service}",
            "originalMax": original, "newMax": new, "status": "applied"}


def test_a_tripped_record_keeps_the_lowered_maxima(pulumi_mocks, monkeypatch):
    tripped = {"tripped": True, "reason": "budget", "changes": [
        change("web", 50, 10), change("voice", 50, 10), change("queue", 20, 4)]}

    maxima = run_beta(pulumi_mocks, monkeypatch, record_answer(tripped))

    assert maxima == {**CONFIGURED, "web": 10, "voice": 10, "queue": 4}


def test_a_tripped_record_is_read_service_by_service(pulumi_mocks, monkeypatch):
    tripped = {"tripped": True, "reason": "budget", "changes": [
        change("web", 50, 10), change("queue", 20, 4), change("retired", 8, 2)]}

    assert held(pulumi_mocks, monkeypatch, record_answer(tripped)) == {"web": 10, "queue": 4}


def test_an_empty_record_holds_nothing(pulumi_mocks, monkeypatch):
    restored = {"tripped": False, "changes": [], "lastRestoredAt": "2026-03-03T00:00:00+00:00"}
    assert held(pulumi_mocks, monkeypatch, record_answer(restored)) == {}


def test_no_record_yet_is_not_tripped(pulumi_mocks, monkeypatch):
    answer = {"names": [], "values": [], "types": [], "arns": []}
    assert held(pulumi_mocks, monkeypatch, answer) == {}


def test_offline_the_preview_says_what_it_would_do(pulumi_mocks, monkeypatch, caplog):
    assert held(pulumi_mocks, monkeypatch, None) == {}
    assert any("not read (no provider answered: offline)" in r.getMessage()
               and "kept for web" in r.getMessage() for r in caplog.records)


def test_a_held_max_never_goes_below_the_configured_min(pulumi_mocks, monkeypatch):
    document_min = beta().services["web"].effective_min
    tripped = {"tripped": True, "changes": [change("web", 50, 0)]}

    maxima = run_beta(pulumi_mocks, monkeypatch, record_answer(tripped))

    assert maxima["web"] == document_min
