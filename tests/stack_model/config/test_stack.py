"""The whole stack (stack_model/config/stack.py): the checks across sections (a service's
cluster, names used twice, capacity providers, the cost breaker against its budget and its
services) and the providers each cluster associates."""

from __future__ import annotations

import pytest

from tests.support.config_mutations import (
    BREAKER,
    BUDGET,
    CLUSTERS,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    both,
    load,
    refusal_params,
    setter,
    top,
)
from tests.support.configs import beta_config

KMS_KEY = "arn:aws:kms:{region}:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"

CASES: list[RefusalCase] = [
    ("duplicate-family", "beta", setter("queue", "family", value="z360-beta-web"),
     ("services.{web,queue}.family:", "'z360-beta-web'", "each needs its own")),
    ("duplicate-service-name", "beta",
     setter("queue", "serviceName", value="z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.{web,queue}.serviceName:", "5Ao8dxMzQ1d8", "each needs its own")),
    ("unknown-cluster-reference", "beta", setter("web", "cluster", value="ap"),
     ("services.web.cluster:", "'ap'", "allowed: agent, app")),
    ("environment-not-allowed", "beta", top("z360-ecs:environment", "prod"),
     ("environment:", "'prod'", "'staging' or 'beta'")),
    ("breaker-ceiling-on-fixed-count-service", "beta",
     setter("aegra", "scaling", "enabled", value=False),
     ("costBreaker.emergencyCeilings.aegra:", "scaling off", "remove the ceiling")),
    ("breaker-notification-over-the-limit", "beta",
     setter("alertAmounts", value=list(range(100, 1100, 100)), stack_key=BUDGET),
     ("budget.alertAmounts:", "10 amounts plus the cost breaker's", "at most 9")),
    ("cluster-name-used-twice", "beta",
     setter("agent", "name", value="z360-beta-Cluster-8E41UEvLHdpU", stack_key=CLUSTERS),
     ("clusters.{app,agent}.name:", "used twice")),
    ("breaker-ceiling-for-no-service", "beta",
     setter("emergencyCeilings", "nope", value=1, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.nope:", "not a service key", "allowed: aegra")),
    ("breaker-ceiling-above-max", "beta",
     setter("emergencyCeilings", "web", value=60, stack_key=BREAKER),
     ("costBreaker.emergencyCeilings.web:", "60 is above services.web.scaling.max 50")),
    # Issue 22: a setting takes effect or is refused.
    ("burn-rate-with-the-breaker-off", "beta", setter("enabled", value=False, stack_key=BREAKER),
     ("costBreaker.burnRate:", "costBreaker.enabled is false", "not even the warning")),
    ("burn-rate-without-a-scaled-service", "staging", both(
        top(BUDGET, {"name": "z360-staging", "monthlyLimit": 500, "alertAmounts": [100]}),
        top(BREAKER, {"enabled": True, "burnRate": {"warnPerHour": 1, "tripPerHour": 2}})),
     ("costBreaker.burnRate:", "no service has scaling on", "none is created")),
    # What an alarm reads is published: RunningTaskCount needs Container Insights.
    ("insights-off-under-spike-alarms-and-the-burn-rate", "beta",
     setter("app", "containerInsights", value=False, stack_key=CLUSTERS),
     ("clusters.app.containerInsights: false, but services.web.alarms.taskCountSpike, "
      "services.queue.scaling.queueBacklog and costBreaker.burnRate (services web, queue, "
      "reverb) read RunningTaskCount",
      "never reaches tripPerHour 5.0", "set containerInsights: true")),
    ("insights-off-under-the-burn-rate-alone", "beta", both(
        setter("app", "containerInsights", value=False, stack_key=CLUSTERS),
        setter("web", "alarms", "taskCountSpike", value=None),
        setter("web", "importIds", "spikeAlarm", value=None)),
     ("clusters.app.containerInsights: false, but services.queue.scaling.queueBacklog and "
      "costBreaker.burnRate (services web, queue, reverb) read", "FILL makes each missing count 0")),
    ("insights-off-under-spike-alarms-alone", "beta", both(
        setter("agent", "containerInsights", value=False, stack_key=CLUSTERS),
        lambda document: document["config"][BREAKER].pop("burnRate")),
     ("clusters.agent.containerInsights: false, but services.gateway.alarms.taskCountSpike and "
      "services.voice.alarms.taskCountSpike read RunningTaskCount",)),
    # Regions agree: ARNs the stack's services use.
    ("kms-key-in-another-region", "beta",
     setter("web", "secretsKmsKeyArns", value=[KMS_KEY.format(region="eu-west-1")]),
     ("services.web.secretsKmsKeyArns.0:", "is in eu-west-1", "kms:ViaService",
      "cannot read its secrets")),
    ("target-group-in-another-region", "beta", setter(
        "reverb", "loadBalancer", "targetGroupArn",
        value="arn:aws:elasticloadbalancing:eu-west-1:108782097218:targetgroup/r/0123456789abcdef"),
     ("services.reverb.loadBalancer.targetGroupArn:", "is in eu-west-1",
      "target groups of the service's region")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_an_inconsistent_stack_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_listed_cluster_keeps_its_list_and_a_derived_one_takes_its_services() -> None:
    config = beta_config()
    # app lists its providers (adopted); agent's come from its services' strategies: gateway's
    # and aegra's FARGATE + FARGATE_SPOT, voice's FARGATE.
    assert config.cluster_capacity_providers("app") == ["FARGATE", "FARGATE_SPOT"]
    assert config.cluster_capacity_providers("agent") == ["FARGATE", "FARGATE_SPOT"]


def test_a_created_cluster_whose_services_all_use_a_launch_type_is_left_alone() -> None:
    def launch_type_everywhere(document):
        for key in ("gateway", "aegra", "voice"):
            document["z360-ecs:services"][key].pop("capacityProviderStrategy", None)
            document["z360-ecs:services"][key]["launchType"] = "FARGATE"

    assert beta_config(launch_type_everywhere).cluster_capacity_providers("agent") is None


def test_a_kms_key_of_the_stacks_region_is_accepted() -> None:
    key = KMS_KEY.format(region="us-east-1")
    config = load("beta", setter("web", "secretsKmsKeyArns", value=[key]))
    assert config.services["web"].secrets_kms_key_arns == [key]


def test_container_insights_may_be_off_where_no_alarm_reads_it() -> None:
    # Staging: no spike alarm, no cost breaker; nothing reads RunningTaskCount.
    config = load("staging", setter("agent", "containerInsights", value=False,
                                    stack_key=CLUSTERS))
    assert config.clusters["agent"].container_insights is False


def test_a_disabled_breaker_without_burn_rate_is_accepted() -> None:
    def disabled(document):
        document["config"][BREAKER]["enabled"] = False
        del document["config"][BREAKER]["burnRate"]

    config = load("beta", disabled)
    assert config.cost_breaker is not None and not config.breaker_on
    assert config.burn_rate_services == []
