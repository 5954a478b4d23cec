"""`alerts`: the SNS topic every alarm, budget and the cost breaker notify, and who is told."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from stack_model.config.base import ConfigModel
from stack_model.config.errors import format_value
from stack_model.config.limits import EMAIL, SNS_TOPIC_NAME


class AlertsConfig(ConfigModel):
    topic_name: str
    """SNS topic that alarms and budgets publish to."""
    emails: Annotated[list[str], Field(min_length=1, max_length=10)]
    """Recipients; each must confirm the subscription email."""
    import_topic_arn: str | None = None
    """ARN of an existing topic to adopt."""

    @field_validator("topic_name")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not SNS_TOPIC_NAME.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not an SNS topic name: 1 to 256 letters, digits, "
                "'-' or '_' (no spaces)"
            )
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        seen = set()
        for email in value:
            if not EMAIL.fullmatch(email):
                raise ValueError(f"{email!r} is not an email address")
            if email.lower() in seen:
                raise ValueError(f"{email!r} is listed twice")
            seen.add(email.lower())
        return value
