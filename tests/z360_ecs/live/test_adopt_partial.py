"""Partial estates, ambiguity, refused values, the command line and a Stubber-checked service.

One partial replica of beta (a service missing, a stale import id, an unmanaged service and an
ambiguous match at once) is built and adopted once for this module; the command-line and
patched-discovery scenarios (a credential in a container's environment, services on a capacity
provider) run against the session's shared replicas (`@while_live`,
tests/support/live_estates.py) and the tests read what they recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stack_model.config.source import parse_yaml, read_stack_yaml
from tests.support.live_estates import (
    CliRun,
    Estate,
    Live,
    aws_account,
    build_estate,
    cli,
    copy_stack_file,
    while_live,
)
from z360_ecs.cli import main
from z360_ecs.live import adopt_estate as estate_module
from z360_ecs.live import adopt_fill as fill_module
from z360_ecs.live.adopt import Result, adopt
from z360_ecs.live.adopt_estate import Clients, LiveService, Lookup, _fill_service
from z360_ecs.live.adopt_fill import NOT_LIVE, REFUSED
from z360_ecs.live.adopt_plan import CREATE, NOT_CHECKED

UNMANAGED = "z360-beta-horizon-Service-Hz1x2c3v4b5n"
SECOND_QUEUE = "z360-beta-queue-Worker-Qq1w2e3r4t5y"
SECOND_WEB = "z360-beta-web-Canary-Cn1a2b3c4d5e"
SECOND_GATEWAY = "agent-layer-beta-gateway-Canary-Gc1a2b3c4d5e"


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """beta with reverb and voice missing (voice's alarm import ids go stale), a service the
    stack file does not name, and a second live service running each of queue's, web's and
    gateway's families. The agent cluster has FARGATE associated, which voice, created anew
    on a FARGATE strategy, needs."""
    return build_estate("beta", tmp_path_factory.mktemp("adopt-partial"),
                        skip=("reverb", "voice"), providers={"agent": ["FARGATE"]},
                        extra=(("app", UNMANAGED), ("app", SECOND_QUEUE, "z360-beta-queue"),
                               ("app", SECOND_WEB, "z360-beta-web"),
                               ("agent", SECOND_GATEWAY, "z360-agent-layer-beta-gateway")))


def test_a_missing_service_will_be_created_and_an_extra_one_is_unmanaged(partial: Estate):
    result = partial.result
    row = next(r for r in result.fill.rows if r.scope == "services.reverb")
    assert row.status == NOT_LIVE and "creates it" in row.note
    service = next(s for s in result.steps if s.name == "reverb-service")
    assert service.action == CREATE and not service.import_id
    assert ("z360-beta-Cluster-8E41UEvLHdpU", UNMANAGED) in result.estate.unmanaged
    written = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["reverb"]
    assert "importIds" not in written


def test_an_ambiguous_match_is_reported_never_guessed(partial: Estate):
    result = partial.result
    assert any("services.queue: 2 live services match" in p for p in result.estate.problems)
    assert any("services.queue" in e for e in result.errors)
    written = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["queue"]
    assert written["serviceName"] == "z360-beta-queue"  # left as the file had it


def test_two_live_services_of_one_family_write_nothing_for_it(partial: Estate):
    """Gateway's family runs twice live and the stack file gives only the log's prefix: every
    candidate is named, nothing is written for gateway, and none of its alarm import ids
    (alarms that do exist) is removed; its steps are errors until the operator names it."""
    result = partial.result
    problem = next(p for p in result.estate.problems if p.startswith("services.gateway:"))
    assert "agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7" in problem
    assert SECOND_GATEWAY in problem
    before = parse_yaml(partial.original)["config"]["z360-ecs:services"]["gateway"]
    after = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["gateway"]
    assert after == before
    assert after["importIds"] == {"cpuAlarm": "z360-beta-gateway-high-cpu",
                                  "memoryAlarm": "z360-beta-gateway-high-memory",
                                  "spikeAlarm": "z360-beta-gateway-task-count-spike"}
    assert not [e for e in result.fill.edits if e.path[1:2] == ("gateway",)]
    # Neither candidate is called unmanaged: which one gateway is, is the operator's to say.
    assert not [n for _, n in result.estate.unmanaged if "gateway" in n]
    steps = [s for s in result.steps if s.scope == "services.gateway" and s.import_id]
    assert len(steps) == 3 and all(s.action == NOT_CHECKED and s.error for s in steps)
    assert all("ambiguous" in s.note for s in steps)


def test_the_exact_service_name_settles_two_services_of_one_family(partial: Estate):
    """Web's family runs twice too, but the stack file names web's live service exactly
    (the ops log's `z360-beta-web-Service-5Ao8dxMzQ1d8`): that one is web, the other is
    unmanaged."""
    web = partial.result.estate.services["web"]
    assert web.found and web.name == "z360-beta-web-Service-5Ao8dxMzQ1d8"
    assert "exact serviceName" in web.lookup.how
    assert ("z360-beta-Cluster-8E41UEvLHdpU", SECOND_WEB) in partial.result.estate.unmanaged


def test_a_stale_import_id_is_removed(partial: Estate):
    result = partial.result
    voice = parse_yaml(result.adopted)["config"]["z360-ecs:services"]["voice"]
    assert "importIds" not in voice
    assert next(s for s in result.steps if s.name == "voice-service").action == CREATE


@while_live("staging")
def credential_in_environment(live: Live) -> tuple[Result, CliRun, str]:
    """adopt, then `z360-ecs adopt` writing the file, with every live container's plain
    environment holding a credential: (adopt's result, the command's run, the file after)."""
    container = estate_module._container

    def with_credential(definition: dict[str, Any]) -> Any:
        return container(dict(definition, environment=[
            {"name": "APP_ENV", "value": "staging"}, {"name": "DB_PASSWORD", "value": "hunter2-live"}]))

    path = copy_stack_file("staging", live.directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_container", with_credential)
        result = adopt("staging", live.session, stack_file=path)
        run = cli(["adopt", "staging", "--stack-file", str(path)])
    return result, run, path.read_text()


def test_a_credential_in_plain_environment_is_never_written(staging: Estate):
    result, run, written = staging.scenarios["credential_in_environment"]
    assert "hunter2-live" not in result.adopted
    refused = [r for r in result.fill.rows if r.status == REFUSED]
    assert {r.key for r in refused} == {"environment.DB_PASSWORD"}
    assert all(r.error for r in refused)
    assert run.code == 1
    assert "hunter2-live" not in run.out + run.err + written


@while_live("staging")
def dry_run_then_check(live: Live) -> tuple[str, dict[str, tuple[CliRun, str]]]:
    """--dry-run, --check, a write, --check again: each run and the file after it."""
    path = copy_stack_file("staging", live.directory)
    before = path.read_text()
    args = ["adopt", "staging", "--stack-file", str(path)]
    runs = {}
    for name, extra in (("dry-run", ["--dry-run"]), ("json", ["--dry-run", "--json"]),
                        ("check", ["--check"]), ("write", []), ("check again", ["--check"])):
        runs[name] = (cli([*args, *extra]), path.read_text())
    return before, runs


def test_dry_run_writes_nothing_and_check_fails_on_disagreement(staging: Estate):
    before, runs = staging.scenarios["dry_run_then_check"]
    dry_run, after_dry_run = runs["dry-run"]
    assert dry_run.code in (0, 1)
    assert after_dry_run == before
    as_json, after_json = runs["json"]
    assert after_json == before
    table = json.loads(as_json.out)
    assert table["edits"] > 0 and table["written"] is False
    assert as_json.code == dry_run.code == (1 if table["errors"] else 0)
    assert {s["action"] for s in table["firstUp"]} >= {"create", "import, update"}
    assert "write" in {v["adopt"] for v in table["values"]}
    check, after_check = runs["check"]
    assert check.code == 1
    assert after_check == before
    _, after = runs["write"]
    assert after != before and "subnet-00000000000000003" not in after
    # Agreed now: --check fails only for what the config cannot state yet (errors).
    again, _ = runs["check again"]
    out = again.out
    assert ("0 values to write" in out) and (again.code == (1 if "ERROR" in out else 0))


def test_no_credentials_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path: Path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert main(["adopt", "beta", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "credentials" in err


def test_another_account_is_refused(capsys):
    with aws_account("111122223333"):
        assert main(["adopt", "beta", "--dry-run"]) == 2
    assert "account 111122223333" in capsys.readouterr().err


def test_a_capacity_provider_service_with_a_breaker_via_stubber():
    """moto returns no deploymentConfiguration; the Stubber validates this response against
    botocore's real ECS model (ecs 2014-11-13 DescribeTaskDefinition), so the shapes adopt
    reads are AWS's."""
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    arn = "arn:aws:ecs:us-east-1:108782097218:task-definition/z360-beta-queue:17"
    stubber.add_response("describe_task_definition", {"taskDefinition": {
        "family": "z360-beta-queue", "revision": 17, "cpu": "512", "memory": "1024",
        "containerDefinitions": [{"name": "queue", "image": "img:1", "essential": True,
                                  "secrets": [{"name": "A", "valueFrom": "arn:aws:ssm:x"}]}]}},
        {"taskDefinition": arn})

    class Session:
        def client(self, name: str, region_name: str) -> object:
            return client

    live = LiveService("queue", Lookup("found", "stack name", ["q"]), cluster_name="c")
    with stubber:
        _fill_service(live, {
            "serviceName": "q", "serviceArn": "arn:aws:ecs:us-east-1:108782097218:service/c/q",
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True,
                                                                     "rollback": True}},
            "taskDefinition": arn}, Clients(Session(), "us-east-1"))
    stubber.assert_no_pending_responses()
    assert live.launch_type is None
    assert live.capacity_provider_strategy[0]["capacityProvider"] == "FARGATE_SPOT"
    assert live.circuit_breaker == {"enable": True, "rollback": True}
    assert live.container is not None and live.container.secrets == {"A": "arn:aws:ssm:x"}


