"""SNS rules: an email subscription keeps its identity when the recipient list changes, and
(stack) a budget alert reaches each person by one path only.

Sources: SNS developer guide, "Email notifications": an email subscription stays pending until
the recipient confirms it, and a new subscription (which a replaced one is) needs a new
confirmation. AWS Budgets, "Creating an Amazon SNS topic for budget notifications": a
notification goes to every email subscriber and SNS topic it lists, each separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import quote

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import NotApplicable, known, resource_policy, sequence, stack_policy
from .facts.types import TOPIC_SUBSCRIPTION_TYPE


def address_key(email: str) -> str:
    """How an address appears in a resource name keyed by it (lowercased, ':' encoded)."""
    return quote(email.lower(), safe="@._+-")


def check_email_subscription_keyed_by_address(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """An email subscription's resource name carries its address, not a list position."""
    props = args.props
    if props.get("protocol") != "email":
        raise NotApplicable("not an email subscription")
    endpoint = str(props.get("endpoint") or "")
    if endpoint and address_key(endpoint) not in args.name:
        report(
            f"{args.name}: the email subscription of {endpoint} is not named after its address, "
            "so reordering or removing a recipient renames it; a renamed subscription is "
            "replaced and waits for a new confirmation while alerts go nowhere. Name it from "
            "the address",
            None,
        )


def duplicate_recipients(notification: Mapping[str, Any], topic_emails: dict[str, set[str]]
                         ) -> list[str]:
    """Addresses a budget notification mails directly AND through a topic it notifies."""
    if not isinstance(notification, Mapping):
        return []  # not a notification the provider takes; budgets.py's rules judge budgets
    direct = {str(e).lower() for e in sequence(notification.get("subscriberEmailAddresses"))}
    via_topics = set().union(*(topic_emails.get(str(t), set())
                               for t in sequence(notification.get("subscriberSnsTopicArns"))))
    return sorted(direct & via_topics)


def _notifications(budget: PolicyResource) -> list[Any]:
    return list(sequence(budget.props.get("notifications")))


def check_budget_alert_single_path(args: StackValidationArgs, report: ReportViolation) -> None:
    """No budget notification reaches an address both directly and through a topic it notifies."""
    index = StackIndex.build(args.resources)
    if not index.budgets:
        raise NotApplicable("this stack declares no budget")
    topic_emails = index.topic_emails
    for budget in index.budgets:
        ok, notifications = known(partial(_notifications, budget))
        if not ok:
            continue
        for position, notification in enumerate(notifications, start=1):
            found, twice = known(partial(duplicate_recipients, notification, topic_emails))
            if found and twice:
                report(
                    f"budget {budget.name}: notification {position} mails {', '.join(twice)} "
                    "directly and through a topic they subscribe to, so each alert arrives "
                    "twice; notify the topic only",
                    budget.urn,
                )


RESOURCE_POLICIES = [
    resource_policy(
        "email-subscription-keyed-by-address",
        "An email subscription's resource name carries its address, not a list position.",
        EnforcementLevel.ADVISORY, [TOPIC_SUBSCRIPTION_TYPE],
        check_email_subscription_keyed_by_address, {},
    ),
]

STACK_POLICIES = [
    stack_policy(
        "budget-alert-single-path",
        "No budget notification reaches an address both directly and through a subscribed topic.",
        EnforcementLevel.ADVISORY, check_budget_alert_single_path, {},
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
