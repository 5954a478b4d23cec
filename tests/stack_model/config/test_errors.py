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
from tests.support.config_mutations import Mutation, both, load, setter
from tests.support.runs import stack_document
from z360_ecs.cli import main
from z360_ecs.common import StackFileError, load_stack_settings
from z360_ecs.engine.program import run_program


def top(key: str, value: Any) -> Mutation:
    return lambda document: document["config"].__setitem__(key, value)


def remove(*path: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        node = document["config"]["z360-ecs:services"]
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


BUDGET = "z360-ecs:budget"
ALERTS = "z360-ecs:alerts"
CLUSTERS = "z360-ecs:clusters"
BREAKER = "z360-ecs:costBreaker"

# (id, stack, mutation, fragments the single problem must contain: path, value, what is allowed)
CASES: list[tuple[str, str, Mutation, tuple[str, ...]]] = [
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
    ("min-above-max", "beta", setter("web", "scaling", "min", value=60),
     ("services.web.scaling.min:", "60", "above max 50", "min must be <= max")),
    ("spike-at-max", "beta", setter("web", "alarms", "taskCountSpike", value=50),
     ("services.web.alarms.taskCountSpike:", "50", "not below scaling.max 50")),
    ("spike-above-max", "beta", setter("web", "alarms", "taskCountSpike", value=80),
     ("services.web.alarms.taskCountSpike:", "80", "not below scaling.max 50")),
    ("zero-alert-amount", "beta", setter("alertAmounts", value=[0, 500], stack_key=BUDGET),
     ("budget.alertAmounts:", "alert amount 0", "must be above 0")),
    ("negative-alert-amount", "beta", setter("alertAmounts", value=[-5], stack_key=BUDGET),
     ("budget.alertAmounts:", "-5", "must be above 0")),
    ("duplicate-alert-amount", "beta", setter("alertAmounts", value=[500, 500], stack_key=BUDGET),
     ("budget.alertAmounts:", "500", "listed more than once")),
    ("eleven-notifications", "beta",
     setter("alertAmounts", value=list(range(100, 1200, 100)), stack_key=BUDGET),
     ("budget.alertAmounts:", "11 alert amounts", "at most 10")),
    ("invalid-email", "beta", setter("emails", value=["ansar@z360.biz", "x@"], stack_key=ALERTS),
     ("alerts.emails:", "'x@'", "not an email address")),
    ("duplicate-email", "beta",
     setter("emails", value=["ops@z360.biz", "OPS@z360.biz"], stack_key=ALERTS),
     ("alerts.emails:", "'OPS@z360.biz'", "listed twice")),
    ("duplicate-family", "beta", setter("queue", "family", value="z360-beta-web"),
     ("services.{web,queue}.family:", "'z360-beta-web'", "each needs its own")),
    ("duplicate-service-name", "beta",
     setter("queue", "serviceName", value="z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.{web,queue}.serviceName:", "5Ao8dxMzQ1d8", "each needs its own")),
    ("family-too-long-for-its-role", "beta", setter("web", "family", value="f" * 55),
     ("services.web.family:", "55 characters", "at most 54", "fits IAM's 64")),
    ("service-name-too-long", "beta", setter("web", "serviceName", value="s" * 256),
     ("services.web.serviceName:", "256 characters", "1 to 255")),
    ("service-name-bad-characters", "beta", setter("web", "serviceName", value="web service!"),
     ("services.web.serviceName:", "'web service!'", "letters, digits, '-' or '_'")),
    ("budget-name-too-long", "beta", setter("name", value="b" * 101, stack_key=BUDGET),
     ("budget.name:", "101 characters", "1 to 100")),
    ("topic-name-with-space", "beta", setter("topicName", value="beta alerts", stack_key=ALERTS),
     ("alerts.topicName:", "'beta alerts'", "no spaces")),
    ("alarm-prefix-too-long", "beta", setter("web", "namePrefix", value="p" * 240),
     ("services.web.namePrefix:", "240 characters", "at most 238", "-task-count-spike")),
    ("secret-is-s3-arn", "beta",
     setter("web", "secrets", value={"DB_PASSWORD": "arn:aws:s3:::z360-secrets/db"}),
     ("services.web.secrets.DB_PASSWORD:", "arn:aws:s3:::z360-secrets/db",
      "not an SSM parameter or Secrets Manager secret ARN")),
    ("secret-is-plaintext", "beta", setter("web", "secrets", value={"API_KEY": "hunter2"}),
     ("services.web.secrets.API_KEY:", "not an SSM parameter")),
    ("plaintext-under-secret-name", "beta",
     setter("web", "environment", value={"DB_PASSWORD": "hunter2"}),
     ("services.web.environment.DB_PASSWORD:", "looks like a credential", "move it to `secrets`")),
    ("nested-secure-value", "beta",
     setter("web", "environment", value={"APP_MODE": {"secure": "AAABAD..."}}),
     ("services.web.environment.APP_MODE:", "secure:", "list its ARN under `secrets`")),
    ("fargate-8192-17408", "beta",
     both(setter("web", "cpu", value=8192), setter("web", "memory", value=17408)),
     ("services.web.memory:", "17408", "cpu 8192", "16384 to 61440 in steps of 4096")),
    ("fargate-cpu-300", "beta", setter("web", "cpu", value=300),
     ("services.web.cpu:", "300", "256, 512, 1024")),
    ("fargate-memory-mismatch", "beta", setter("web", "memory", value=1024),
     ("services.web.memory:", "1024", "cpu 1024", "2048 to 8192")),
    ("unknown-cluster-reference", "beta", setter("web", "cluster", value="ap"),
     ("services.web.cluster:", "'ap'", "allowed: agent, app")),
    ("region-not-us-east-1", "beta", top("aws:region", "eu-west-1"),
     ("aws:region:", "'eu-west-1'", "must be 'us-east-1'")),
    ("two-accounts", "beta", top("aws:allowedAccountIds", ["108782097218", "111111111111"]),
     ("aws:allowedAccountIds:", "111111111111", "exactly one 12-digit account id")),
    ("account-as-number", "beta", top("aws:allowedAccountIds", [108782097218]),
     ("aws:allowedAccountIds:", "[108782097218]", "as a string")),
    ("datapoints-above-evaluation-periods", "beta",
     setter("web", "alarms", "datapointsToAlarm", value=5),
     ("services.web.alarms.datapointsToAlarm:", "5", "must be <= evaluationPeriods")),
    ("alarm-period-not-allowed", "beta", setter("web", "alarms", "period", value=45),
     ("services.web.alarms.period:", "45", "10, 20, 30, 60")),
    ("hold-at-above-max", "beta", setter("web", "scaling", "holdAt", value=60),
     ("services.web.scaling.holdAt:", "60", "outside min 1 .. max 50")),
    ("hold-at-below-min", "beta",
     both(setter("web", "scaling", "min", value=2), setter("web", "scaling", "holdAt", value=1)),
     ("services.web.scaling.holdAt:", "1", "outside min 2 .. max 50")),
    ("environment-not-allowed", "beta", top("z360-ecs:environment", "prod"),
     ("environment:", "'prod'", "'staging' or 'beta'")),
    ("architecture-lowercase", "beta", setter("web", "architecture", value="arm64"),
     ("services.web.architecture:", "'arm64'", "'X86_64' or 'ARM64'")),
    ("bad-default-overridden-everywhere", "beta",
     setter("cpu", value="big", stack_key="z360-ecs:serviceDefaults"),
     ("serviceDefaults.cpu:", "'big'", "must be a whole number")),
    ("import-service-wrong-format", "beta",
     setter("web", "importIds", "service", value="z360-beta-web"),
     ("services.web.importIds.service:", "'z360-beta-web'", "'<cluster name>/<service name>'")),
    ("import-service-wrong-cluster", "beta",
     setter("web", "importIds", "service", value="other-cluster/z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.web.importIds.service:", "other-cluster",
      "must be 'z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8'")),
    ("import-target-missing-dimension", "beta",
     setter("web", "importIds", "scalableTarget",
            value="service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.web.importIds.scalableTarget:", "ecs:service:DesiredCount")),
    ("import-alarm-wrong-name", "beta",
     setter("web", "importIds", "cpuAlarm", value="z360-beta-web-cpu"),
     ("services.web.importIds.cpuAlarm:", "'z360-beta-web-cpu'", "'z360-beta-web-high-cpu'")),
    ("import-alarm-not-configured", "beta",
     setter("voice", "importIds", "cpuAlarm", value="z360-beta-voice-high-cpu"),
     ("services.voice.importIds.cpuAlarm:", "does not have", "alarms.cpuHigh")),
    ("import-cluster-not-its-name", "beta",
     setter("app", "importId", value="arn:aws:ecs:us-east-1:108782097218:cluster/x",
            stack_key=CLUSTERS),
     ("clusters.app.importId:", "cluster/x", "imported by its name")),
    ("import-budget-wrong-account", "beta",
     setter("importId", value="111111111111:z360-monthly-spending-alert", stack_key=BUDGET),
     ("budget.importId:", "111111111111", "'108782097218:z360-monthly-spending-alert'")),
    ("import-topic-not-arn", "beta",
     setter("importTopicArn", value="z360-beta-alerts", stack_key=ALERTS),
     ("alerts.importTopicArn:", "'z360-beta-alerts'",
      "'arn:aws:sns:us-east-1:108782097218:z360-beta-alerts'")),
    ("breaker-ceiling-on-fixed-count-service", "beta",
     setter("aegra", "scaling", "enabled", value=False),
     ("costBreaker.emergencyCeilings.aegra:", "scaling off", "remove the ceiling")),
    ("breaker-notification-over-the-limit", "beta",
     setter("alertAmounts", value=list(range(100, 1100, 100)), stack_key=BUDGET),
     ("budget.alertAmounts:", "10 amounts plus the cost breaker's", "at most 9")),
    # The cost breaker's fields follow the number rules of every model (config/base.py).
    ("breaker-threshold-bool", "beta", setter("thresholdPercent", value=True, stack_key=BREAKER),
     ("costBreaker.thresholdPercent:", "True")),
    ("breaker-threshold-nan", "beta",
     setter("thresholdPercent", value=float("nan"), stack_key=BREAKER),
     ("costBreaker.thresholdPercent:", "finite")),
    ("breaker-ceiling-bool", "beta",
     setter("emergencyCeilings", "web", value=True, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.web:", "True")),
    ("breaker-default-ceiling-fraction", "beta",
     setter("defaultEmergencyCeiling", value=2.5, stack_key=BREAKER),
     ("costBreaker.defaultEmergencyCeiling:", "2.5")),
]


def test_the_suite_covers_at_least_35_distinct_configs() -> None:
    assert len({case[0] for case in CASES}) == len(CASES) >= 35


@pytest.mark.parametrize(
    ("stack", "mutate", "fragments"),
    [pytest.param(stack, mutate, fragments, id=name) for name, stack, mutate, fragments in CASES],
)
def test_malformed_config_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as refused:
        load(stack, mutate)
    problems = refused.value.problems
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], f"{fragment!r} not in {problems[0]!r}"


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


def test_alert_amounts_above_the_limit_are_legal() -> None:
    # Being told when spend overshoots the budget is the point of an alert above the limit.
    config = load("beta", setter("alertAmounts", value=[2000, 2500, 3000], stack_key=BUDGET))
    assert config.budget is not None
    assert config.budget.alert_amounts == [2000, 2500, 3000]
    assert config.budget.monthly_limit == 2500


def test_a_plaintext_credential_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as refused:
        load("beta", setter("web", "environment", value={"DB_PASSWORD": "hunter2-live"}))
    assert "hunter2-live" not in str(refused.value)


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

    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
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
