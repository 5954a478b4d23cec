"""Mocks for Pulumi's mock engine: what AWS would hand back for each resource type.

In preview mode a new resource's computed outputs (ids, ARNs, revisions) are left unknown, as
the real engine leaves them on a first `pulumi preview`; inputs come back as given. Otherwise
each type gets realistic computed outputs, so unit tests can assert on ARNs and revisions.
"""

from __future__ import annotations

from typing import Any

import pulumi

ACCOUNT = "108782097218"
REGION = "us-east-1"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _computed(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Realistic (id, extra outputs) for a created resource of type `typ`."""
    physical = inputs.get("name") or inputs.get("dashboardName") or f"{name}-mock"
    if typ == "aws:ecs/cluster:Cluster":
        arn = _arn("ecs", f"cluster/{physical}")
        return arn, {"arn": arn}
    if typ == "aws:ecs/service:Service":
        cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
        arn = _arn("ecs", f"service/{cluster}/{physical}")
        return arn, {"arn": arn, "id": arn}
    if typ == "aws-native:ecs:Service":
        cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
        service_name = inputs.get("serviceName") or f"{name}-mock"
        arn = _arn("ecs", f"service/{cluster}/{service_name}")
        return f"{arn}|{cluster}", {"serviceArn": arn, "name": service_name}
    if typ == "aws:ecs/taskDefinition:TaskDefinition":
        family = inputs.get("family", name)
        arn = _arn("ecs", f"task-definition/{family}:1")
        return arn, {"arn": arn, "revision": 1, "arnWithoutRevision": arn.rsplit(":", 1)[0]}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return physical, {"arn": _arn("logs", f"log-group:{physical}")}
    if typ == "aws:iam/role:Role":
        return physical, {"arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
                          "uniqueId": "AROAMOCK"}
    if typ == "aws:sns/topic:Topic":
        arn = _arn("sns", physical)
        return arn, {"arn": arn}
    if typ == "aws:sns/topicSubscription:TopicSubscription":
        arn = f"{inputs.get('topic', _arn('sns', 'topic'))}:mock-subscription"
        return arn, {"arn": arn, "pendingConfirmation": True}
    if typ == "aws:appautoscaling/target:Target":
        resource_id = inputs.get("resourceId", "")
        return f"{resource_id}", {"arn": _arn("application-autoscaling", f"scalable-target/{name}")}
    if typ == "aws:appautoscaling/policy:Policy":
        arn = _arn("autoscaling", f"scalingPolicy:mock:resource/{physical}")
        return physical, {"arn": arn, "alarmArns": []}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return physical, {"arn": _arn("cloudwatch", f"alarm:{physical}")}
    if typ == "aws:budgets/budget:Budget":
        return f"{ACCOUNT}:{physical}", {"arn": f"arn:aws:budgets::{ACCOUNT}:budget/{physical}"}
    if typ == "aws:lambda/function:Function":
        arn = _arn("lambda", f"function:{physical}")
        return physical, {"arn": arn, "invokeArn": arn}
    if typ == "aws:ssm/parameter:Parameter":
        return physical, {"arn": _arn("ssm", f"parameter{physical}")}
    if typ == "aws:cloudwatch/dashboard:Dashboard":
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
