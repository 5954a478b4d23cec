"""adopt on odd but legal live values: each bad value is reported at its key and the rest of
the run goes on.

Scenarios run against the session's replica of staging (`@while_live`), with discovery patched
where the replica cannot hold the value (moto takes any environment name; the sidecar and the
per-service subnets are added to what DescribeServices / DescribeTaskDefinition returned).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stack_model.config.source import parse_yaml
from tests.support import live_replica as replica
from tests.support.live_estates import CliRun, Estate, Live, cli, copy_stack_file, while_live
from z360_ecs.live import adopt_estate as estate_module
from z360_ecs.live.adopt import Result, _show_pair, adopt
from z360_ecs.live.adopt_estate import Clients, LiveContainer, LiveService
from z360_ecs.live.adopt_fill import REFUSED, WRITTEN

PREFIX = f"arn:aws:ssm:{replica.REGION}:{replica.ACCOUNT}:parameter"
# Plain environment values YAML 1.1 or 1.2 would read as something else unquoted.
MISREAD = {"FLAG": "yes", "MODE": "off", "AT": "10:00", "OCTAL": "0400", "ON": "on",
           "TRUE": "true", "COUNT": "12", "EMPTY": "", "NULLISH": "null", "DATE": "2026-01-16"}
SECRETS = {
    "DB_PASSWORD": "/z360/staging/db-password",  # a bare hierarchical parameter name
    "API_TOKEN": "api-token",  # a bare flat parameter name
    "APP_KEY": f"arn:aws:secretsmanager:{replica.REGION}:{replica.ACCOUNT}:secret:z360/app-AbCdEf",
    "bad-name": f"{PREFIX}/z360/staging/x",
    "IN_S3": "arn:aws:s3:::z360-staging/secret.txt",
}


@while_live("staging")
def odd_values(live: Live) -> Result:
    """Every container with values YAML misreads, a name the config refuses, secrets given by
    parameter name, and web with a sidecar beside its application container."""
    container = estate_module._container
    fill_service = estate_module._fill_service

    def odd(definition: dict[str, Any]) -> LiveContainer:
        environment = [{"name": k, "value": v} for k, v in {**MISREAD, "my-var": "x"}.items()]
        secrets = [{"name": k, "valueFrom": v} for k, v in SECRETS.items()]
        return container(dict(definition, environment=environment, secrets=secrets))

    def with_sidecar(service: LiveService, described: dict[str, Any], clients: Clients) -> None:
        fill_service(service, described, clients)
        if service.key == "web":
            service.containers.append(LiveContainer("envoy", "envoyproxy/envoy:v1.31", 9901,
                                                    {}, {}, None, {}))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_container", odd)
        patch.setattr(estate_module, "_fill_service", with_sidecar)
        return adopt("staging", live.session,
                     stack_file=copy_stack_file("staging", live.directory))


def test_values_yaml_would_misread_are_quoted_and_read_back_the_same(staging: Estate):
    result = staging.scenarios["odd_values"]
    services = parse_yaml(result.adopted)["config"]["z360-ecs:services"]
    for key in services:
        assert services[key]["environment"] == MISREAD, key
    assert '"yes"' in result.adopted and '"10:00"' in result.adopted


def test_bare_parameter_names_are_written_as_arns(staging: Estate):
    result = staging.scenarios["odd_values"]
    secrets = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["web"]["secrets"]
    assert secrets == {"APP_KEY": SECRETS["APP_KEY"],
                       "DB_PASSWORD": f"{PREFIX}/z360/staging/db-password",
                       "API_TOKEN": f"{PREFIX}/api-token"}
    notes = {r.key: r for r in result.fill.for_scope("services.web")}
    assert notes["secrets.API_TOKEN"].status == WRITTEN
    assert "parameter name" in notes["secrets.API_TOKEN"].note


def test_names_and_references_the_config_refuses_are_reported_at_their_key(staging: Estate):
    result = staging.scenarios["odd_values"]
    refused = {(r.scope, r.key) for r in result.fill.rows if r.status == REFUSED}
    for key in ("web", "queue", "reverb", "gateway", "aegra", "voice"):
        assert {(f"services.{key}", "environment.my-var"), (f"services.{key}", "secrets.bad-name"),
                (f"services.{key}", "secrets.IN_S3")} <= refused
    assert "my-var" not in result.adopted and "IN_S3" not in result.adopted
    assert any(e.startswith("services.web.environment.my-var") for e in result.errors)


def test_a_container_the_program_would_drop_is_reported(staging: Estate):
    result = staging.scenarios["odd_values"]
    row = next(r for r in result.fill.rows if r.key == "containers.envoy")
    assert row.scope == "services.web" and row.error and "drop" in row.note
    # The application container's values are still adopted.
    web = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["web"]
    assert web["image"] == replica.SERVICES["staging"]()[0].image


# --- a block shared by a YAML anchor and alias ---------------------------------------------

SHARED = """      network: &agentnet
        subnets: [subnet-00000000000000003, subnet-00000000000000004]
        securityGroups: [sg-00000000000000002]
