"""AWS name rules and limits the stack config is checked against (ECS, CloudWatch, SNS, IAM,
Budgets developer guides), and the formats of the import ids pulumi-aws accepts."""

from __future__ import annotations

import re
from typing import Literal, get_args

from policies.guardrails.facts.conventions import SECRET_NAME_PATTERN
from stack_model.naming import (
    ALARM_SUFFIXES,
    EXECUTION_ROLE_SUFFIX,
    POLICY_SUFFIXES,
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
)

# The one region the program deploys to: the Fargate prices it and the pack use are its own.
Region = Literal["us-east-1"]
SUPPORTED_REGION: str = get_args(Region)[0]

ECS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SNS_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
SERVICE_KEY = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ACCOUNT_ID = re.compile(r"\d{12}")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}")
SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$"
)
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$")
TARGET_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$"
)
# Application Load Balancer ARN, as AssociateWebACL documents it (botocore wafv2 model,
# AssociateWebACLRequest.ResourceArn): arn:partition:elasticloadbalancing:region:account-id:
# loadbalancer/app/load-balancer-name/load-balancer-id. ALB names are 1 to 32 characters.
LOAD_BALANCER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$"
)


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (`arn:partition:service:region:account:resource`, IAM User
    Guide, "Amazon Resource Names (ARNs)"), or None when it has none (IAM's are global)."""
    parts = arn.split(":", 5)
    return parts[3] or None if len(parts) == 6 and parts[0] == "arn" else None


# Names that look like credentials: their values must never sit in plain `environment`.
SECRET_LOOKING_NAME = re.compile(SECRET_NAME_PATTERN, re.I)

# CloudWatch alarm names allow 255 characters, scaling policy names 256: the longest suffix
# the program appends sets how long a namePrefix may be.
MAX_NAME_PREFIX = 255 - max(len(s) for s in (*ALARM_SUFFIXES.values(), *POLICY_SUFFIXES.values()))
# IAM role names allow 64 characters; the execution role is named after the family.
MAX_FAMILY = 64 - len(EXECUTION_ROLE_SUFFIX)
BUDGET_NAME_MAX = 100
# WAF web ACL and rule names are EntityName (botocore wafv2 model: 1 to 128 of [\w-]).
WAF_NAME_MAX = 128
# ECS ContainerDefinition.image: "up to 255 letters (uppercase and lowercase), numbers,
# hyphens, underscores, colons, periods, forward slashes, and number signs"; '@' for digests.
CONTAINER_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@#-]{0,254}$")
# IAM role ARN: optional path, role names of 1 to 64 of [\w+=,.@-] (IAM User Guide, quotas).
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
# RegisterTaskDefinition refuses a task definition over 64 KiB (ECS quota "Task definition
# size"); environment and secrets may take 48 KiB of it, leaving the rest of the definition room.
MAX_ENVIRONMENT_BYTES = 48 * 1024
# ECS service quota "Revisions per task definition family": 1,000,000.
MAX_TASK_DEFINITION_REVISION = 1_000_000
# botocore budgets model: NotificationThreshold (double) max 15,000,000,000,000; a limit
# above it could carry no absolute-value notification.
MAX_BUDGET_AMOUNT = 15_000_000_000_000
MAX_BUDGET_NOTIFICATIONS = 10

_TARGET = rf"{SCALING_NAMESPACE}/service/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/{SCALABLE_DIMENSION}"
_TARGET_SHOWN = f"{SCALING_NAMESPACE}/service/<cluster name>/<service name>/{SCALABLE_DIMENSION}"

# Import id kind -> (format, how the format is described to the user).
IMPORT_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "service": (re.compile(r"^[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}$"),
                "'<cluster name>/<service name>'"),
    "task_definition": (
        re.compile(r"^arn:aws:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+$"),
        "the revision's ARN 'arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>'",
    ),
    "log_group": (re.compile(r"^[A-Za-z0-9_./#-]{1,512}$"), "the log group's name"),
    "scalable_target": (re.compile(rf"^{_TARGET}$"), f"'{_TARGET_SHOWN}'"),
    "policy": (re.compile(rf"^{_TARGET}/[^/]+$"), f"'{_TARGET_SHOWN}/<policy name>'"),
    "alarm": (re.compile(r"^[^\x00-\x1f]{1,255}$"), "the alarm's name"),
}
