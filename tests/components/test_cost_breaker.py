"""The CostBreaker component under Pulumi mocks, and in the real beta stack.

Checks what it creates, the IAM policy it grants (no wildcard action, every resource scoped),
the wiring budget notification -> breaker topic -> subscription -> function, the code archive
it ships (the handler runs from it alone), that the program loads no boto3 for it, that failed
invocations are kept (issue 12.3), and that `pulumi up` while tripped keeps the tripped maxima
(issue 12.10).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest

from breaker.contract import encode_record
from components.cost_breaker import (
    PROJECT_ROOT,
    BreakerTarget,
    CostBreaker,
    CostBreakerArgs,
    breaker_role_policy,
    breaker_targets,
    held_maxima,
    lambda_code,
    lambda_files,
)
from components.stack import build_stack
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE,
    LAMBDA_FUNCTION_TYPE,
    LAMBDA_PERMISSION_TYPE,
    LOG_GROUP_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SSM_PARAMETER_TYPE,
    TARGET_TYPE,
    TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from stack_model.config import ConfigError
from stack_model.naming import cost_breaker_names
from tests.support.configs import beta_config

ACCOUNT = "108782097218"
REGION = "us-east-1"
ALERTS = f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-test-alerts"
BREAKER_TYPES = {
    TOPIC_TYPE, TOPIC_POLICY_TYPE, SSM_PARAMETER_TYPE,
    LOG_GROUP_TYPE, ROLE_TYPE, ROLE_POLICY_TYPE,
    LAMBDA_FUNCTION_TYPE, LAMBDA_PERMISSION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    LAMBDA_EVENT_INVOKE_CONFIG_TYPE,
}


def statements_granting(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


# --- the component alone, under the pulumi_mocks fixture ----------------------------------------


def test_component_creates_its_resources_and_wires_its_environment(pulumi_mocks, monkeypatch):
    created: dict[str, tuple[str, dict[str, Any]]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    original = pulumi_mocks.new_resource

    def record(args):
        created[args.typ] = (args.name, dict(args.inputs))
        by_name[args.name] = dict(args.inputs)
        return original(args)

    monkeypatch.setattr(pulumi_mocks, "new_resource", record)
    config = beta_config()
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def build():
        breaker = CostBreaker("cost-breaker", CostBreakerArgs(
            config=config.cost_breaker, budget=config.budget, environment="test",
            account_id=ACCOUNT, region=REGION, alert_topic_arn=ALERTS,
            targets=[BreakerTarget("web", "service/z360-test/web", 10),
                     BreakerTarget("queue", "service/z360-test/queue", 4)],
        ))
        outputs["notification"] = breaker.budget_notification
        return pulumi.Output.all(
            breaker.function_name, breaker.topic_arn, breaker.state_parameter_name,
            breaker.restore_command,
        ).apply(lambda values: outputs.update(zip(
            ("function", "topic", "parameter", "command"), values, strict=True)))

    build()  # returns once every registration has completed
    names = cost_breaker_names("test")
    created.pop("z360:budgets:CostBreaker", None)
    assert set(created) == BREAKER_TYPES, sorted(created)
    assert all(name.startswith("cost-breaker-") for name, _ in created.values())

    function = created[LAMBDA_FUNCTION_TYPE][1]
    # The archive holds the breaker package at its repository path: module breaker.handler.
    assert function["runtime"] == "python3.12"
    assert function["handler"] == "breaker.handler.handler"
    variables = function["environment"]["variables"]
    assert json.loads(variables["BREAKER_TARGETS"]) == [
        {"service": "web", "resourceId": "service/z360-test/web", "ceiling": 10},
        {"service": "queue", "resourceId": "service/z360-test/queue", "ceiling": 4},
    ]
    assert variables["BREAKER_STATE_PARAMETER"] == names["parameter"] == outputs["parameter"]
    assert variables["ALERT_TOPIC_ARN"] == ALERTS

    value = by_name["cost-breaker-state"]["value"]
    value = value["value"] if isinstance(value, dict) else value  # pulumi-aws marks it secret
    assert json.loads(value) == {"tripped": False, "changes": []}

    topic_arn = outputs["topic"]
    permission = created[LAMBDA_PERMISSION_TYPE][1]
    assert permission["principal"] == "sns.amazonaws.com"
    assert permission["sourceArn"] == topic_arn
    subscription = created[TOPIC_SUBSCRIPTION_TYPE][1]
    assert (subscription["protocol"], subscription["topic"]) == ("lambda", topic_arn)
    assert subscription["endpoint"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{outputs['function']}")

    topic_policy = json.loads(created[TOPIC_POLICY_TYPE][1]["policy"])
    statement, alarms = topic_policy["Statement"]
    assert statement["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == statement["Condition"]
    assert statement["Resource"] == topic_arn
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

    role_policy = json.loads(created[ROLE_POLICY_TYPE][1]["policy"])
    assert statements_granting(role_policy)["ScaledServicesPermissionCheck"]["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/z360-test/queue",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/z360-test/web",
    ]

    assert f"--function-name {outputs['function']} " in outputs["command"]
    assert outputs["notification"]["threshold_type"] == "PERCENTAGE"
    assert outputs["notification"]["threshold"] == config.cost_breaker.threshold_percent


# --- the code archive, and what the program loads ---------------------------------------------

# What the python3.12 runtime offers besides the standard library: the AWS SDK for Python and
# its dependencies (Lambda Developer Guide, "Building Lambda functions with Python": the runtime
# includes the SDK).
LAMBDA_RUNTIME = ["boto3", "botocore", "jmespath", "s3transfer", "dateutil", "urllib3", "six"]

# Run in a fresh interpreter: the archive's folder first on the path, then the site-packages
# that hold boto3; an import of anything neither in the archive, the standard library nor
# LAMBDA_RUNTIME is refused, as Lambda would (botocore's optional imports then take their
# fallbacks). Imports every module of the package, then invokes the entry point.
RUN_FROM_ARCHIVE = """
import importlib, importlib.abc, json, pathlib, sys
archive, site_packages, entry_point, runtime = sys.argv[1:5]
sys.path.insert(0, archive)
sys.path.append(site_packages)  # as a plain folder: no .pth file in it is read
allowed = {*json.loads(runtime), *sys.stdlib_module_names,
           *(p.name for p in pathlib.Path(archive).iterdir())}
