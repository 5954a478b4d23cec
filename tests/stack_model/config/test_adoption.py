"""Adopting the live estate: every import id in the beta stack names what the program declares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
)
from stack_model.config import ConfigError, Problem, load_stack_config
from tests.support.config_mutations import (
    ALERTS,
    BUDGET,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)
from tests.support.runs import stack_document
from z360_ecs.engine.program import ProgramRun

DIMENSION = "ecs:service:DesiredCount"

# Ids well formed (ImportIds's check) that name some other resource than the program declares.
CASES: list[RefusalCase] = [
    ("import-service-wrong-cluster", "beta",
     setter("web", "importIds", "service", value="other-cluster/z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.web.importIds.service:", "other-cluster",
      "must be 'z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8'")),
    ("import-alarm-wrong-name", "beta",
     setter("web", "importIds", "cpuAlarm", value="z360-beta-web-cpu"),
     ("services.web.importIds.cpuAlarm:", "'z360-beta-web-cpu'", "'z360-beta-web-high-cpu'")),
    ("import-alarm-not-configured", "beta",
     setter("voice", "importIds", "cpuAlarm", value="z360-beta-voice-high-cpu"),
     ("services.voice.importIds.cpuAlarm:", "does not have", "alarms.cpuHigh")),
    ("import-budget-wrong-account", "beta",
     setter("importId", value="111111111111:z360-monthly-spending-alert", stack_key=BUDGET),
     ("budget.importId:", "111111111111", "'108782097218:z360-monthly-spending-alert'")),
    ("import-topic-not-arn", "beta",
     setter("importTopicArn", value="z360-beta-alerts", stack_key=ALERTS),
     ("alerts.importTopicArn:", "'z360-beta-alerts'",
      "'arn:aws:sns:us-east-1:108782097218:z360-beta-alerts'")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_an_id_naming_another_resource_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


@pytest.fixture(scope="module")
def beta() -> ProgramRun:
    from tests.support.runs import unmodified_run

    return unmodified_run("beta")


def test_beta_adopts_the_seed_known_resources(beta: ProgramRun) -> None:
    imported = {r.name: r.import_id for r in beta.resources if r.import_id}
    assert imported["app-cluster"] == "z360-beta-Cluster-8E41UEvLHdpU"
    # web publishes 20 s metrics, so it is an aws-native service: its import id is the
    # schema's primaryIdentifier, `<service ARN>|<cluster>` (docs/metrics-resolution.md).
    assert imported["web-service"] == (
        "arn:aws:ecs:us-east-1:108782097218:service/z360-beta-Cluster-8E41UEvLHdpU/"
        "z360-beta-web-Service-5Ao8dxMzQ1d8|z360-beta-Cluster-8E41UEvLHdpU")
    assert imported["web-scaling-target"] == (
        f"ecs/service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8/{DIMENSION}")
    assert imported["monthly-budget"] == "108782097218:z360-monthly-spending-alert"
    # Task definitions are never imported: registering one only adds a revision.
    assert not any(r.import_id for r in beta.by_type(TASK_DEFINITION_TYPE))


def test_every_import_id_names_the_resource_the_program_declares(beta: ProgramRun) -> None:
    """The id's format is pulumi-aws's for that type, built from the declared inputs."""
    by_urn = {r.urn: r for r in beta.registrations}
    checked = 0
    for r in beta.resources:
        if not r.import_id:
            continue
        inputs = r.inputs
        if r.type == CLUSTER_TYPE:
            expected = inputs["name"]
        elif r.type == SERVICE_TYPE:
            cluster = next(c for c in beta.by_type(CLUSTER_TYPE)
                           if c.import_id and inputs["cluster"].endswith("/" + c.inputs["name"]))
            expected = f"{cluster.inputs['name']}/{inputs['name']}"
        elif r.type == NATIVE_SERVICE_TYPE:
            # aws-native states the cluster by name, the form its import id carries.
            cluster = next(c for c in beta.by_type(CLUSTER_TYPE)
                           if c.import_id and inputs["cluster"] == c.inputs["name"])
            name = cluster.inputs["name"]
            expected = (f"arn:aws:ecs:us-east-1:108782097218:service/{name}/"
                        f"{inputs['serviceName']}|{name}")
        elif r.type == TARGET_TYPE:
            expected = f"{inputs['serviceNamespace']}/{inputs['resourceId']}/" \
                       f"{inputs['scalableDimension']}"
        elif r.type == SCALING_POLICY_TYPE:
            expected = f"{inputs['serviceNamespace']}/{inputs['resourceId']}/" \
                       f"{inputs['scalableDimension']}/{inputs['name']}"
        elif r.type == METRIC_ALARM_TYPE:
            expected = inputs["name"]
        elif r.type == BUDGET_TYPE:
            expected = f"{inputs['accountId']}:{inputs['name']}"
        else:
            pytest.fail(f"{r.urn}: no import id rule for {r.type}")
        assert r.import_id == expected, r.urn
        assert r.parent in by_urn
        checked += 1
    assert checked >= 4


def test_scaling_resource_ids_use_the_live_names(beta: ProgramRun) -> None:
    target = beta.named("web-scaling-target")
    assert target.inputs["resourceId"] == (
        "service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8")
    policy = beta.named("web-cpu-scaling")
    assert policy.inputs["name"] == "z360-beta-web-cpu-scaling"  # the seed's live policy


# --- the import-id check (stack_model/config/adoption.py) ----------------------------------

WEB_SERVICE = "z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8"


def _refused(mutate: Callable[[dict[str, Any]], None]) -> list[Problem]:
    document = stack_document("beta")
    mutate(document)
    config = document["config"]
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("z360-ecs:")}
    aws = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("aws:")}
    with pytest.raises(ConfigError) as refused:
        load_stack_config(raw, aws)
    return refused.value.details


def _web_ids(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]["web"]["importIds"]


def test_one_check_reports_name_and_cluster_problems_together() -> None:
    # A wrong alarm name (no cluster needed) and a service in another cluster (needs the
    # cluster's name) were once two checks, the second silent while the first found anything.
    def mutate(document: dict[str, Any]) -> None:
        _web_ids(document)["cpuAlarm"] = "z360-beta-web-cpu"
        _web_ids(document)["service"] = "other-cluster/z360-beta-web-Service-5Ao8dxMzQ1d8"

    problems = _refused(mutate)
    assert [p.path for p in problems] == [
        ("services", "web", "importIds", "service"),
        ("services", "web", "importIds", "cpuAlarm"),
    ]
    assert problems[0].message == (
        f"'other-cluster/z360-beta-web-Service-5Ao8dxMzQ1d8' must be {WEB_SERVICE!r}: cluster "
        "'z360-beta-Cluster-8E41UEvLHdpU' and service 'z360-beta-web-Service-5Ao8dxMzQ1d8' are "
        "the names this service has"
    )


def test_a_policy_id_is_reported_once_with_the_first_rule_it_breaks() -> None:
    def mutate(document: dict[str, Any]) -> None:
        _web_ids(document)["cpuPolicy"] = (
            f"ecs/service/{WEB_SERVICE}/{DIMENSION}/z360-beta-web-scaling")

    (problem,) = _refused(mutate)
    assert str(problem) == (
        f"services.web.importIds.cpuPolicy: 'ecs/service/{WEB_SERVICE}/{DIMENSION}/"
        "z360-beta-web-scaling' must end with '/z360-beta-web-cpu-scaling', the name the "
        "program gives this policy"
    )


def test_a_task_definition_of_another_family_and_account_is_one_problem() -> None:
    def mutate(document: dict[str, Any]) -> None:
        _web_ids(document)["taskDefinition"] = (
            "arn:aws:ecs:us-east-1:111111111111:task-definition/other:3")

    (problem,) = _refused(mutate)
    assert problem.path == ("services", "web", "importIds", "taskDefinition")
    assert "is not a revision of family 'z360-beta-web'" in problem.message


def test_a_task_definition_in_another_account_is_refused() -> None:
    def mutate(document: dict[str, Any]) -> None:
        _web_ids(document)["taskDefinition"] = (
            "arn:aws:ecs:us-east-1:111111111111:task-definition/z360-beta-web:3")

    (problem,) = _refused(mutate)
    assert problem.message.endswith(
        "is not in this stack's account and region (must start "
        "'arn:aws:ecs:us-east-1:108782097218:task-definition/')")
