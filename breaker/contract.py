"""The cost breaker's contract: everything its component (components/cost_breaker.py) writes and
its function (the rest of this package) reads, or the other way round, stated once.

- the function: runtime, entry point, timeout, and the first-party modules outside this package
  that it imports (the component packages them with it);
- its environment: the eleven variable names, and how each value is written and read, among
  them what the function trusts (the stack's account, its budget's exact name, its trip alarms'
  ARNs);
- the record (the state parameter): schema, codec, its time stamps, the empty record the
  component creates it with, and the tier both sides write it with;
- the lock: its name beside the record, its free marker, its TTL and wait;
- the actions an operator invokes, and the restore command printed by both sides.

Standard library only: the Pulumi program imports this module, and must not load boto3 or the
Lambda handler to do so (tests/breaker/test_contract.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

# --- the function ------------------------------------------------------------------------------

RUNTIME = "python3.12"
# `<module>.<function>` inside the code archive, which holds this package at its repository
# path (components/cost_breaker.py, `lambda_code`).
HANDLER = "breaker.handler.handler"
FUNCTION_TIMEOUT_SECONDS = 60
# First-party modules outside breaker/ that the function imports; the component packages each
# with its parent packages (tests/breaker/test_contract.py holds this against the imports).
IMPORTED_FACTS = ("policies.guardrails.facts.scaling",)

# --- the environment ---------------------------------------------------------------------------

TARGETS_ENV = "BREAKER_TARGETS"  # JSON list of target entries (`target_entry`)
STATE_PARAMETER_ENV = "BREAKER_STATE_PARAMETER"  # the record's SSM parameter name
LOCK_PARAMETER_ENV = "BREAKER_LOCK_PARAMETER"  # optional: default `lock_parameter_name`
LOCK_TTL_ENV = "BREAKER_LOCK_TTL_SECONDS"  # optional: default LOCK_TTL_SECONDS
LOCK_WAIT_ENV = "BREAKER_LOCK_WAIT_SECONDS"  # optional: default LOCK_WAIT_SECONDS
# What the function trusts. Without the account no notification trips it; without the budget's
# name no budget notification does; without trip alarms no alarm does (breaker/sources.py).
ACCOUNT_ID_ENV = "BREAKER_ACCOUNT_ID"  # the stack's account: budgets and alarms must be its own
BUDGET_NAME_ENV = "BREAKER_BUDGET_NAME"  # the exact name of the budget whose notification trips
TRIP_ALARM_ARNS_ENV = "BREAKER_TRIP_ALARM_ARNS"  # JSON list of the trip alarms' exact ARNs
TOPIC_ARN_ENV = "BREAKER_TOPIC_ARN"  # optional: the only topic whose messages are accepted
ALERT_TOPIC_ENV = "ALERT_TOPIC_ARN"  # where every trip, restore and refusal is reported
ENVIRONMENT_ENV = "BREAKER_ENVIRONMENT"  # a label for the alert subjects
ENV_NAMES = (
    TARGETS_ENV, STATE_PARAMETER_ENV, LOCK_PARAMETER_ENV, LOCK_TTL_ENV, LOCK_WAIT_ENV,
    ACCOUNT_ID_ENV, BUDGET_NAME_ENV, TRIP_ALARM_ARNS_ENV, TOPIC_ARN_ENV, ALERT_TOPIC_ENV,
    ENVIRONMENT_ENV,
)
_MAX_SECONDS = 3600


class BreakerConfigError(Exception):
    """The function's environment is missing or malformed (a deployment fault)."""


def target_entry(service: str, resource_id: Any, ceiling: int) -> dict[str, Any]:
    """One entry of TARGETS_ENV. `resource_id` is `service/<cluster>/<service>` (the component
    passes it as a Pulumi output, hence Any)."""
    return {"service": service, "resourceId": resource_id, "ceiling": ceiling}


