"""What the function tells the alert topic (SNS)."""

from __future__ import annotations

import logging

from breaker.clients import AWS_ERRORS, Aws

LOG = logging.getLogger(__name__)

# SNS Publish, Subject: "must be less than 100 characters long", ASCII, no line breaks or
# control characters (Amazon SNS API Reference, Publish).
SNS_SUBJECT_LIMIT = 99


def sns_subject(text: str) -> str:
    """An SNS Subject: printable ASCII on one line, under 100 characters."""
    cleaned = "".join(ch if " " <= ch <= "~" else " " for ch in text)
    cleaned = " ".join(cleaned.split()) or "Cost breaker"
    if len(cleaned) > SNS_SUBJECT_LIMIT:
        cleaned = cleaned[: SNS_SUBJECT_LIMIT - 3].rstrip() + "..."
    return cleaned


def heading(text: str, label: str) -> str:
    """An alert's subject line, with the environment's label when there is one."""
    return f"{text} ({label})" if label else text


def notify(aws: Aws, topic_arn: str, subject: str, lines: list[str]) -> bool:
    """Tell the alert topic; a failure here is logged, never allowed to undo the action."""
    try:
        aws.sns.publish(
            TopicArn=topic_arn,
            Subject=sns_subject(subject),
            Message="\n".join(lines),
        )
        return True
    except AWS_ERRORS as exc:
        LOG.error("could not notify %s: %s", topic_arn, exc)
        return False
