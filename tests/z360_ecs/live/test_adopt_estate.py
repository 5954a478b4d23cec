"""adopt finds the live estate from what the ops log records: task families first, then the
log's service names as the prefix of a CloudFormation name; a PLACEHOLDER cluster is the one
its services run in; every page of ListClusters and ListServices is read.

The matching rules run on the beta stack file and made-up listings (no AWS); one replica of
beta whose agent cluster follows no naming pattern and whose gateway runs a family the stack
file does not name, next to the staging replica in the same account, is adopted once for this
module.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from policies.guardrails.facts.types import CLUSTER_TYPE, NATIVE_SERVICE_TYPE, SERVICE_TYPE
from stack_model.config.source import parse_yaml
from tests.support import live_replica as replica
from tests.support.live_estates import Estate, build_estate
from z360_ecs.common import read_stack_config
from z360_ecs.live.adopt_estate import (
    Clients,
    Listed,
    _list_estate,
    _resolve_clusters,
    _resolve_services,
    task_family,
)
from z360_ecs.live.adopt_plan import CREATE

BETA_APP = "z360-beta-Cluster-8E41UEvLHdpU"
AGENT = "agent-layer-beta-Cluster-Ag9Lb8Kc7Jd6"


def _beta_listing(**changes: Listed) -> list[Listed]:
    """The beta estate as ListServices/DescribeServices list it; `changes` replace services."""
    listed = {
        "web": Listed(BETA_APP, "z360-beta-web-Service-5Ao8dxMzQ1d8", "z360-beta-web"),
        "queue": Listed(BETA_APP, "z360-beta-queue-Service-Kd82LmQp0aZx", "z360-beta-queue"),
        "reverb": Listed(BETA_APP, "z360-beta-reverb-Service-T7yU8iO9pA0s", "z360-beta-reverb"),
        "gateway": Listed(AGENT, "agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7",
                          "z360-agent-layer-beta-gateway"),
        "aegra": Listed(AGENT, "agent-layer-beta-aegra-Service-Ae1Gr2Ab3Cd4",
                        "z360-agent-layer-beta-aegra"),
        "voice": Listed(AGENT, "agent-layer-beta-voice-Service-Vo5Ic6Ef7Gh8",
                        "z360-agent-layer-beta-voice"),
    }
    listed.update(changes)
    return list(listed.values())


def _resolve(listed: list[Listed]) -> tuple[dict[str, Any], dict[str, Any]]:
    config = read_stack_config("beta")
    clusters = _resolve_clusters(config, sorted({s.cluster for s in listed}), listed)
    return clusters, _resolve_services(config, clusters, listed)


def test_the_agent_cluster_is_the_one_its_services_run_in():
    clusters, services = _resolve(_beta_listing())
    assert clusters["app"].candidates == [BETA_APP] and clusters["app"].how == "stack name"
    assert clusters["agent"].status == "found" and clusters["agent"].candidates == [AGENT]
    assert "the cluster its services run in" in clusters["agent"].how
    names = [s.name for s in _beta_listing()]
    assert [(services[k].status, services[k].candidates[0]) for k in
            ("web", "queue", "reverb", "gateway", "aegra", "voice")] == [("found", n) for n in names]
    assert all(s.how.startswith("task family") for s in services.values())


def test_the_logs_name_is_a_prefix_when_the_family_is_not_the_stack_files():
    moved = Listed(AGENT, "agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7",
                   "agent-layer-beta-gateway")
    _, services = _resolve(_beta_listing(gateway=moved))
    assert services["gateway"].candidates == [moved.name]
    assert services["gateway"].how.startswith("name agent-layer-beta-gateway or ")


def test_a_name_only_sharing_a_prefix_is_not_a_match():
    """`agent-layer-beta-gatewayv2-...` and `agent-layer-beta-gateway-x-Service-...` are not
    `<name>-<LogicalId>-<suffix>` of `agent-layer-beta-gateway`."""
    others = [Listed(AGENT, "agent-layer-beta-gatewayv2-Service-Gw4Ht5Jy6Ku7", "x"),
              Listed(AGENT, "agent-layer-beta-gateway-x-Service-Gw4Ht5Jy6Ku7", "y")]
    listed = [s for s in _beta_listing() if "gateway" not in s.name] + others
    _, services = _resolve(listed)
    assert services["gateway"].status == "missing"


def test_two_candidates_are_ambiguous_and_each_is_named():
    twin = Listed(AGENT, "agent-layer-beta-aegra-Worker-Zz9y8x7w6v5u", "z360-agent-layer-beta-aegra")
    _, services = _resolve([*_beta_listing(), twin])
    assert services["aegra"].status == "ambiguous"
    assert sorted(services["aegra"].candidates) == sorted(
        ["agent-layer-beta-aegra-Service-Ae1Gr2Ab3Cd4", twin.name])


def test_services_in_two_clusters_leave_a_placeholder_cluster_ambiguous():
    elsewhere = Listed("agent-layer-beta-Cluster-Other0000000", "agent-layer-beta-voice-Service-"
                       "Vo5Ic6Ef7Gh8", "z360-agent-layer-beta-voice")
    clusters, services = _resolve(_beta_listing(voice=elsewhere))
    assert clusters["agent"].status == "ambiguous"
    assert sorted(clusters["agent"].candidates) == sorted([AGENT, elsewhere.cluster])
    assert {services[k].status for k in ("gateway", "aegra", "voice")} == {"ambiguous"}


def test_a_service_outside_its_named_cluster_is_not_taken():
    """The app cluster's name is the ops log's: queue's family running in another cluster is
    reported, never created beside it nor taken from the other cluster."""
    moved = Listed("z360-beta-Cluster-Other0000000", "z360-beta-queue-Service-Kd82LmQp0aZx",
                   "z360-beta-queue")
    _, services = _resolve(_beta_listing(queue=moved))
    assert services["queue"].status == "ambiguous"
    assert "z360-beta-Cluster-Other0000000/" in services["queue"].candidates[0]


def test_the_task_family_is_read_from_the_revision_arn():
    arn = "arn:aws:ecs:us-east-1:108782097218:task-definition/z360-agent-layer-beta-aegra:18"
    assert task_family(arn) == "z360-agent-layer-beta-aegra"
    assert task_family(None) is None and task_family("z360-beta-web") is None


def test_every_page_of_clusters_and_services_is_read():
    """ListClusters and ListServices answer in pages (nextToken); DescribeServices takes 10
    names at a time. The Stubber checks each request and response against botocore's ECS
    model."""
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    arn = "arn:aws:ecs:us-east-1:108782097218"
    stubber.add_response("list_clusters", {"clusterArns": [f"{arn}:cluster/one"],
                                           "nextToken": "t1"}, {})
    stubber.add_response("list_clusters", {"clusterArns": [f"{arn}:cluster/two"]},
                         {"nextToken": "t1"})
    names = [f"s{i:02}" for i in range(12)]
    stubber.add_response("list_services", {
        "serviceArns": [f"{arn}:service/one/{n}" for n in names[:7]], "nextToken": "t2"},
        {"cluster": "one"})
    stubber.add_response("list_services", {
        "serviceArns": [f"{arn}:service/one/{n}" for n in names[7:]]},
        {"cluster": "one", "nextToken": "t2"})

    def described(chunk: list[str]) -> dict[str, Any]:
        return {"services": [{"serviceName": n, "status": "ACTIVE",
                              "taskDefinition": f"{arn}:task-definition/fam-{n}:3"}
                             for n in chunk]}

    stubber.add_response("describe_services", described(names[:10]),
                         {"cluster": "one", "services": names[:10]})
    stubber.add_response("describe_services", described(names[10:]),
                         {"cluster": "one", "services": names[10:]})
    stubber.add_response("list_services", {"serviceArns": []}, {"cluster": "two"})

    class Session:
        def client(self, name: str, region_name: str) -> Any:
            return client

    with stubber:
        clusters, listed, by_name = _list_estate(Clients(Session(), "us-east-1"))
    stubber.assert_no_pending_responses()
    assert clusters == ["one", "two"]
    assert [s.name for s in listed] == names
    assert {s.family for s in listed} == {f"fam-{n}" for n in names}
    assert len(by_name) == 12


# --- a replica whose names follow no guess --------------------------------------------------

ODD_AGENT_CLUSTER = "ops-agents-7"


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """beta with its agent cluster named `ops-agents-7` and gateway running family
    `agent-layer-beta-gateway`, in the account staging's replica also lives in."""
    return build_estate("beta", tmp_path_factory.mktemp("adopt-odd"), neighbours=("staging",),
                        cluster_names={"agent": ODD_AGENT_CLUSTER},
                        families={"gateway": "agent-layer-beta-gateway"})


