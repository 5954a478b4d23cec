"""adopt's first-`up` plan models each provider's import as its source does.

aws-native (Cloud Control): with no recorded inputs the import takes every writable property
the read returns as an input (pulumi-aws-native provider.go Read; #2941), an input the program
leaves unset is deleted, and deleting a create-only one (Cluster, Role, SchedulingStrategy,
ServiceName) is a replace. pulumi-aws (terraform-provider-aws service.go): an unset
Optional+Computed attribute keeps the live value, scheduling_strategy takes its default, and a
ForceNew attribute that changes replaces. Read against the session's replica of beta.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from policies.guardrails.facts.types import NATIVE_SERVICE_TYPE, SERVICE_TYPE
from tests.support import live_replica as replica
from tests.support.live_estates import Estate
from z360_ecs import PROJECT_DIR
from z360_ecs.live import adopt as adopt_module
from z360_ecs.live.adopt_plan import REPLACE, _native_service_diff, _service_diff, imported_inputs


def _inputs(beta: Estate, type_token: str, name: str) -> dict[str, Any]:
    run = adopt_module.preview("beta", PROJECT_DIR, beta.result.adopted)
    registration = next(r for r in run.resources if r.type == type_token and r.name == name)
    return dict(registration.inputs, __ignore=registration.ignore_changes)


def test_web_on_beta_is_imported_in_place(beta: Estate):
    """The import recorded schedulingStrategy (REPLICA), role (the service-linked role) and the
    cluster as the import id names it; the program states REPLICA, ignores role and sends the
    cluster's name, so the first diff changes nothing create-only: `import, update`."""
    web = next(s for s in beta.result.steps if s.name == "web-service")
    assert web.type == NATIVE_SERVICE_TYPE and web.action != REPLACE and not web.error
    assert not [d for d in web.differences if d.replaces]


def test_leaving_scheduling_strategy_unset_would_replace_web(beta: Estate):
    """The look-alike the program must not become: an import records REPLICA, and a program
    that leaves it unset deletes a create-only property, a replace of the running service."""
    inputs = _inputs(beta, NATIVE_SERVICE_TYPE, "web-service")
    live = beta.result.estate.services["web"]
    unset = {k: v for k, v in inputs.items() if k != "schedulingStrategy"}
    replaced = {d.path: (d.live, d.program) for d in _native_service_diff(unset, live) if d.replaces}
    assert replaced == {"schedulingStrategy": ("REPLICA", None)}


def test_stating_the_live_create_only_values_keeps_web_in_place(beta: Estate):
    """What the program side will do: with schedulingStrategy and role stated as live, nothing
    create-only is deleted or changed."""
    inputs = _inputs(beta, NATIVE_SERVICE_TYPE, "web-service")
    live = beta.result.estate.services["web"]
    stated = dict(inputs, schedulingStrategy="REPLICA", role=replica.SERVICE_LINKED_ROLE)
    assert not [d for d in _native_service_diff(stated, live) if d.replaces]
    # Stating another value is a change of a create-only property: still a replace.
    other = dict(stated, role="arn:aws:iam::108782097218:role/another")
    assert [d.path for d in _native_service_diff(other, live) if d.replaces] == ["role"]


def test_a_native_import_records_every_writable_property_the_read_returns(beta: Estate):
    recorded = imported_inputs(beta.result.estate.services["web"])
    assert {"serviceName", "cluster", "launchType", "schedulingStrategy", "role",
            "taskDefinition", "desiredCount", "networkConfiguration", "loadBalancers",
            "platformVersion", "deploymentController"} <= set(recorded)
    # Read-only and status fields of DescribeServices are not AWS::ECS::Service inputs.
    assert not {"serviceArn", "status", "runningCount", "events", "deployments"} & set(recorded)


def test_the_classic_service_keeps_what_terraform_keeps(beta: Estate):
    """queue is an aws:ecs:Service: an unset iam_role keeps the live role (Optional+Computed),
    an unset scheduling_strategy is REPLICA (its default), so only a live DAEMON service
    would be replaced."""
    inputs = _inputs(beta, SERVICE_TYPE, "queue-service")
    queue = beta.result.estate.services["queue"]
    with_role = dataclasses.replace(queue, role_arn=replica.SERVICE_LINKED_ROLE)
    assert not [d for d in _service_diff(inputs, with_role) if d.path == "iamRole"]
    assert not [d for d in _service_diff(inputs, queue) if d.replaces]
    daemon = dataclasses.replace(queue, scheduling_strategy="DAEMON")
    assert [(d.path, d.live, d.program) for d in _service_diff(inputs, daemon) if d.replaces] \
        == [("schedulingStrategy", "DAEMON", "REPLICA")]