"""


def _shared_network_file(directory: Path) -> Path:
    """staging's file with gateway's network anchored and aegra's aliased to it."""
    path = copy_stack_file("staging", directory)
    text = path.read_text()
    gateway = "      namePrefix: z360-staging-gateway\n"
    aegra = "      namePrefix: z360-staging-aegra\n"
    assert gateway in text and aegra in text
    text = text.replace(gateway, gateway + SHARED)
    text = text.replace(aegra, aegra + "      network: *agentnet\n")
    path.write_text(text)
    return path


@while_live("staging")
def shared_network(live: Live) -> tuple[Result, list[str]]:
    """gateway runs in the first subnet only, aegra in the second; their networks are one
    anchored block in the file. (adopt's result, the replica's subnets)"""
    fill_service = estate_module._fill_service
    subnets = sorted({s for s in live.estate.replica.subnets})
    own = {"gateway": [subnets[0]], "aegra": [subnets[1]]}

    def split(service: LiveService, described: dict[str, Any], clients: Clients) -> None:
        fill_service(service, described, clients)
        service.subnets = own.get(service.key, service.subnets)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_fill_service", split)
        return adopt("staging", live.session,
                     stack_file=_shared_network_file(live.directory)), subnets


def test_an_aliased_block_is_unshared_before_it_is_edited(staging: Estate):
    result, subnets = staging.scenarios["shared_network"]
    services = parse_yaml(result.adopted)["config"]["z360-ecs:services"]
    assert services["gateway"]["network"]["subnets"] == [subnets[0]]
    assert services["aegra"]["network"]["subnets"] == [subnets[1]]
    # The edit did not go through the alias: aegra's block is its own now.
    assert "*agentnet" not in result.adopted


# --- a value the config refuses, whatever it is ---------------------------------------------


@while_live("staging")
def refused_role(live: Live) -> Result:
    """web's live task role is an ARN the config's IAM rule refuses (a space in the name)."""
    fill_service = estate_module._fill_service

    def odd_role(service: LiveService, described: dict[str, Any], clients: Clients) -> None:
        fill_service(service, described, clients)
        if service.key == "web":
            service.task_role_arn = f"arn:aws:iam::{replica.ACCOUNT}:role/web task"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_fill_service", odd_role)
        return adopt("staging", live.session,
                     stack_file=copy_stack_file("staging", live.directory))


def test_one_refused_value_is_reported_and_the_rest_written(staging: Estate):
    result = staging.scenarios["refused_role"]
    row = next(r for r in result.fill.rows if r.status == REFUSED and r.key == "taskRoleArn")
    assert row.scope == "services.web" and "config refuses it" in row.note
    services = parse_yaml(result.adopted)["config"]["z360-ecs:services"]
    assert "taskRoleArn" not in services["web"]
    assert services["web"]["serviceName"] == "z360-staging-web-Service-Sw1Eb2Rt3Yu4"
    assert services["queue"]["taskRoleArn"].endswith(":role/z360-staging-queue-task")


# --- --check shows the part of a long value that differs -----------------------------------


@while_live("staging")
def check_before_adopting(live: Live) -> CliRun:
    return cli(["adopt", "staging", "--check", "--stack-file",
                str(copy_stack_file("staging", live.directory))])


def test_check_shows_where_a_long_value_differs(staging: Estate):
    run = staging.scenarios["check_before_adopting"]
    assert run.code == 1
    image = next(line for line in run.out.splitlines() if line.strip().startswith("image "))
    assert "staging-2026-01-16" in image and "PLACEHOLDER" in image


def test_a_long_pair_is_cut_where_it_differs():
    registry = "108782097218.dkr.ecr.us-east-1.amazonaws.com/agent-layer-gateway"
    live, stack = _show_pair(f"{registry}:staging-2026-01-16", f"{registry}:PLACEHOLDER")
    assert live.endswith(":staging-2026-01-16") and stack.endswith(":PLACEHOLDER")
    assert live.startswith("...") and len(live) <= 44
    # Mappings: only the entries that differ.
    live, stack = _show_pair({"A": "1", "B": "same"}, {"A": "2", "B": "same"})
    assert (live, stack) == ("A=1", "A=2")


