"""Physical names across components (stack_model/config/names.py, naming.name_collisions): the
list of names is what the program registers, and two settings never give two resources one
name."""

from __future__ import annotations

import pytest

from breaker.contract import lock_parameter_name
from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    DASHBOARD_TYPE,
    LAMBDA_FUNCTION_TYPE,
    LOG_GROUP_TYPE,
    MANAGED_POLICY_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    SSM_PARAMETER_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_TYPE,
    WEB_ACL_TYPE,
)
from stack_model import naming
from stack_model.config import ConfigError
from stack_model.config.names import name_problems
from stack_model.naming import PhysicalName, name_collisions
from tests.support.config_mutations import ALERTS, BREAKER, assert_one_clear_problem, load
from tests.support.runs import unmodified_run
from z360_ecs.common import config_from_settings

# Type token -> (kind, the input holding its physical name).
NAMED_TYPES = {
    TOPIC_TYPE: (naming.SNS_TOPIC, "name"),
    METRIC_ALARM_TYPE: (naming.ALARM, "name"),
    ROLE_TYPE: (naming.IAM_ROLE, "name"),
    MANAGED_POLICY_TYPE: (naming.IAM_POLICY, "name"),
    LOG_GROUP_TYPE: (naming.LOG_GROUP, "name"),
    SSM_PARAMETER_TYPE: (naming.SSM_PARAMETER, "name"),
    LAMBDA_FUNCTION_TYPE: (naming.LAMBDA_FUNCTION, "name"),
    WEB_ACL_TYPE: (naming.WEB_ACL, "name"),
    DASHBOARD_TYPE: (naming.DASHBOARD, "dashboardName"),
    BUDGET_TYPE: (naming.BUDGET, "name"),
    CLUSTER_TYPE: (naming.ECS_CLUSTER, "name"),
    SERVICE_TYPE: (naming.ECS_SERVICE, "name"),
    NATIVE_SERVICE_TYPE: (naming.ECS_SERVICE, "serviceName"),
    TASK_DEFINITION_TYPE: (naming.TASK_FAMILY, "family"),
    SCALING_POLICY_TYPE: (naming.SCALING_POLICY, "name"),
}


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_the_list_of_names_is_every_name_the_program_registers(stack: str) -> None:
    """A named resource added to a component without its name here fails this test, so the
    collision check cannot miss it."""
    run = unmodified_run(stack)
    config = config_from_settings(run.settings)
    registered = {(NAMED_TYPES[r.type][0].label, str(r.inputs[NAMED_TYPES[r.type][1]]))
                  for r in run.resources if r.type in NAMED_TYPES}
    listed = {(entry.kind.label, entry.name) for entry in config.physical_names()}
    if config.breaker_on:
        # The breaker's lock is named after its record by the breaker's contract: a name no
        # setting decides but the record's own.
        state = naming.cost_breaker_names(config.environment)["parameter"]
        listed.add((naming.SSM_PARAMETER.label, lock_parameter_name(state)))
    assert registered == listed


def test_the_alert_topic_named_as_the_breakers_is_refused_naming_both() -> None:
    """The $500 budget mail would invoke the breaker, and its own reports would re-invoke it."""
    assert_one_clear_problem("beta", _alert_topic("z360-beta-cost-breaker"), (
        "alerts.topicName: 'z360-beta-cost-breaker' is the SNS topic name of both "
        "alerts.topicName and costBreaker", "CreateTopic returns the existing topic",
        "every alarm and budget alert would invoke it"))


def test_the_breakers_topic_name_is_free_while_the_breaker_is_off() -> None:
    def off(document):
        document["config"][BREAKER]["enabled"] = False
        del document["config"][BREAKER]["burnRate"]

    config = load("beta", lambda d: (off(d), _alert_topic("z360-beta-cost-breaker")(d)))
    assert config.alerts.topic_name == "z360-beta-cost-breaker"


def test_a_repeat_of_one_field_is_left_to_its_own_check_and_reported_once() -> None:
    # A family shared by two services collides as log group, role and family: one problem.
    def shared_family(document):
        document["config"]["z360-ecs:services"]["queue"]["family"] = "z360-beta-web"

    with pytest.raises(ConfigError) as refused:
        load("beta", shared_family)
    assert [p.path for p in refused.value.details] == [("services", "{web,queue}", "family")]


def test_a_family_repeated_in_another_case_collides_as_an_iam_role() -> None:
    """IAM ignores case: the two execution roles would be one name; the per-field check, which
    compares exactly, does not see it."""
    def shouting(document):
        document["config"]["z360-ecs:services"]["queue"]["family"] = "Z360-BETA-WEB"

    assert_one_clear_problem("beta", shouting, (
        "services.web.family:", "'z360-beta-web-execution' is the IAM role name of both "
        "services.web.family and services.queue.family", "whatever its case"))


def _alert_topic(name: str):
    def mutate(document):
        document["config"][ALERTS]["topicName"] = name
    return mutate


# --- the collision rule itself ---------------------------------------------------------------


def test_iam_names_collide_whatever_their_case_and_others_only_exactly() -> None:
    names = [PhysicalName(naming.IAM_ROLE, "Web-Execution", ("services", "web", "family")),
             PhysicalName(naming.IAM_ROLE, "web-execution", ("costBreaker",)),
             PhysicalName(naming.SNS_TOPIC, "Alerts", ("alerts", "topicName")),
             PhysicalName(naming.SNS_TOPIC, "alerts", ("costBreaker",))]
    (group,) = name_collisions(names)
    assert {entry.kind for entry in group} == {naming.IAM_ROLE}


def test_names_collide_only_within_their_scope() -> None:
    # ECS service names are unique per cluster.
    names = [PhysicalName(naming.ECS_SERVICE, "web", ("services", "a", "serviceName"), "c1"),
             PhysicalName(naming.ECS_SERVICE, "web", ("services", "b", "serviceName"), "c2")]
    assert name_collisions(names) == []


def test_one_setting_that_names_several_resources_is_one_owner() -> None:
    owner = ("services", "web", "namePrefix")
    names = [PhysicalName(naming.ALARM, "x", owner), PhysicalName(naming.ALARM, "x", owner)]
    assert name_collisions(names) == []


def test_a_collision_across_fields_names_both_key_paths_at_the_key_that_holds_the_name() -> None:
    names = [PhysicalName(naming.ALARM, "z360-beta-burn-rate-trip", ("costBreaker", "burnRate")),
             PhysicalName(naming.ALARM, "z360-beta-burn-rate-trip",
                          ("services", "web", "namePrefix"))]
    (problem,) = name_problems(names)
    assert problem.path == ("services", "web", "namePrefix")
    assert "both services.web.namePrefix and costBreaker.burnRate" in problem.message
    assert "PutMetricAlarm creates or updates by name" in problem.message


def test_the_topics_are_the_alert_channels_and_the_breakers() -> None:
    topics = [e for e in load("beta", lambda d: None).physical_names()
              if e.kind == naming.SNS_TOPIC]
    assert [(e.name, e.owner) for e in topics] == [
        ("z360-beta-alerts", ("alerts", "topicName")), ("z360-beta-cost-breaker", ("costBreaker",))]
