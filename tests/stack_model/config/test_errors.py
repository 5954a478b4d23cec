"""Malformed and hostile stack configs are refused before anything is registered.

Each case changes one thing in a copy of a real stack file and expects one problem naming
the key path, the bad value and what is allowed. The end-to-end tests check that the program
registers nothing but the root stack when config is bad, and that `z360-ecs preview` prints
the problems and exits 2 without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import z360_ecs.engine.program as engine
from stack_model.config import ConfigError, Problem
from tests.support.config_mutations import (
    ALERTS,
    BUDGET,
    CLUSTERS,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    both,
    load,
    refusal_params,
    remove,
    setter,
    top,
)
from tests.support.runs import stack_document
from z360_ecs.cli import main
from z360_ecs.common import StackFileError, load_stack_settings
from z360_ecs.engine.program import run_program

# Refusals of the reading rules themselves (types, unknown and missing keys, serviceDefaults, the
# aws: keys); each section's own refusals are in its test module (test_scaling.py, ...).
CASES: list[RefusalCase] = [
    ("string-for-int", "beta", setter("web", "cpu", value="1024"),
     ("services.web.cpu:", "'1024'", "must be a whole number", "remove the quotes")),
    ("bool-for-int", "beta", setter("web", "scaling", "max", value=True),
     ("services.web.scaling.max:", "True", "must be a whole number")),
    ("string-for-bool", "staging", setter("web", "scaling", "enabled", value="yes"),
     ("services.web.scaling.enabled:", "'yes'", "must be true or false")),
    ("list-for-map", "beta", setter("web", "scaling", value=[1, 50]),
     ("services.web.scaling:", "[1, 50]", "is a list", "must be a mapping")),
    ("map-for-list", "beta", setter("emails", value={"a": "ansar@z360.biz"}, stack_key=ALERTS),
     ("alerts.emails:", "is a mapping", "must be a list")),
    ("services-as-list", "beta", top("z360-ecs:services", ["web"]),
     ("services:", "['web']", "must be a mapping")),
    ("int-env-value", "beta", setter("web", "environment", value={"PORT": 80}),
     ("services.web.environment.PORT:", "80", "must be a string")),
    ("string-for-number", "beta", setter("monthlyLimit", value="2500", stack_key=BUDGET),
     ("budget.monthlyLimit:", "'2500'", "must be a number")),
    ("missing-image", "beta", remove("web", "image"),
     ("services.web.image:", "required key is missing")),
    ("missing-alerts-emails", "beta",
     lambda d: d["config"][ALERTS].pop("emails"),
     ("alerts.emails:", "required key is missing")),
    ("unknown-service-key", "beta", setter("web", "memroy", value=2048),
     ("services.web.memroy:", "unknown key", "did you mean 'memory'", "allowed:")),
    ("unknown-scaling-key", "beta", setter("web", "scaling", "maxCapacity", value=9),
     ("services.web.scaling.maxCapacity:", "unknown key", "allowed: enabled")),
    ("unknown-cluster-key", "beta", setter("app", "insights", value=True, stack_key=CLUSTERS),
     ("clusters.app.insights:", "did you mean 'containerInsights'")),
    ("unknown-top-level-key", "beta", top("z360-ecs:servics", {}),
     ("z360-ecs:servics:", "did you mean 'services'", "allowed:")),
    ("unknown-default-key", "beta", setter("cpuu", value=256, stack_key="z360-ecs:serviceDefaults"),
     ("serviceDefaults.cpuu:", "did you mean 'cpu'")),
    ("region-not-us-east-1", "beta", top("aws:region", "eu-west-1"),
     ("aws:region:", "'eu-west-1'", "must be 'us-east-1'")),
    ("two-accounts", "beta", top("aws:allowedAccountIds", ["108782097218", "111111111111"]),
     ("aws:allowedAccountIds:", "111111111111", "exactly one 12-digit account id")),
    ("account-as-number", "beta", top("aws:allowedAccountIds", [108782097218]),
     ("aws:allowedAccountIds:", "[108782097218]", "as a string")),
    ("bad-default-overridden-everywhere", "beta",
     setter("cpu", value="big", stack_key="z360-ecs:serviceDefaults"),
     ("serviceDefaults.cpu:", "'big'", "must be a whole number")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_malformed_config_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_every_problem_is_reported_at_once() -> None:
    mutate = both(
        setter("web", "cpu", value="1024"),
        setter("queue", "scaling", "min", value=30),
        setter("alertAmounts", value=[0], stack_key=BUDGET),
        top("aws:region", "eu-west-1"),
    )
    with pytest.raises(ConfigError) as refused:
        load("beta", mutate)
    paths = sorted(problem.split(":", 1)[0] for problem in refused.value.problems)
    assert paths == ["aws", "budget.alertAmounts", "services.queue.scaling.min",
                     "services.web.cpu"]


def test_a_bad_default_shared_by_every_service_is_one_problem() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("architecture", value="arm", stack_key="z360-ecs:serviceDefaults"))
    assert refused.value.problems == [
        "serviceDefaults.architecture: 'arm' is not allowed: must be 'X86_64' or 'ARM64'"
    ]


def test_a_problem_is_a_key_path_and_a_message() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("queue", "scaling", "min", value=30))
    assert refused.value.details == [Problem(
        ("services", "queue", "scaling", "min"), "30 is above max 20: min must be <= max")]
    assert refused.value.problems == [
        "services.queue.scaling.min: 30 is above max 20: min must be <= max"]


def test_a_validator_reports_each_problem_at_its_own_key() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("web", "environment", value={"1ST": "a", "2ND": "b"}))
    assert [p.path for p in refused.value.details] == [
        ("services", "web", "environment", "1ST"), ("services", "web", "environment", "2ND")]
    assert [p.message for p in refused.value.details] == [
        f"{name!r} is not an environment variable name (letters, digits and '_', not starting "
        "with a digit)" for name in ("1ST", "2ND")]


def test_a_check_naming_several_services_keeps_them_in_one_key() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("queue", "family", value="z360-beta-web"))
    (problem,) = refused.value.details
    assert problem.path == ("services", "{web,queue}", "family")
    assert str(problem) == (
        "services.{web,queue}.family: 'z360-beta-web' is used by 2 services; each needs its own")


class _Recorder(engine.RecordingMonitor):
    last: engine.RecordingMonitor | None = None

    def __init__(self, mocks: Any, observer: Any = None) -> None:
        super().__init__(mocks, observer)
        _Recorder.last = self


def test_bad_config_registers_nothing_but_the_root_stack(
    monkeypatch: pytest.MonkeyPatch, write_stack: Callable[[dict[str, Any]], Any]
) -> None:
    document = stack_document("beta")
    setter("web", "memory", value=1024)(document)
    monkeypatch.setattr(engine, "RecordingMonitor", _Recorder)
    with pytest.raises(ConfigError):
        run_program("beta", stack_file=write_stack(document))
    assert _Recorder.last is not None
    registered = {r.type for r in _Recorder.last.registrations}
    assert registered == {"pulumi:pulumi:Stack"}, registered


def test_preview_prints_the_problems_and_exits_2_without_traceback(
    write_stack: Callable[[dict[str, Any]], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    document = stack_document("beta")
    both(setter("web", "cpu", value="1024"), top("aws:region", "eu-west-1"))(document)
    code = main(["preview", "beta", "--stack-file", str(write_stack(document))])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "services.web.cpu: '1024' is a string" in captured.err
    assert "aws:region: 'eu-west-1'" in captured.err
    assert "Traceback" not in captured.err


def test_bad_yaml_syntax_is_a_stack_file_error(tmp_path: Any) -> None:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config:\n  z360-ecs:services: {web: [unclosed\n")
    with pytest.raises(StackFileError, match="not valid YAML"):
        load_stack_settings("beta", stack_file=path)


def test_bad_yaml_through_preview_exits_2(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config:\n  z360-ecs:protect: [\n")
    assert main(["preview", "beta", "--stack-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and "Traceback" not in err