refused = []

class LambdaRuntime(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in allowed:
            refused.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} in Lambda", name=name)
        return None

sys.meta_path.insert(0, LambdaRuntime())
for path in sorted(pathlib.Path(archive, "breaker").glob("*.py")):
    importlib.import_module(f"breaker.{path.stem}")
module, function = entry_point.rsplit(".", 1)
result = getattr(importlib.import_module(module), function)({"action": "explode"}, None)
files = {name: getattr(m, "__file__", None) for name, m in sys.modules.items()}
print(json.dumps({"result": result, "files": files, "path0": sys.path[0], "refused": refused}))
"""


def test_the_archive_holds_the_whole_breaker_package_and_the_facts_it_imports():
    files = lambda_files()

    assert {name for name in files if name.startswith("breaker/")} == {
        f"breaker/{path.name}" for path in (PROJECT_ROOT / "breaker").glob("*.py")}
    assert {name for name in files if not name.startswith("breaker/")} == {
        "policies/__init__.py", "policies/guardrails/__init__.py",
        "policies/guardrails/facts/__init__.py", "policies/guardrails/facts/scaling.py"}
    assert all(path == PROJECT_ROOT / name and path.is_file() for name, path in files.items())


def test_the_handler_runs_from_the_archive_alone(tmp_path):
    # The archive's files, and nothing else of this repository, as Lambda unpacks them.
    for name, asset in lambda_code().assets.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(Path(asset.path).read_bytes())
    site_packages = str(Path(boto3.__file__).parent.parent)

    # -I -S: no PYTHONPATH, no working directory and no site-packages (whose .pth file puts this
    # repository on the path) unless the script adds it.
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUN_FROM_ARCHIVE, str(tmp_path), site_packages,
         "breaker.handler.handler", json.dumps(LAMBDA_RUNTIME)],
        capture_output=True, text=True, timeout=60, env={"AWS_DEFAULT_REGION": "us-east-1"},
    )

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["path0"] == str(tmp_path)
    assert answer["result"]["ok"] is False and "unknown event" in answer["result"]["error"]
    first_party = {"breaker", "policies", "components", "stack_model", "z360_ecs"}
    assert not {name.split(".")[0] for name in answer["refused"]} & first_party, answer["refused"]
    loaded = {name: file for name, file in answer["files"].items() if file}
    from_archive = {name for name, file in loaded.items() if file.startswith(str(tmp_path))}
    assert {name.split(".")[0] for name in loaded} & first_party == {"breaker", "policies"}
    assert {name for name in loaded if name.split(".")[0] in first_party} == from_archive
    assert "policies.guardrails.facts.scaling" in from_archive


def test_importing_the_component_loads_neither_boto3_nor_the_handler():
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, components.cost_breaker; "
         "print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )

    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "breaker.contract" in loaded  # the proof below is not vacuous
    assert not loaded & {"boto3", "botocore", "breaker.handler", "breaker.clients"}, \
        sorted(loaded & {"boto3", "botocore", "breaker.handler", "breaker.clients"})


# --- the role policy -----------------------------------------------------------------------------


def _policy(**changes) -> dict[str, Any]:
    values = dict(
        account_id=ACCOUNT, region=REGION, environment="beta",
        service_resource_ids=["service/app/web", "service/agent/voice"],
        alert_topic_arn=ALERTS, parameter_name="/z360/beta/cost-breaker/state",
        log_group_arn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/z360-beta-cost-breaker",
    )
    values.update(changes)
    return breaker_role_policy(**values)


def test_role_policy_has_no_wildcard_action():
    for statement in _policy()["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, statement


def test_only_describe_uses_a_star_resource_and_everything_else_is_scoped():
    statements = statements_granting(_policy())
    star = {sid for sid, s in statements.items() if s["Resource"] == "*"}
    assert star == {"ReadScalableTargets"}
    assert statements["ReadScalableTargets"]["Action"] == [
        "application-autoscaling:DescribeScalableTargets"]
    assert statements["ReportToAlertTopic"]["Resource"] == ALERTS
    assert statements["OwnRecord"]["Resource"] == (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/z360/beta/cost-breaker/state")
    assert statements["OwnLogs"]["Resource"].endswith(
        "log-group:/aws/lambda/z360-beta-cost-breaker:*")
    assert statements["ScaledServicesPermissionCheck"]["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/agent/voice",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/app/web",
    ]


def test_register_scalable_target_is_limited_to_this_environments_ecs_targets():
    statement = statements_granting(_policy(environment="staging"))["LowerAndRestoreMaxCapacity"]
    assert statement["Action"] == ["application-autoscaling:RegisterScalableTarget"]
    assert statement["Resource"] == (
        f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/*")
    assert statement["Condition"] == {"StringEquals": {
        "application-autoscaling:service-namespace": "ecs",
        "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
        "aws:ResourceTag/z360:environment": "staging",
    }}


# --- targets from the stack config ---------------------------------------------------------------


def test_targets_take_listed_ceilings_and_the_default_for_the_rest():
    config = beta_config(lambda d: d["z360-ecs:costBreaker"].update(
        {"emergencyCeilings": {"web": 7}, "defaultEmergencyCeiling": 3}))
    targets = breaker_targets(config, {"web": "service/app/web", "queue": "service/app/queue"})
    assert [(t.service, t.ceiling) for t in targets] == [("web", 7), ("queue", 3)]


def test_services_without_scaling_are_not_targets():
    config = beta_config()
    targets = breaker_targets(config, {"web": "service/app/web", "queue": None})
    assert [t.service for t in targets] == ["web"]


def test_a_ceiling_for_a_service_without_scaling_is_refused_by_the_stack_config():
    def mutate(document):
        document["z360-ecs:services"]["queue"]["scaling"] = {"enabled": False}

    with pytest.raises(ConfigError, match=r"costBreaker.emergencyCeilings.queue"):
        beta_config(mutate)


def test_ten_alert_amounts_leave_no_room_for_the_breaker():
    def mutate(document):
        document["z360-ecs:budget"]["alertAmounts"] = [100 * i for i in range(1, 11)]

    with pytest.raises(ConfigError, match=r"budget.alertAmounts"):
        beta_config(mutate)


# --- the real beta stack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beta_run():
    from tests.support.runs import unmodified_run

    return unmodified_run("beta", preview=False)


def test_beta_stack_creates_the_breaker_under_its_component(beta_run):
    (component,) = beta_run.by_type("z360:budgets:CostBreaker")
    children = {r.type for r in beta_run.registrations if r.parent == component.urn}
    assert children == BREAKER_TYPES


def test_beta_budget_notifies_the_breaker_topic_which_invokes_the_function(beta_run):
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-beta-cost-breaker"
    (budget,) = beta_run.by_type(BUDGET_TYPE)
    breaker_notifications = [n for n in budget.inputs["notifications"]
                             if n.get("subscriberSnsTopicArns") == [topic_arn]]
    assert breaker_notifications == [{
        "comparisonOperator": "GREATER_THAN", "notificationType": "FORECASTED",
        "threshold": 100, "thresholdType": "PERCENTAGE", "subscriberSnsTopicArns": [topic_arn],
    }]
    assert len(budget.inputs["notifications"]) == 4  # the three alert amounts stay

    subscription = beta_run.named("cost-breaker-subscription").inputs
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:z360-beta-cost-breaker"
    assert (subscription["topic"], subscription["endpoint"]) == (topic_arn, function_arn)
    assert beta_run.named("cost-breaker-invoke-permission").inputs["sourceArn"] == topic_arn


def test_beta_breaker_targets_every_scaling_service_with_its_ceiling(beta_run):
    variables = beta_run.named("cost-breaker-function").inputs["environment"]["variables"]
    targets = {t["service"]: (t["resourceId"], t["ceiling"])
               for t in json.loads(variables["BREAKER_TARGETS"])}
    assert {k: c for k, (_, c) in targets.items()} == {
        "web": 10, "queue": 4, "reverb": 4, "gateway": 10, "aegra": 6, "voice": 10}
    assert targets["web"][0] == "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8"
    assert variables["ALERT_TOPIC_ARN"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:z360-beta-alerts"


def test_beta_state_parameter_ignores_value_changes(beta_run):
    parameter = beta_run.named("cost-breaker-state")
    assert parameter.inputs["name"] == "/z360/beta/cost-breaker/state"
    assert parameter.ignore_changes == ["value", "tier"]


def test_beta_exports_the_function_name_and_restore_command(beta_run):
    assert beta_run.outputs["costBreakerFunctionName"] == "z360-beta-cost-breaker"
    assert beta_run.outputs["costBreakerRestoreCommand"] == (
        "aws lambda invoke --function-name z360-beta-cost-breaker "
        "--payload '{\"action\":\"restore\"}' --cli-binary-format raw-in-base64-out out.json")


def test_staging_has_no_breaker(run_stack):
    run = run_stack("staging")
    assert run.by_type("z360:budgets:CostBreaker") == []
    assert "costBreakerFunctionName" not in run.outputs


# --- a failed invocation is kept; no reserved concurrency (issues 12.3, 12.5) ------------------
# Lambda retries a failed asynchronous invocation twice, then discards the event unless an
# on-failure destination or dead-letter queue is set (AWS Lambda Developer Guide, "Asynchronous
# invocation"). Reserved concurrency needs 100 unreserved executions left in the account
# ("Configuring reserved concurrency"), so the function sets none and serialises on its lock.


def test_failed_invocations_go_to_the_alert_topic_after_two_retries(beta_run):
    config = beta_run.named("cost-breaker-on-failure").inputs
    assert config["functionName"] == "z360-beta-cost-breaker"
    assert config["maximumRetryAttempts"] == 2
    assert config["destinationConfig"] == {
        "onFailure": {"destination": "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"}}


def test_the_function_reserves_no_concurrency(beta_run):
    assert "reservedConcurrentExecutions" not in beta_run.named("cost-breaker-function").inputs


def test_the_role_may_publish_to_the_alert_topic_and_write_its_lock_and_nothing_else(beta_run):
    policy = json.loads(beta_run.named("cost-breaker-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReportToAlertTopic"]["Action"] == ["sns:Publish"]
    assert statements["ReportToAlertTopic"]["Resource"] == (
        "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts")
    assert statements["OwnRecord"]["Resource"] == [
        "arn:aws:ssm:us-east-1:108782097218:parameter/z360/beta/cost-breaker/state",
        "arn:aws:ssm:us-east-1:108782097218:parameter/z360/beta/cost-breaker/lock",
    ]
    for statement in policy["Statement"]:
        actions = statement["Action"]
        assert all("*" not in a for a in actions), statement


def test_the_lock_parameter_exists_and_the_function_is_told_its_name(beta_run):
    lock = beta_run.named("cost-breaker-lock")
    assert lock.inputs["name"] == "/z360/beta/cost-breaker/lock"
    assert lock.ignore_changes == ["value"]
    variables = beta_run.named("cost-breaker-function").inputs["environment"]["variables"]
    assert variables["BREAKER_LOCK_PARAMETER"] == "/z360/beta/cost-breaker/lock"
    assert int(variables["BREAKER_LOCK_TTL_SECONDS"]) > beta_run.named(
        "cost-breaker-function").inputs["timeout"]
    assert variables["BREAKER_BUDGET_NAME"] == "z360-monthly-spending-alert"
    assert variables["BREAKER_TOPIC_ARN"] == (
        "arn:aws:sns:us-east-1:108782097218:z360-beta-cost-breaker")


def test_the_function_is_told_exactly_which_account_budget_and_alarms_it_trusts(beta_run):
    variables = beta_run.named("cost-breaker-function").inputs["environment"]["variables"]
    assert variables["BREAKER_ACCOUNT_ID"] == "108782097218"
    assert variables["BREAKER_BUDGET_NAME"] == "z360-monthly-spending-alert"
    # By ARN, in the stack's own account and region: a same-named alarm elsewhere is refused.
    assert json.loads(variables["BREAKER_TRIP_ALARM_ARNS"]) == [
        "arn:aws:cloudwatch:us-east-1:108782097218:alarm:z360-beta-burn-rate-trip"]
    trip = beta_run.named("burn-rate-trip")
    assert trip.inputs["name"] == "z360-beta-burn-rate-trip"
    assert "BREAKER_TRIP_ALARMS" not in variables


def test_without_a_lock_name_the_policy_names_the_record_alone():
    policy = breaker_role_policy(
        account_id="108782097218", region="us-east-1", environment="beta",
        service_resource_ids=[], alert_topic_arn="arn:aws:sns:us-east-1:108782097218:a",
        parameter_name="/p", log_group_arn="arn:aws:logs:us-east-1:108782097218:log-group:/l",
    )
    (own,) = [s for s in policy["Statement"] if s["Sid"] == "OwnRecord"]
    assert own["Resource"] == "arn:aws:ssm:us-east-1:108782097218:parameter/p"


# --- `pulumi up` while the breaker is tripped keeps its ceilings (issue 12.10) -----------------
# The program reads the breaker's record through the provider (GetParametersByPath on the
# breaker's folder, which answers an empty list when the record does not exist) and keeps each
# recorded newMax as the scalable target's max until a restore empties the record. Here the
# provider's answer is the mock's `call`. Reading the record is tested on `held_maxima` itself;
# that the held values reach the scalable targets, on the real program (build_stack on beta).


RECORD = "/z360/beta/cost-breaker/state"
CONFIGURED = {"web": 50, "queue": 20, "reverb": 20, "gateway": 50, "aegra": 30, "voice": 50}


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
        exports = build_stack(beta_config())
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


def test_offline_the_note_names_a_few_services_at_any_size(pulumi_mocks, monkeypatch, caplog):
    answer_with(pulumi_mocks, monkeypatch, None)
    held_maxima("beta", [f"service-{index:04d}" for index in range(1000)])
    (message,) = [r.getMessage() for r in caplog.records if "not read" in r.getMessage()]
    assert "kept for service-0000, service-0001, service-0002 and 997 others until" in message
    assert len(message) < 250


def test_a_held_max_never_goes_below_the_configured_min(pulumi_mocks, monkeypatch):
    document_min = beta_config().services["web"].effective_min
    tripped = {"tripped": True, "changes": [change("web", 50, 0)]}

    maxima = run_beta(pulumi_mocks, monkeypatch, record_answer(tripped))

    assert maxima["web"] == document_min