@while_live("beta")
def spot_everywhere(live: Live) -> Result:
    """adopt with every live service but voice on a FARGATE_SPOT strategy instead of its launch
    type, on clusters that associate FARGATE_SPOT (ECS refuses a strategy naming a provider the
    cluster has not associated). Voice stays on its launch type: the stack file says it is not
    interruptible, and the config refuses Spot for it."""
    fill_service = estate_module._fill_service
    describe_clusters = estate_module._describe_clusters

    def patched(service: LiveService, described: dict[str, Any], clients: Clients) -> None:
        if "voice" in str(described.get("serviceName")):
            fill_service(service, described, clients)
            return
        fill_service(service, dict(described, launchType=None,
                                   capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                              "weight": 1}]), clients)

    def with_spot(clients: Clients, names: list[str]) -> dict[str, dict[str, Any]]:
        found = describe_clusters(clients, names)
        return {name: dict(cluster, capacityProviders=sorted(
            {*cluster.get("capacityProviders", []), "FARGATE_SPOT"}))
            for name, cluster in found.items()}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_fill_service", patched)
        patch.setattr(estate_module, "_describe_clusters", with_spot)
        return adopt("beta", live.session, stack_file=copy_stack_file("beta", live.directory))


def test_a_live_capacity_provider_strategy_is_written(beta: Estate):
    """A service on FARGATE_SPOT live gets its strategy, base and weight as AWS has them (a
    weight DescribeServices leaves out is 0... here 1, a base left out 0), in the file; it loses
    the launchType (web) or spotFrom (queue) the stack file stated: they exclude each other."""
    result = beta.scenarios["spot_everywhere"]
    document = parse_yaml(result.adopted)["config"]
    services = document["z360-ecs:services"]
    spot = [{"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1}]
    assert {k: s.get("capacityProviderStrategy") for k, s in services.items()} == {
        **{k: spot for k in ("web", "queue", "reverb", "gateway", "aegra")}, "voice": None}
    assert [k for k, s in services.items() if "launchType" in s] == ["voice"]
    assert not [k for k, s in services.items() if "spotFrom" in s]
    assert document["z360-ecs:clusters"]["agent"]["capacityProviders"] == ["FARGATE_SPOT"]
    # Nothing the first `up` would refuse (test_adopt.PENDING_NATIVE_REPLACES is empty).
    assert {s.name for s in result.steps if s.error} == set()


@while_live("staging")
def values_read_once(live: Live) -> tuple[Any, Any, str, str]:
    """adopt with `fill` watched: (the document fill read, the file by the one reader, the
    file's text, adopt's `original`)."""
    seen: list[Any] = []
    fill = fill_module.fill

    def watched(config: Any, estate: Any, document: Any) -> Any:
        seen.append(document)
        return fill(config, estate, document)

    path = copy_stack_file("staging", live.directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fill_module, "fill", watched)
        result = adopt("staging", live.session, stack_file=path)
    return seen[0], read_stack_yaml(path), path.read_text(), result.original


def test_adopt_reads_values_through_the_one_reader(staging: Estate):
    """The values adopt compares come from stack_model/config/source.py (as every command's
    do), never from ruamel's round-trip tree, which is only for the write."""
    document, by_reader, text, original = staging.scenarios["values_read_once"]
    assert document == by_reader and original == text

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return type(value) is dict and all(plain(v) for v in value.values())
        if isinstance(value, list):
            return type(value) is list and all(plain(v) for v in value)
        return type(value) in (str, int, float, bool, type(None))

    assert plain(document)


def test_adopt_refuses_a_stack_file_the_reader_refuses(tmp_path: Path, capsys):
    """A duplicate key is refused before any AWS call: one line, exit 2."""
    path = copy_stack_file("staging", tmp_path)
    path.write_text(path.read_text() + "  z360-ecs:protect: false\n  z360-ecs:protect: true\n")
    code = main(["adopt", "staging", "--stack-file", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "appears twice" in err and len(err.strip().splitlines()) == 1, err