def function_environment(
    *,
    targets_json: Any,
    state_parameter: Any,
    lock_parameter: str,
    account_id: str,
    budget_name: str,
    trip_alarm_arns: list[str],
    topic_arn: str,
    alert_topic_arn: str,
    environment: str,
) -> dict[str, Any]:
    """The variables the component sets. `targets_json` is the JSON text of a list of
    `target_entry` (the component encodes it with `pulumi.Output.json_dumps`, which writes what
    `json.dumps` does); the wait for the lock is left to its default."""
    return {
        TARGETS_ENV: targets_json,
        STATE_PARAMETER_ENV: state_parameter,
        LOCK_PARAMETER_ENV: lock_parameter,
        LOCK_TTL_ENV: str(LOCK_TTL_SECONDS),
        ACCOUNT_ID_ENV: account_id,
        BUDGET_NAME_ENV: budget_name,
        TRIP_ALARM_ARNS_ENV: json.dumps(sorted(trip_alarm_arns)),
        TOPIC_ARN_ENV: topic_arn,
        ALERT_TOPIC_ENV: alert_topic_arn,
        ENVIRONMENT_ENV: environment,
    }


def required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise BreakerConfigError(f"{name} is not set")
    return value


def seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BreakerConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= value < _MAX_SECONDS:
        raise BreakerConfigError(f"{name} must be between 0 and 3600 seconds, not {raw!r}")
    return value


