"""AlertChannel: the SNS topic every alarm and budget notification goes to, with email subscribers.

Creates the topic, a topic policy letting CloudWatch alarms and AWS Budgets of this account
publish to it (and the stack's EventBridge rules, when it has any: the Spot interruptions), and
one email subscription per recipient. Email subscriptions stay pending until
each recipient clicks the confirmation link AWS sends; until then they receive nothing. Each
subscription is named after its address (naming.email_subscription_name), so adding or removing
a recipient never replaces anyone else's confirmed subscription.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.types import ALERT_CHANNEL_COMPONENT
from stack_model.config import AlertsConfig
from stack_model.naming import email_subscription_name, environment_tags


@dataclass
class AlertChannelArgs:
    config: AlertsConfig
    """Topic name, recipients and an optional topic to adopt."""
    environment: str
    """Stack environment, for tags."""
    account_id: str
    """AWS account the stack deploys to."""
    protect: bool = False
    """Protect the topic itself from deletion."""
    extra_publishers: list[str] = field(default_factory=list)
    """Further service principals allowed to publish (e.g. lambda.amazonaws.com)."""
    event_rule_arns: list[str] = field(default_factory=list)
    """EventBridge rules allowed to publish (components/spot_interruptions.py), by ARN."""


def event_rules_statement(topic_arn: str, rule_arns: list[str]) -> dict:
    """EventBridge publishes to a topic only if its policy allows events.amazonaws.com
    (EventBridge user guide, "Using resource-based policies for Amazon EventBridge", Amazon SNS
    permissions); only these rules may, by aws:SourceArn, as that page's example does."""
    return {
        "Sid": "AllowEventRulesPublish",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
    }


def topic_policy(topic_arn: str, publishers: list[str], account_id: str,
                 event_rule_arns: list[str] | None = None) -> dict:
    policy: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowAlarmAndBudgetPublish",
            "Effect": "Allow",
            "Principal": {"Service": sorted(publishers)},
            "Action": "SNS:Publish",
            "Resource": topic_arn,
            # Only this account's alarms and budgets, not anyone's (confused deputy).
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }
    if event_rule_arns:
        policy["Statement"].append(event_rules_statement(topic_arn, event_rule_arns))
    return policy


class AlertChannel(pulumi.ComponentResource):
    """SNS topic + policy + email subscriptions; see the module docstring."""

    topic_arn: pulumi.Output[str]
    subscriber_emails: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: AlertChannelArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ALERT_CHANNEL_COMPONENT, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=config.topic_name,
            tags=environment_tags(args.environment),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(protect=args.protect, import_=config.import_topic_arn),
            ),
        )
        publishers = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", *args.extra_publishers]
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                topic.arn.apply(lambda arn: topic_policy(
                    arn, publishers, args.account_id, args.event_rule_arns))
            ),
            opts=child,
        )
        for index, email in enumerate(config.emails):
            aws.sns.TopicSubscription(
                email_subscription_name(name, email),
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                # Stacks deployed before subscriptions were keyed by address named them by
                # position; the alias adopts that subscription instead of replacing it.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    aliases=[pulumi.Alias(name=f"{name}-email-{index}")])),
            )
        self.topic_arn = topic.arn
        self.subscriber_emails = pulumi.Output.from_input(list(config.emails))
        self.register_outputs({
            "topic_arn": self.topic_arn,
            "subscriber_emails": self.subscriber_emails,
        })
