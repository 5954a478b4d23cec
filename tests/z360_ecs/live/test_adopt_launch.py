"""adopt on the model issues 12, 14 and 16 grew: a 20 s service's type and import id, what
replaces it, and the load balancer a web ACL protects.

A metricResolution 20 service is an aws-native ecs.Service (components/scalable_service.py):
its import id is `<service ARN>|<cluster name>`, pulumi-aws-native's primaryIdentifier of
AWS::ECS::Service (ServiceArn, Cluster), and what replaces it is engine/diff.py's
REPLACE_ON_CHANGE entry for the type (the SDK's replace_on_changes: serviceName, cluster, role,
schedulingStrategy; launchType and capacityProviderStrategy update in place through Cloud
Control), where pulumi-aws replaces a classic service whose launchType is set or changed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from policies.guardrails.facts.types import (
    NATIVE_SERVICE_TYPE,
    SERVICE_TYPE,
)
from tests.support.live_estates import Estate, Live, copy_stack_file, while_live
from z360_ecs import PROJECT_DIR
from z360_ecs.live import adopt as adopt_module
from z360_ecs.live import adopt_estate as estate_module
from z360_ecs.live.adopt import Result, adopt
from z360_ecs.live.adopt_estate import Clients, LiveService
from z360_ecs.live.adopt_fill import NO_KEY, NOT_LIVE, REFUSED, WRITTEN, _waf_load_balancer
from z360_ecs.live.adopt_plan import FAILS, _native_service_diff, _service_diff

NLB = ("arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/net/z360-beta-web/"
       "0123456789abcdef")


def _registration(result: Result, type_token: str, name: str) -> Any:
    """The program's registration of `name` in the preview adopt made (memoised per text)."""
    run = adopt_module.preview(result.config.environment, PROJECT_DIR, result.adopted)
    return next(r for r in run.resources if r.type == type_token and r.name == name)


def test_a_20_s_service_is_native_and_its_replaces_are_the_native_table(beta: Estate):
    result = beta.result
    web = beta.result.estate.services["web"]
    inputs = dict(_registration(result, NATIVE_SERVICE_TYPE, "web-service").inputs,
                  __ignore=["desiredCount"])
    # A name change replaces (createOnly); a launch-type change does not (Cloud Control).
    renamed = dataclasses.replace(web, name="z360-beta-web-Service-Other0000000")
    by_path = {d.path: d for d in _native_service_diff(inputs, renamed)}
    assert by_path["serviceName"].replaces
    on_spot = dataclasses.replace(web, launch_type=None, capacity_provider_strategy=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}])
    by_path = {d.path: d for d in _native_service_diff(inputs, on_spot)}
    assert not by_path["launchType"].replaces
    assert not by_path["capacityProviderStrategy"].replaces
    # The classic service (queue) on the same move: pulumi-aws replaces it (launchType set).
    queue = beta.result.estate.services["queue"]
    classic = dict(_registration(result, SERVICE_TYPE, "queue-service").inputs,
                   __ignore=["desiredCount"])
    queue_on_spot = dataclasses.replace(queue, launch_type=None, capacity_provider_strategy=[
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}])
    by_path = {d.path: d for d in _service_diff(classic, queue_on_spot)}
    assert by_path["launchType"].replaces


@while_live("beta")
def short_service_arns(live: Live) -> Result:
    """adopt with every live service ARN in the old format (`service/<name>`, no cluster), as
    services made before ECS's long ARN format still have them."""
    fill_service = estate_module._fill_service

    def patched(service: LiveService, described: dict[str, Any], clients: Clients) -> None:
        arn = str(described["serviceArn"])
        short = arn.split(":service/", 1)[0] + ":service/" + arn.rsplit("/", 1)[-1]
        fill_service(service, dict(described, serviceArn=short), clients)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(estate_module, "_fill_service", patched)
        return adopt("beta", live.session, stack_file=copy_stack_file("beta", live.directory))


def test_a_native_import_id_that_is_not_the_live_arn_fails(beta: Estate):
    """Cloud Control imports AWS::ECS::Service by its ARN: the program's id (built from the
    cluster and service names) names nothing when the live ARN has the old format. The classic
    services import by `<cluster>/<service>` and are not affected."""
    result = beta.scenarios["short_service_arns"]
    failed = {s.name: s for s in result.steps if s.action == FAILS}
    native = {k for k, s in result.config.services.items() if s.metric_resolution == 20}
    assert set(failed) == {f"{k}-service" for k in native}
    assert all("DescribeServices" in s.note and s.error for s in failed.values())
    assert len(result.errors) == len(native)


def _waf_row(beta: Estate, **live_changes: Any) -> Any:
    service = beta.result.config.services["web"]
    live = dataclasses.replace(beta.result.estate.services["web"], **live_changes)
    values: dict[str, tuple[Any, Any]] = {}
    rows: list[Any] = []
    _waf_load_balancer("services.web", service, live, values, rows)
    return rows[0], values


def test_the_web_acls_load_balancer_is_the_target_groups(beta: Estate):
    alb = beta.replica.load_balancers["web"]
    row, values = _waf_row(beta)
    assert row.status == WRITTEN and row.live == alb and values["waf.loadBalancerArn"][0] == alb
    # A network load balancer: a web ACL cannot protect it, and the model would refuse it.
    row, values = _waf_row(beta, load_balancer_arns=[NLB])
    assert row.status == REFUSED and row.error and not values
    # Target groups behind two load balancers: which one is the stack file's to say.
    row, values = _waf_row(beta, load_balancer_arns=[alb, NLB])
    assert row.status == NO_KEY and not values
    # No target group live: nothing to read it from.
    row, values = _waf_row(beta, load_balancers=[], load_balancer_arns=[])
    assert row.status == NOT_LIVE and not values