def read_targets(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    raw = environ.get(TARGETS_ENV)
    if not raw:
        raise BreakerConfigError(f"{TARGETS_ENV} is not set")
    try:
        targets = json.loads(raw)
    except ValueError as exc:
        raise BreakerConfigError(f"{TARGETS_ENV} is not JSON: {exc}") from None
    if not isinstance(targets, list):
        raise BreakerConfigError(f"{TARGETS_ENV} must be a JSON list")
    for target in targets:
        if (
            not isinstance(target, dict)
            or not isinstance(target.get("resourceId"), str)
            or not isinstance(target.get("ceiling"), int)
            or target["ceiling"] < 0
        ):
            raise BreakerConfigError(
                f"{TARGETS_ENV} entry {target!r} needs resourceId (str) and ceiling (int >= 0)"
            )
    return targets


# An account id is 12 digits (AWS Account Management Reference Guide, "View AWS account
# identifiers").
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


def read_account_id(environ: Mapping[str, str]) -> str | None:
    """The stack's account, or None when unset (then no notification is trusted)."""
    raw = environ.get(ACCOUNT_ID_ENV)
    if not raw:
        return None
    if not _ACCOUNT_ID.fullmatch(raw):
        raise BreakerConfigError(f"{ACCOUNT_ID_ENV} must be a 12-digit account id, not {raw!r}")
    return raw


class AlarmArn(NamedTuple):
    partition: str
    region: str
    account: str
    name: str


def parse_alarm_arn(arn: str) -> AlarmArn | None:
    """`arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` (Service Authorization
    Reference, Amazon CloudWatch, resource type `alarm`), or None for anything else."""
    parts = arn.split(":", 6)
    if (len(parts) != 7 or parts[0] != "arn" or not parts[1] or parts[2] != "cloudwatch"
            or not parts[3] or not _ACCOUNT_ID.fullmatch(parts[4]) or parts[5] != "alarm"
            or not parts[6]):
        return None
    return AlarmArn(parts[1], parts[3], parts[4], parts[6])


def read_trip_alarm_arns(environ: Mapping[str, str]) -> list[str]:
    """The trip alarms' ARNs; each must be an alarm of the stack's account (when it is set:
    without it no alarm is trusted at all)."""
    raw = environ.get(TRIP_ALARM_ARNS_ENV)
    if not raw:
        return []
    try:
        arns = json.loads(raw)
    except ValueError:
        arns = None
    if not isinstance(arns, list) or not all(isinstance(a, str) for a in arns):
        raise BreakerConfigError(f"{TRIP_ALARM_ARNS_ENV} must be a JSON list of alarm ARNs")
    account = read_account_id(environ)
    for arn in arns:
        parsed = parse_alarm_arn(arn)
        if parsed is None:
            raise BreakerConfigError(f"{TRIP_ALARM_ARNS_ENV}: {arn!r} is not a CloudWatch alarm ARN")
        if account is not None and parsed.account != account:
            raise BreakerConfigError(
                f"{TRIP_ALARM_ARNS_ENV}: {arn!r} is not an alarm of account {account} "
                f"({ACCOUNT_ID_ENV})")
    return arns


# --- the lock ----------------------------------------------------------------------------------

# Longer than the function's timeout: Lambda stops an invocation at its timeout, so only a dead
# holder's claim ever expires; the 90 s margin covers clock skew between instances.
LOCK_TTL_SECONDS = FUNCTION_TIMEOUT_SECONDS + 90
LOCK_WAIT_SECONDS = 20
# What the component creates the lock with, and what a release writes (plus `releasedAt`).
FREE_LOCK: dict[str, Any] = {"free": True}


def parameter_folder(state_parameter: str) -> str:
    """The folder of the record; the lock sits in it too, so one GetParametersByPath reads
    both."""
    return state_parameter.rsplit("/", 1)[0]


def lock_parameter_name(state_parameter: str) -> str:
    return f"{parameter_folder(state_parameter)}/lock"


def lock_parameter(environ: Mapping[str, str], state_parameter: str) -> str:
    return environ.get(LOCK_PARAMETER_ENV) or lock_parameter_name(state_parameter)


# --- the record --------------------------------------------------------------------------------

# Parameter Store: Standard values up to 4 KB, Advanced up to 8 KB, Advanced charged per
# parameter-month; with Intelligent-Tiering Parameter Store picks Advanced only for a value over
# 4 KB (AWS Systems Manager User Guide, "Managing parameter tiers"). Both sides write this tier:
# downgrading Advanced to Standard recreates the parameter, which would lose the record.
RECORD_TIER = "Intelligent-Tiering"
SSM_STANDARD_LIMIT = 4096
SSM_ADVANCED_LIMIT = 8192
RECORD_FIELDS = ("service", "resourceId", "originalMax", "newMax", "status")
STATUSES = ("pending", "applied", "failed")
# Top-level keys kept as they are; "tripped", "changes", "errors", "unreadable" are coded.
# lastRestoredAt is when the last restore took the lock: a trip notification stamped no later
# than that is a replay, refused (breaker/sources.py, `refuse_replay`).
# schedulesSuspended: the resource ids whose scheduled scaling the trip suspended, which a
# restore resumes (breaker/actions.py).
RECORD_KEYS = ("trippedAt", "reason", "trippedBy", "lastTrigger", "lastRestoredAt",
               "schedulesSuspended")
REASON_LIMIT = 240
ERROR_LIMITS = (160, 60, 0)  # shrink steps for error texts kept in the record
UNREADABLE_LIMIT = 300


def record_time(moment: datetime) -> str:
    """A time stamp in the record (trippedAt, lastRestoredAt, ...): ISO 8601, UTC, to the
    millisecond, as precise as the event times it is compared with (breaker/sources.py)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 time with its UTC offset (the record's stamps, SNS's `Timestamp`
    "2026-03-03T17:43:27.123Z", CloudWatch's `StateChangeTime` "2026-03-03T17:43:27.123+0000"),
    in UTC; None for anything else, a time without an offset included (its zone is unknown)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


class RecordTooLargeError(Exception):
    """The record does not fit an Advanced parameter even without its error texts."""


def empty_record() -> dict[str, Any]:
    return {"tripped": False, "changes": []}


# What the component creates the parameter with; `parse_record` reads it as the empty record.
EMPTY_RECORD_VALUE = json.dumps(empty_record())


def _readable_change(entry: Any, fields: list[str]) -> dict[str, Any] | None:
    if isinstance(entry, list) and len(entry) == len(fields):
        entry = dict(zip(fields, entry, strict=True))
    if not isinstance(entry, dict):
        return None
    resource_id = entry.get("resourceId")
    original, new = entry.get("originalMax"), entry.get("newMax")
    if (
        not isinstance(resource_id, str) or not resource_id
        or type(original) is not int or type(new) is not int or original < 0 or new < 0
    ):
        return None
    change = {
        "service": entry.get("service") if isinstance(entry.get("service"), str) else resource_id,
        "resourceId": resource_id,
        "originalMax": original,
        "newMax": new,
        "status": entry.get("status") if entry.get("status") in STATUSES else "pending",
    }
    if isinstance(entry.get("error"), str):
        change["error"] = entry["error"]
    return change


def parse_record(value: str) -> tuple[dict[str, Any], list[str]]:
    """The record in `value` and the problems found in it.

    Never raises: an entry that cannot be read is kept verbatim (bounded) under "unreadable",
    reported, and left alone by trip and restore; the readable entries keep working. Reads the
    compact form `encode_record` writes, the earlier form with one object per change, and
    EMPTY_RECORD_VALUE.
    """
    problems: list[str] = []
    try:
        raw = json.loads(value)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        problems.append(f"the record is not a JSON object: {value[:UNREADABLE_LIMIT]!r}")
        return {**empty_record(), "unreadable": [value[:UNREADABLE_LIMIT]]}, problems
    header = raw.get("fields")
    fields = [str(f) for f in header] if isinstance(header, list) else list(RECORD_FIELDS)
    entries: Any = raw.get("changes", [])
    if not isinstance(entries, list):
        problems.append(f"the record's changes are not a list: {json.dumps(entries)[:200]}")
        entries = [entries]
    errors: dict[str, Any] = raw["errors"] if isinstance(raw.get("errors"), dict) else {}
    earlier: list[Any] = raw["unreadable"] if isinstance(raw.get("unreadable"), list) else []
    unreadable = [u for u in earlier if isinstance(u, str)]
    problems.extend(f"unreadable record entry from an earlier run: {u}" for u in unreadable)
    changes: list[dict[str, Any]] = []
    for entry in entries:
        change = _readable_change(entry, fields)
        if change is None:
            text = json.dumps(entry, separators=(",", ":"), default=str)[:UNREADABLE_LIMIT]
            unreadable.append(text)
            problems.append(f"unreadable record entry kept as it is: {text}")
            continue
        if isinstance(errors.get(change["resourceId"]), str):
            change["error"] = errors[change["resourceId"]]
        changes.append(change)
    record: dict[str, Any] = {key: raw[key] for key in RECORD_KEYS if key in raw}
    record["tripped"] = raw.get("tripped") is True
    record["changes"] = changes
    if unreadable:
        record["unreadable"] = unreadable
    return record, problems


def encode_record(record: dict[str, Any], error_limit: int = ERROR_LIMITS[0]) -> str:
    """The compact form: one row per change under a "fields" header, error texts (cut to
    `error_limit`, none at 0) by resource id, no whitespace."""
    changes = record.get("changes", [])
    document: dict[str, Any] = {
        key: value for key, value in record.items() if key not in ("changes", "unreadable")
    }
    if isinstance(document.get("reason"), str):
        document["reason"] = document["reason"][:REASON_LIMIT]
    document["fields"] = list(RECORD_FIELDS)
    document["changes"] = [[c[f] for f in RECORD_FIELDS] for c in changes]
    errors = {c["resourceId"]: c["error"][:error_limit] for c in changes
              if error_limit and c.get("error")}
    if errors:
        document["errors"] = errors
    if record.get("unreadable"):
        document["unreadable"] = [u[:UNREADABLE_LIMIT] for u in record["unreadable"]]
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def bounded_record(record: dict[str, Any]) -> str:
    """The record's text, shrunk (shorter error texts, then none) until it fits a Standard
    parameter; raises RecordTooLargeError if even the Advanced limit is exceeded."""
    value = ""
    for limit in ERROR_LIMITS:
        value = encode_record(record, limit)
        if len(value.encode()) <= SSM_STANDARD_LIMIT:
            return value
    if len(value.encode()) <= SSM_ADVANCED_LIMIT:
        return value  # Intelligent-Tiering stores it as Advanced
    raise RecordTooLargeError(
        f"the record is {len(value.encode())} bytes, over the 8 KB Parameter Store limit"
    )


# --- what an operator invokes ------------------------------------------------------------------

ACTIONS = ("trip", "restore", "status")


def invoke_command(function_name: str, action: str) -> str:
    """The AWS CLI line that invokes the function with {"action": `action`}."""
    payload = json.dumps({"action": action}, separators=(",", ":"))
    return (f"aws lambda invoke --function-name {function_name} --payload '{payload}' "
            "--cli-binary-format raw-in-base64-out out.json")


def restore_command(function_name: str) -> str:
    """Printed by the program (output costBreakerRestoreCommand) and in every trip alert."""
    return invoke_command(function_name, "restore")