# --- working hours -------------------------------------------------------------------------------

LIVE_HOURS = [
    {"ScheduledActionName": "staging-web-morning", "Schedule": "cron(0 7 ? * MON-FRI *)",
     "Timezone": "Europe/London", "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 2}},
    {"ScheduledActionName": "staging-web-night", "Schedule": "cron(0 19 ? * MON-FRI *)",
     "Timezone": "Europe/London", "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 0}},
    {"ScheduledActionName": "z360-staging-web-wake-end", "Schedule": "at(2026-12-05T13:00:00)",
     "Timezone": "Europe/London", "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 0}},
]


@while_live("staging")
def live_working_hours(live: Live) -> Result:
    """web's target has working hours of its own (other names, London time) and a pending
    one-time action; the other services have none live."""
    scaling = estate_module._scaling

    def with_hours(clients: Clients, services: list[LiveService]) -> None:
        scaling(clients, services)
        for service in services:
            if service.key == "web":
                service.scalable_target = {"MinCapacity": 1, "MaxCapacity": 1}
                service.scheduled_actions = [dict(a) for a in LIVE_HOURS]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_scaling", with_hours)
        return adopt("staging", live.session,
                     stack_file=copy_stack_file("staging", live.directory))


def test_live_working_hours_are_written_for_that_service_only(staging: Estate):
    result = staging.scenarios["live_working_hours"]
    document = parse_yaml(result.adopted)["config"]
    assert document["z360-ecs:services"]["web"]["schedule"] == {
        "timezone": "Europe/London", "wake": "cron(0 7 ? * MON-FRI *)",
        "sleep": "cron(0 19 ? * MON-FRI *)"}
    # The stack-wide hours stay as they were for every other service.
    assert document["z360-ecs:serviceDefaults"]["schedule"]["wake"] == "cron(0 8 ? * MON-FRI *)"
    assert "schedule" not in document["z360-ecs:services"]["queue"]


def test_live_actions_the_program_does_not_name_are_reported(staging: Estate):
    rows = {r.key: r for r in staging.scenarios["live_working_hours"].fill.for_scope(
        "services.web")}
    assert "delete this one after the first `up`" in \
        rows["scheduled action staging-web-night"].note
    assert rows["scheduled action z360-staging-web-wake-end"].note == \
        "one-time or rate action: left as it is"
    assert rows["schedule wake capacity"].live == "1/2"


# --- QUEUE_CONNECTION: which backlog signal applies ---------------------------------------------


def _queue_rows(environment: dict[str, str], backlog: bool) -> tuple[dict, dict]:
    from tests.support.configs import beta_config
    from z360_ecs.live.adopt_fill import _queue_connection

    def without_backlog(document):
        document["z360-ecs:services"]["queue"]["scaling"].pop("queueBacklog")

    service = beta_config(None if backlog else without_backlog).services["queue"]
    written: dict[str, tuple] = {}
    reported: dict[str, tuple] = {}
    _queue_connection("services.queue", service, environment,
                      lambda path, live, stack, note="": written.__setitem__(path, (live, stack)),
                      lambda path, live, stack, note: reported.__setitem__(path, (live, note)))
    return written, reported


def test_live_sqs_connection_and_queue_name_are_written_into_queue_backlog():
    written, reported = _queue_rows({"QUEUE_CONNECTION": "sqs", "SQS_QUEUE": "jobs-live"}, True)
    assert written == {"scaling.queueBacklog.connection": ("sqs", "sqs"),
                       "scaling.queueBacklog.queueName": ("jobs-live", "z360-beta-jobs")}
    assert reported == {}


def test_live_redis_without_queue_backlog_says_which_signal_applies():
    written, reported = _queue_rows({"QUEUE_CONNECTION": "redis"}, False)
    assert written == {}
    live, note = reported["scaling.queueBacklog.connection"]
    assert live == "redis" and "scaling.queueBacklog (connection redis) applies" in note


def test_a_connection_backlog_scaling_cannot_read_is_reported_not_written():
    written, reported = _queue_rows({"QUEUE_CONNECTION": "database"}, True)
    assert written == {}
    assert "sqs or redis queues only" in reported["scaling.queueBacklog.connection"][1]
