"""SpotInterruptions: every Fargate Spot interruption in the stack's clusters, to the alert topic.

Creates an EventBridge rule on the default event bus matching ECS's `ECS Task State Change`
events with `stopCode: SpotInterruption` in the given clusters (ECS developer guide, "Fargate
Spot task interruption" and "Amazon ECS task state change events"; the event is sent when AWS
marks the task for termination, two minutes before it stops), and a target sending the event, as
EventBridge delivers it, to the alert topic. The rule's own metrics (AWS/Events MatchedEvents,
dimension RuleName) count the interruptions on the dashboard (components/dashboard.py).

The caller supplies the cluster ARNs (built from their names, so the pattern is known at
preview) and the alert topic ARN; the topic's policy must let events.amazonaws.com publish for
this rule (components/alerts.py, `event_rule_arns`). Made only when a service may run on Spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.ecs import (
    ECS_EVENT_SOURCE,
    SPOT_INTERRUPTION_STOP_CODE,
    TASK_STATE_CHANGE,
)
from policies.guardrails.facts.types import SPOT_INTERRUPTIONS_COMPONENT
from stack_model.naming import environment_tags, spot_interruption_rule_name

# The target's id within its rule (PutTargets Target.Id: 1 to 64 letters, digits, '.', '-', '_').
ALERT_TOPIC_TARGET_ID = "alert-topic"


@dataclass
class SpotInterruptionsArgs:
    environment: str
    """Stack environment: names the rule and tags it."""
    cluster_arns: list[str]
    """ARNs of the clusters whose services may run on FARGATE_SPOT; never empty."""
    alert_topic_arn: pulumi.Input[str]
    """The SNS topic the interruptions go to."""


def interruption_pattern(cluster_arns: list[str]) -> dict[str, Any]:
    """The event pattern: a task of one of these clusters stopped by a Spot interruption."""
    return {
        "source": [ECS_EVENT_SOURCE],
        "detail-type": [TASK_STATE_CHANGE],
        "detail": {
            "clusterArn": sorted(cluster_arns),
            "stopCode": [SPOT_INTERRUPTION_STOP_CODE],
        },
    }


class SpotInterruptions(pulumi.ComponentResource):
    """The Spot interruption rule and its alert target; see the module docstring."""

    rule_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SpotInterruptionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SPOT_INTERRUPTIONS_COMPONENT, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=spot_interruption_rule_name(args.environment),
            description=(
                f"{args.environment}: a Fargate Spot task was interrupted (two minutes' "
                "notice); ECS starts a replacement on the service's strategy"
            ),
            event_pattern=pulumi.Output.json_dumps(interruption_pattern(args.cluster_arns)),
            tags=environment_tags(args.environment),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-alert-target",
            rule=rule.name,
            target_id=ALERT_TOPIC_TARGET_ID,
            arn=args.alert_topic_arn,
            opts=child,
        )
        self.rule_name = rule.name
        self.register_outputs({"rule_name": self.rule_name})
