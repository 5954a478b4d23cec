"""Partial estates, ambiguity, refused values, the command line and a Stubber-checked service."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from offline.cli import main
from tests.z360_ecs.live import replica
from z360_ecs.adopt.estate import Clients, LiveService, Lookup, _fill_service
from z360_ecs.adopt.fill import NOT_LIVE, REFUSED
from z360_ecs.adopt.plan import CREATE
from z360_ecs.live.adopt import adopt


def test_a_missing_service_will_be_created_and_an_extra_one_is_unmanaged(session, stack_copy):
    replica.build("beta", skip=("reverb",), extra=(("app", "z360-beta-horizon-Service-Hz1x2c3v4b5n"),))
    result = adopt("beta", session, stack_file=stack_copy("beta"))
    row = next(r for r in result.fill.rows if r.scope == "services.reverb")
    assert row.status == NOT_LIVE and "creates it" in row.note
    service = next(s for s in result.steps if s.name == "reverb-service")
    assert service.action == CREATE and not service.import_id
    assert ("z360-beta-Cluster-8E41UEvLHdpU", "z360-beta-horizon-Service-Hz1x2c3v4b5n") \
        in result.estate.unmanaged
    written = yaml.safe_load(result.adopted)["config"]["z360-ecs:services"]["reverb"]
    assert "importIds" not in written


def test_an_ambiguous_match_is_reported_never_guessed(session, stack_copy):
    replica.build("beta", extra=(("app", "z360-beta-queue-Worker-Qq1w2e3r4t5y"),))
    result = adopt("beta", session, stack_file=stack_copy("beta"))
    assert any("services.queue: 2 live services match" in p for p in result.estate.problems)
    assert any("services.queue" in e for e in result.errors)
    written = yaml.safe_load(result.adopted)["config"]["z360-ecs:services"]["queue"]
    assert written["serviceName"] == "z360-beta-queue"  # left as the file had it


def test_a_stale_import_id_is_removed(session, stack_copy):
    replica.build("beta", skip=("web",))
    result = adopt("beta", session, stack_file=stack_copy("beta"))
    web = yaml.safe_load(result.adopted)["config"]["z360-ecs:services"]["web"]
    assert "importIds" not in web
    assert next(s for s in result.steps if s.name == "web-service").action == CREATE


def test_a_credential_in_plain_environment_is_never_written(session, stack_copy, capsys):
    replica.build("staging", environment={"APP_ENV": "staging", "DB_PASSWORD": "hunter2-live"})
    path = stack_copy("staging")
    result = adopt("staging", session, stack_file=path)
    assert "hunter2-live" not in result.adopted
    refused = [r for r in result.fill.rows if r.status == REFUSED]
    assert {r.key for r in refused} == {"environment.DB_PASSWORD"}
    assert all(r.error for r in refused)
    code = main(["adopt", "staging", "--stack-file", str(path)])
    output = capsys.readouterr()
    assert code == 1
    assert "hunter2-live" not in output.out + output.err + path.read_text()


def test_dry_run_writes_nothing_and_check_fails_on_disagreement(session, stack_copy, capsys):
    replica.build("staging")
    path = stack_copy("staging")
    before = path.read_text()
    assert main(["adopt", "staging", "--stack-file", str(path), "--dry-run"]) in (0, 1)
    assert path.read_text() == before
    assert main(["adopt", "staging", "--stack-file", str(path), "--check"]) == 1
    assert path.read_text() == before
    main(["adopt", "staging", "--stack-file", str(path)])
    after = path.read_text()
    assert after != before and "subnet-00000000000000003" not in after
    capsys.readouterr()
    # Agreed now: --check fails only for what the config cannot state yet (errors).
    code = main(["adopt", "staging", "--stack-file", str(path), "--check"])
    out = capsys.readouterr().out
    assert ("0 values to write" in out) and (code == (1 if "ERROR" in out else 0))


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


def test_another_account_is_refused(monkeypatch, aws, capsys):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
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


@pytest.mark.parametrize("stack", ["beta"])
def test_a_live_capacity_provider_is_written(stack, session, stack_copy, monkeypatch):
    """A service on FARGATE_SPOT live gets capacityProvider: FARGATE_SPOT in the file."""
    replica.build(stack)
    from z360_ecs.adopt import estate as estate_module

    fill_service = estate_module._fill_service

    def patched(live, described, clients):
        fill_service(live, dict(described, launchType=None,
                                capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                           "weight": 1, "base": 0}]), clients)

    monkeypatch.setattr(estate_module, "_fill_service", patched)
    result = adopt(stack, session, stack_file=stack_copy(stack))
    services = yaml.safe_load(result.adopted)["config"]["z360-ecs:services"]
    assert {s.get("capacityProvider") for s in services.values()} == {"FARGATE_SPOT"}
    assert not [s for s in result.steps if s.error]