def test_a_cluster_named_unlike_any_guess_is_found_from_its_services(odd: Estate):
    result = odd.result
    clusters = parse_yaml(result.adopted)["config"]["z360-ecs:clusters"]
    assert clusters["agent"]["name"] == clusters["agent"]["importId"] == ODD_AGENT_CLUSTER
    gateway = result.estate.services["gateway"]
    assert gateway.found and gateway.lookup.how.startswith("name agent-layer-beta-gateway")
    services = parse_yaml(result.adopted)["config"]["z360-ecs:services"]
    assert services["gateway"]["serviceName"] == "agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7"
    assert services["gateway"]["importIds"]["service"] == (
        f"{ODD_AGENT_CLUSTER}/agent-layer-beta-gateway-Service-Gw4Ht5Jy6Ku7")
    # Nothing that runs is created a second time.
    created = [s for s in result.steps if s.action == CREATE
               and s.type in (CLUSTER_TYPE, SERVICE_TYPE, NATIVE_SERVICE_TYPE)]
    assert created == []


def test_the_other_stacks_services_in_the_account_are_left_alone(odd: Estate):
    result = odd.result
    staging = {s.name for s in replica.SERVICES["staging"]()}
    assert not [s for s in result.estate.services.values() if s.name in staging]
    assert not [n for _, n in result.estate.unmanaged if n in staging]
    network = parse_yaml(result.adopted)["config"]["z360-ecs:serviceDefaults"]["network"]
    assert network["subnets"] == odd.replica.subnets
