"""Mocks for Pulumi's mock engine: what AWS would hand back for each resource type.

In preview mode a new resource's computed outputs (ids, ARNs, revisions) are left unknown, as
the real engine leaves them on a first `pulumi preview`; inputs come back as given. Otherwise
each type gets realistic computed outputs, so unit tests can assert on ARNs and revisions.
"""

from __future__ import annotations

from typing import Any

import pulumi

from policies.guardrails.facts.types import (
    BUDGET_TYPE,
    CLUSTER_TYPE,
    DASHBOARD_TYPE,
    LAMBDA_FUNCTION_TYPE,
    LOG_GROUP_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_TYPE,
    SCALING_POLICY_TYPE,
    SCHEDULED_ACTION_TYPE,
    SERVICE_TYPE,
    SSM_PARAMETER_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)

ACCOUNT = "108782097218"
REGION = "us-east-1"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _computed(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Realistic (id, extra outputs) for a created resource of type `typ`."""
    physical = inputs.get("name") or inputs.get("dashboardName") or f"{name}-mock"
    if typ == CLUSTER_TYPE:
        arn = _arn("ecs", f"cluster/{physical}")
        return arn, {"arn": arn}
    if typ == SERVICE_TYPE:
        cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
        arn = _arn("ecs", f"service/{cluster}/{physical}")
        return arn, {"arn": arn, "id": arn}
    if typ == NATIVE_SERVICE_TYPE:
        cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
        service_name = inputs.get("serviceName") or f"{name}-mock"
        arn = _arn("ecs", f"service/{cluster}/{service_name}")
        return f"{arn}|{cluster}", {"serviceArn": arn, "name": service_name}
    if typ == TASK_DEFINITION_TYPE:
        family = inputs.get("family", name)
        arn = _arn("ecs", f"task-definition/{family}:1")
        return arn, {"arn": arn, "revision": 1, "arnWithoutRevision": arn.rsplit(":", 1)[0]}
    if typ == LOG_GROUP_TYPE:
        return physical, {"arn": _arn("logs", f"log-group:{physical}")}
    if typ == ROLE_TYPE:
        return physical, {"arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
                          "uniqueId": "AROAMOCK"}
    if typ == TOPIC_TYPE:
        arn = _arn("sns", physical)
        return arn, {"arn": arn}
    if typ == TOPIC_SUBSCRIPTION_TYPE:
        arn = f"{inputs.get('topic', _arn('sns', 'topic'))}:mock-subscription"
        return arn, {"arn": arn, "pendingConfirmation": True}
    if typ == TARGET_TYPE:
        resource_id = inputs.get("resourceId", "")
        return f"{resource_id}", {"arn": _arn("application-autoscaling", f"scalable-target/{name}")}
    if typ == SCALING_POLICY_TYPE:
        arn = _arn("autoscaling", f"scalingPolicy:mock:resource/{physical}")
        return physical, {"arn": arn, "alarmArns": []}
    if typ == SCHEDULED_ACTION_TYPE:
        # The provider's id: <name>-<namespace>-<resourceId> (scheduled_action.go).
        arn = _arn("autoscaling", f"scheduledAction:mock:scheduledActionName/{physical}")
        return f"{physical}-{inputs.get('serviceNamespace')}-{inputs.get('resourceId')}", {
            "arn": arn}
    if typ == METRIC_ALARM_TYPE:
        return physical, {"arn": _arn("cloudwatch", f"alarm:{physical}")}
    if typ == BUDGET_TYPE:
        return f"{ACCOUNT}:{physical}", {"arn": f"arn:aws:budgets::{ACCOUNT}:budget/{physical}"}
    if typ == LAMBDA_FUNCTION_TYPE:
        arn = _arn("lambda", f"function:{physical}")
        return physical, {"arn": arn, "invokeArn": arn}
    if typ == SSM_PARAMETER_TYPE:
        return physical, {"arn": _arn("ssm", f"parameter{physical}")}
    if typ == DASHBOARD_TYPE:
        return physical, {"dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{physical}"}
    return f"{name}-id", {"arn": _arn("mock", f"{typ}/{name}")}


class Z360Mocks(pulumi.runtime.Mocks):
    """Mocks for the AWS types the program uses; see the module docstring."""

    def __init__(self, preview: bool) -> None:
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        outputs = dict(args.inputs)
        if args.resource_id:
            # An import reads the live resource: its id is known even in preview.
            resource_id, computed = _computed(args.typ, args.name, args.inputs)
            return args.resource_id, {**computed, **outputs}
        if self.preview:
            return "", outputs
        resource_id, computed = _computed(args.typ, args.name, args.inputs)
        return resource_id, {**computed, **outputs, **{"id": resource_id}}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/mock",
                    "userId": "MOCK"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION}, []
        # An empty list, not None: the SDK's mock monitor iterates the failures.
        return {}, []
