"""The AWS clients the function uses, and how their errors read."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# What an AWS call may raise: an error answer, or a failure to get one.
AWS_ERRORS = (ClientError, BotoCoreError)


class Aws:
    """The three clients the breaker uses; created per invocation so tests can mock them."""

    def __init__(self) -> None:
        config = Config(retries={"mode": "standard", "max_attempts": 5})
        # A session of its own: boto3's default session is not safe to share across threads.
        session = boto3.session.Session()
        self.scaling = session.client("application-autoscaling", config=config)
        self.ssm = session.client("ssm", config=config)
        self.sns = session.client("sns", config=config)


def error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
    return f"{type(exc).__name__}: {exc}"
