"""What an ECS execution role must be granted for a container secret's `valueFrom`.

Sources:
- ECS developer guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"
  (specifying sensitive data with Secrets Manager): `valueFrom` is
  `arn:aws:secretsmanager:region:aws_account_id:secret:secret-name:json-key:version-stage:version-id`,
  the last three fields optional; and "Amazon ECS task execution IAM role", Secrets Manager
  permissions: the role needs `secretsmanager:GetSecretValue` on the secret, and `kms:Decrypt`
  on the key when the secret uses a customer managed KMS key rather than the default key.
- Secrets Manager user guide, "Permissions policy examples" / IAM resource ARNs: a secret's
  ARN ends in a hyphen and 6 random characters; a policy naming a secret by a partial ARN
  (without them) must append `-??????` to match it.
- IAM user guide, policy elements "Resource": `*` matches any run of characters, `?` any one.

The program builds its execution role from `secret_resource_arn` and the pack checks the role
with `grants`; both live here so the rule has one home.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# arn:aws:secretsmanager:<region>:<account>:secret:<name> : seven colon-separated fields.
_SECRET_FIELDS = 7
_RANDOM_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
PARTIAL_ARN_WILDCARD = "-??????"


def is_secrets_manager(value_from: str) -> bool:
    return ":secretsmanager:" in value_from


def secret_resource_arn(value_from: str) -> str:
    """The IAM resource a `valueFrom` needs: the secret's own ARN.

    A Secrets Manager reference loses its `:json-key:version-stage:version-id` fields; a
    partial ARN (the name without AWS's 6-character suffix) gets the `-??????` wildcard. An SSM
    parameter ARN is its own resource."""
    if not is_secrets_manager(value_from):
        return value_from
    fields = value_from.split(":")
    arn = ":".join(fields[:_SECRET_FIELDS])
    if _RANDOM_SUFFIX.search(fields[_SECRET_FIELDS - 1] if len(fields) >= _SECRET_FIELDS else ""):
        return arn
    return arn + PARTIAL_ARN_WILDCARD


def _pattern(resource: str) -> re.Pattern[str]:
    return re.compile("".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource
    ) + r"\Z")


def matches(granted: str, resource: str) -> bool:
    """Whether an IAM Resource `granted` (with * and ? wildcards) covers `resource`.

    `resource` may itself end in the `-??????` wildcard: it stands for any 6 characters, so
    it is covered when the grant covers every such name (checked on a sample of six)."""
    concrete = resource.replace("?", "A")
    return bool(_pattern(granted).match(concrete))


def grants(resources: Iterable[str], needed: str) -> bool:
    """Whether any of `resources` covers `needed`."""
    return any(matches(str(granted), needed) for granted in resources)


# --- kms:Decrypt through the services that read the secrets -----------------------------------
# AWS KMS developer guide, "kms:ViaService": the key's value is the endpoint name of the
# service that asked on the principal's behalf, `SERVICE_NAME.REGION.amazonaws.com`
# (secretsmanager.us-east-1.amazonaws.com). A KMS key is a resource of one region ("AWS KMS
# keys are Region-specific"; a multi-Region key's replicas are keys of their own regions, each
# with its own ARN), and Secrets Manager and SSM encrypt a secret with a key of the secret's
# region: they ask KMS from that region, so a grant conditioned on another region's endpoints
# never matches a request for the key.

VIA_SERVICE = "kms:ViaService"
_VIA_SERVICE_VALUE = re.compile(r"^(?P<service>[a-z0-9-]+)\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:key/.+$")


# The services that read a task's secrets for ECS (ECS developer guide, "Pass sensitive data to
# an Amazon ECS container": Secrets Manager secrets and SSM parameters).
SECRET_READING_SERVICES = ("secretsmanager", "ssm")


def via_service_endpoints(region: str) -> list[str]:
    """The kms:ViaService values of the services that read secrets in `region`."""
    return [f"{service}.{region}.amazonaws.com" for service in SECRET_READING_SERVICES]


def via_service_region(value: str) -> str | None:
    """The region of a kms:ViaService value (`secretsmanager.us-east-1.amazonaws.com`), or None
    for a value of another shape (a wildcard pattern, a global endpoint)."""
    match = _VIA_SERVICE_VALUE.fullmatch(value)
    return match["region"] if match else None


def kms_key_region(arn: str) -> str | None:
    """The region of a KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`), or None for any
    other resource (an alias, a wildcard)."""
    match = _KMS_KEY_ARN.fullmatch(arn)
    return match["region"] if match else None
