"""CostBreaker Lambda: lower ECS max capacities when spend runs away, and put them back.

Invocations:
- an SNS record on the breaker topic carrying either an AWS Budgets notification for the
  configured budget, or a CloudWatch alarm notification of a configured trip alarm whose
  NewStateValue is "ALARM": trip. Any other SNS message is refused (and reported to the alert
  topic, so a format change is never silent); it never trips;
- {"action": "trip"}: trip by hand;
- {"action": "restore"}: put back every maximum the breaker lowered;
- {"action": "status"}: report the record and each target's current min/max.

Trip lowers each configured target's max to max(emergency ceiling, current min) when that is
below the current max; it never raises anything and never touches min or the running count
directly (Application Auto Scaling brings the desired count inside the new range itself).

The record (an SSM parameter, JSON) is written BEFORE any change: every planned change is stored
as "pending" with the original and the new max, then marked "applied" or "failed" as each call
returns. A crash midway therefore leaves a record that names every target that may have been
changed and its original max; restore compares each target's current max with the recorded new
max, so it is correct whether a pending change was applied or not. A repeated trip keeps the
original maxima already recorded, so it never mistakes a lowered max for an original one.

Serialisation. Trip and restore take a lock before they read the record and release it after
the last write, so two invocations never interleave on it; nothing relies on reserved
concurrency. The lock is a second SSM parameter used as a compare-and-swap on its version:
Parameter Store gives version 1 to a new parameter and "automatically increments the version
number by one" on every change (AWS Systems Manager User Guide, "Working with parameter versions
in Parameter Store"), and PutParameter returns that new Version (API reference, PutParameter).
A claimant reads the lock (version V); if it is free or its claim has expired, it writes its own
claim with Overwrite=True and holds the lock only if PutParameter answers V+1, that is, if no
other write landed in between. A missing lock parameter is created with Overwrite=False, which
fails with ParameterAlreadyExists when another claimant created it first (API reference,
PutParameter). The lock is never deleted (a deleted parameter would restart at version 1 and
make a stale comparison succeed); release writes a free marker. A claim expires after
BREAKER_LOCK_TTL_SECONDS, longer than the function's timeout, so only a dead holder's claim
expires. A claimant that cannot get the lock within BREAKER_LOCK_WAIT_SECONDS raises
BreakerBusyError: an SNS-driven (asynchronous) invocation is then retried by Lambda, and after
the retries it goes to the function's on-failure destination (the alert topic).

Size. A Standard parameter holds at most 4 KB, an Advanced one 8 KB, and Advanced parameters are
charged per parameter per month (AWS Systems Manager User Guide, "Managing parameter tiers").
The record is stored compactly (one row per change under a "fields" header, no whitespace) and,
when it would not fit 4,096 bytes, shrunk in steps: error texts cut shorter, then dropped (they
stay in the alert message and the log). Writes send Tier "Intelligent-Tiering", with which
Parameter Store itself picks Advanced only for a value over 4 KB, so a very large estate costs an
Advanced parameter instead of a failed trip. Over 8 KB the write is not attempted; every failed
write is reported to the alert topic and raised, never dropped.

Environment: BREAKER_TARGETS (JSON list of {"service", "resourceId", "ceiling"}),
BREAKER_STATE_PARAMETER (SSM parameter name), ALERT_TOPIC_ARN, BREAKER_ENVIRONMENT (label);
optional: BREAKER_LOCK_PARAMETER (default: "lock" beside the record), BREAKER_LOCK_TTL_SECONDS,
BREAKER_LOCK_WAIT_SECONDS, BREAKER_BUDGET_NAME (the budget whose notification trips),
BREAKER_TRIP_ALARMS (JSON list of alarm names that trip), BREAKER_TOPIC_ARN (the only topic
accepted).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

# Copies of stack_model/naming.py's SCALING_NAMESPACE and SCALABLE_DIMENSION: this file is
# packaged alone and cannot import the program (tests/breaker/test_handler.py holds them equal).
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
ACTIONS = ("trip", "restore", "status")
# SNS Publish, Subject: "must be less than 100 characters long", ASCII, no line breaks or
# control characters (Amazon SNS API Reference, Publish).
SNS_SUBJECT_LIMIT = 99
# Parameter Store: Standard values up to 4 KB, Advanced up to 8 KB ("Managing parameter tiers").
SSM_STANDARD_LIMIT = 4096
SSM_ADVANCED_LIMIT = 8192
RECORD_TIER = "Intelligent-Tiering"
RECORD_FIELDS = ("service", "resourceId", "originalMax", "newMax", "status")
REASON_LIMIT = 240
ERROR_LIMITS = (160, 60, 0)  # shrink steps for error texts kept in the record
UNREADABLE_LIMIT = 300
LOCK_TTL_SECONDS = 150  # the function's timeout is 60 s: only a dead holder's claim expires
LOCK_WAIT_SECONDS = 20
LOCK_POLL_SECONDS = 0.5
_AWS_ERRORS = (ClientError, BotoCoreError)


class BreakerConfigError(Exception):
    """The function's environment is missing or malformed (a deployment fault)."""


class BreakerBusyError(Exception):
    """Another invocation holds the lock; an asynchronous invocation is retried by Lambda."""


class RecordWriteError(Exception):
    """The record could not be written; the alert topic has been told."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _empty_record() -> dict[str, Any]:
    return {"tripped": False, "changes": []}


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


# --- configuration ---------------------------------------------------------------------------


def load_targets() -> list[dict[str, Any]]:
    raw = os.environ.get("BREAKER_TARGETS")
    if not raw:
        raise BreakerConfigError("BREAKER_TARGETS is not set")
    try:
        targets = json.loads(raw)
    except ValueError as exc:
        raise BreakerConfigError(f"BREAKER_TARGETS is not JSON: {exc}") from None
    if not isinstance(targets, list):
        raise BreakerConfigError("BREAKER_TARGETS must be a JSON list")
    for target in targets:
        if (
            not isinstance(target, dict)
            or not isinstance(target.get("resourceId"), str)
            or not isinstance(target.get("ceiling"), int)
            or target["ceiling"] < 0
        ):
            raise BreakerConfigError(
                f"BREAKER_TARGETS entry {target!r} needs resourceId (str) and ceiling (int >= 0)"
            )
    return targets


def _setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise BreakerConfigError(f"{name} is not set")
    return value


def _number_setting(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BreakerConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= value < 3600:
        raise BreakerConfigError(f"{name} must be between 0 and 3600 seconds, not {raw!r}")
    return value


def lock_parameter_name(state_parameter: str) -> str:
    return os.environ.get("BREAKER_LOCK_PARAMETER") or (
        state_parameter.rsplit("/", 1)[0] + "/lock"
    )


def trip_alarm_names() -> list[str]:
    raw = os.environ.get("BREAKER_TRIP_ALARMS")
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BreakerConfigError("BREAKER_TRIP_ALARMS must be a JSON list of alarm names")
    return names


# --- AWS access ------------------------------------------------------------------------------


class Aws:
    """The three clients the breaker uses; created per invocation so tests can mock them."""

    def __init__(self) -> None:
        config = Config(retries={"mode": "standard", "max_attempts": 5})
        # A session of its own: boto3's default session is not safe to share across threads.
        session = boto3.session.Session()
        self.scaling = session.client("application-autoscaling", config=config)
        self.ssm = session.client("ssm", config=config)
        self.sns = session.client("sns", config=config)


def describe(aws: Aws, resource_ids: list[str]) -> dict[str, dict[str, int]]:
    """Current {resourceId: {"min", "max"}} of the registered targets among `resource_ids`."""
    found: dict[str, dict[str, int]] = {}
    paginator = aws.scaling.get_paginator("describe_scalable_targets")
    # The API takes at most 50 resource ids per call.
    for start in range(0, len(resource_ids), 50):
        pages = paginator.paginate(
            ServiceNamespace=NAMESPACE,
            ScalableDimension=DIMENSION,
            ResourceIds=resource_ids[start:start + 50],
        )
        for page in pages:
            for target in page["ScalableTargets"]:
                found[target["ResourceId"]] = {
                    "min": int(target["MinCapacity"]),
                    "max": int(target["MaxCapacity"]),
                }
    return found


def set_max(aws: Aws, resource_id: str, max_capacity: int) -> None:
    # Only MaxCapacity is sent: an update leaves every other setting as it is.
    aws.scaling.register_scalable_target(
        ServiceNamespace=NAMESPACE,
        ScalableDimension=DIMENSION,
        ResourceId=resource_id,
        MaxCapacity=max_capacity,
    )


# --- the record --------------------------------------------------------------------------------


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
        "status": entry.get("status") if entry.get("status") in (
            "pending", "applied", "failed") else "pending",
    }
    if isinstance(entry.get("error"), str):
        change["error"] = entry["error"]
    return change


def parse_record(value: str) -> tuple[dict[str, Any], list[str]]:
    """The record in `value` and the problems found in it.

    Never raises: an entry that cannot be read is kept verbatim (bounded) under "unreadable",
    reported, and left alone by trip and restore; the readable entries keep working. Reads the
    compact form this module writes and the earlier form with one object per change.
    """
    problems: list[str] = []
    try:
        raw = json.loads(value)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        problems.append(f"the record is not a JSON object: {value[:UNREADABLE_LIMIT]!r}")
        return {**_empty_record(), "unreadable": [value[:UNREADABLE_LIMIT]]}, problems
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
    record: dict[str, Any] = {
        key: raw[key] for key in ("trippedAt", "reason", "trippedBy", "lastTrigger",
                                  "lastRestoredAt") if key in raw
    }
    record["tripped"] = raw.get("tripped") is True
    record["changes"] = changes
    if unreadable:
        record["unreadable"] = unreadable
    return record, problems


def encode_record(record: dict[str, Any], error_limit: int = ERROR_LIMITS[0]) -> str:
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
    parameter; raises RecordWriteError if even the Advanced limit is exceeded."""
    value = ""
    for limit in ERROR_LIMITS:
        value = encode_record(record, limit)
        if len(value.encode()) <= SSM_STANDARD_LIMIT:
            return value
    if len(value.encode()) <= SSM_ADVANCED_LIMIT:
        return value  # Intelligent-Tiering stores it as Advanced
    raise RecordWriteError(
        f"the record is {len(value.encode())} bytes, over the 8 KB Parameter Store limit"
    )


def read_record(aws: Aws, parameter: str) -> tuple[dict[str, Any], list[str]]:
    """The record and its problems; a missing parameter means nothing is tripped."""
    try:
        value = aws.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as exc:
        if _error_code(exc) != "ParameterNotFound":
            raise
        return _empty_record(), [f"record {parameter} does not exist: nothing is tripped"]
    return parse_record(value)


def write_record(aws: Aws, parameter: str, record: dict[str, Any]) -> None:
    aws.ssm.put_parameter(
        Name=parameter, Value=bounded_record(record), Type="String", Overwrite=True,
        Tier=RECORD_TIER,
    )


def _write_or_report(
    aws: Aws, parameter: str, record: dict[str, Any], topic: str, label: str, what: str
) -> None:
    """Write the record; on failure tell the alert topic, then raise RecordWriteError."""
    try:
        write_record(aws, parameter, record)
    except (*_AWS_ERRORS, RecordWriteError) as exc:
        text = _error_text(exc) if not isinstance(exc, RecordWriteError) else str(exc)
        notify(aws, topic, _heading("Cost breaker could not write its record", label), [
            f"{what}: writing {parameter} failed: {text}",
            "The record as it should read:",
            encode_record(record),
        ])
        raise RecordWriteError(f"{what}: writing {parameter} failed: {text}") from exc


# --- the lock ----------------------------------------------------------------------------------


class Lock:
    """Compare-and-swap on an SSM parameter's version; see the module docstring."""

    def __init__(self, aws: Aws, name: str, ttl: float, wait: float) -> None:
        self.aws, self.name, self.ttl, self.wait = aws, name, ttl, wait
        self.token = uuid.uuid4().hex

    def _claim(self) -> str:
        return json.dumps({"owner": self.token, "expiresAt": round(time.time() + self.ttl, 3)},
                          separators=(",", ":"))

    @staticmethod
    def _held(value: str) -> bool:
        try:
            claim = json.loads(value)
        except ValueError:
            return False
        return (
            isinstance(claim, dict) and isinstance(claim.get("owner"), str)
            and isinstance(claim.get("expiresAt"), int | float)
            and claim["expiresAt"] > time.time()
        )

    def try_acquire(self) -> bool:
        ssm = self.aws.ssm
        try:
            current = ssm.get_parameter(Name=self.name)["Parameter"]
        except ClientError as exc:
            if _error_code(exc) != "ParameterNotFound":
                raise
            try:
                ssm.put_parameter(Name=self.name, Value=self._claim(), Type="String",
                                  Overwrite=False)
            except ClientError as create_exc:
                if _error_code(create_exc) == "ParameterAlreadyExists":
                    return False
                raise
            return True
        if self._held(current["Value"]):
            return False
        written = ssm.put_parameter(Name=self.name, Value=self._claim(), Type="String",
                                    Overwrite=True)
        # V+1 only if no other write landed between our read and our write.
        return int(written["Version"]) == int(current["Version"]) + 1

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise BreakerBusyError(
                    f"another invocation holds {self.name}; gave up after {self.wait:g} s"
                )
            time.sleep(LOCK_POLL_SECONDS)

    def release(self) -> None:
        try:
            current = self.aws.ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
            if json.loads(current).get("owner") != self.token:
                LOG.error("lock %s is no longer ours at release; left as it is", self.name)
                return
            self.aws.ssm.put_parameter(
                Name=self.name, Value=json.dumps({"free": True, "releasedAt": _now()}),
                Type="String", Overwrite=True,
            )
        except (*_AWS_ERRORS, ValueError, AttributeError) as exc:
            # The claim expires by itself; the work is done.
            LOG.error("could not release %s: %s", self.name, exc)


@contextmanager
def locked(aws: Aws, parameter: str) -> Iterator[None]:
    lock = Lock(
        aws, lock_parameter_name(parameter),
        ttl=_number_setting("BREAKER_LOCK_TTL_SECONDS", LOCK_TTL_SECONDS),
        wait=_number_setting("BREAKER_LOCK_WAIT_SECONDS", LOCK_WAIT_SECONDS),
    )
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


# --- reporting ---------------------------------------------------------------------------------


def sns_subject(text: str) -> str:
    """An SNS Subject: printable ASCII on one line, under 100 characters."""
    cleaned = "".join(ch if " " <= ch <= "~" else " " for ch in text)
    cleaned = " ".join(cleaned.split()) or "Cost breaker"
    if len(cleaned) > SNS_SUBJECT_LIMIT:
        cleaned = cleaned[: SNS_SUBJECT_LIMIT - 3].rstrip() + "..."
    return cleaned


def _heading(text: str, label: str) -> str:
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
    except _AWS_ERRORS as exc:
        LOG.error("could not notify %s: %s", topic_arn, exc)
        return False


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
    return f"{type(exc).__name__}: {exc}"


# --- trip ------------------------------------------------------------------------------------


def manual_trigger(reason: str) -> dict[str, Any]:
    return {"source": "manual", "name": "by hand", "reason": reason}


def trip(aws: Aws, trigger: dict[str, Any]) -> dict[str, Any]:
    targets = load_targets()
    parameter = _setting("BREAKER_STATE_PARAMETER")
    topic = _setting("ALERT_TOPIC_ARN")
    label = os.environ.get("BREAKER_ENVIRONMENT", "")
    with locked(aws, parameter):
        return _trip_locked(aws, trigger, targets, parameter, topic, label)


def _trip_locked(
    aws: Aws, trigger: dict[str, Any], targets: list[dict[str, Any]], parameter: str,
    topic: str, label: str,
) -> dict[str, Any]:
    reason = str(trigger["reason"])[:REASON_LIMIT]
    record, problems = read_record(aws, parameter)
    recorded = {c["resourceId"]: c for c in record["changes"]}
    current = describe(aws, [t["resourceId"] for t in targets])

    report: list[str] = [p for p in problems if "does not exist" not in p]
    planned: list[dict[str, Any]] = []
    from_max: dict[str, int] = {}
    for target in targets:
        resource_id = target["resourceId"]
        name = target.get("service", resource_id)
        now = current.get(resource_id)
        if now is None:
            report.append(f"{name}: no scalable target {resource_id}; skipped")
            continue
        new_max = max(target["ceiling"], now["min"])
        if new_max >= now["max"]:
            report.append(
                f"{name}: max {now['max']} already at or below the emergency ceiling "
                f"{new_max}; left as it is"
            )
            continue
        previous = recorded.get(resource_id)
        # A target already in the record keeps its recorded original: its current max may
        # be one the breaker set, or one a later change put back above the ceiling.
        original = previous["originalMax"] if previous else now["max"]
        from_max[resource_id] = now["max"]
        planned.append({
            "service": name,
            "resourceId": resource_id,
            "originalMax": original,
            "newMax": new_max,
            "status": "pending",
        })
        if target["ceiling"] < now["min"]:
            report.append(
                f"{name}: min {now['min']} is above the emergency ceiling {target['ceiling']}; "
                f"max lowered only to the min"
            )

    if not planned:
        summary = "nothing to lower: every target is at or below its emergency ceiling"
        if problems and record.get("unreadable"):
            notify(aws, topic, _heading("Cost breaker record has unreadable entries", label),
                   [*report, summary])
        return {"action": "trip", "tripped": bool(record.get("tripped")), "changed": [],
                "failed": [], "trigger": _public_trigger(trigger),
                "messages": report + [summary]}

    # Write ahead: the record names every change before the first one is made.
    by_id = {c["resourceId"]: c for c in record["changes"]}
    for change in planned:
        by_id[change["resourceId"]] = change
    record["changes"] = list(by_id.values())
    stamp = {**_public_trigger(trigger), "at": _now()}
    if not record.get("tripped"):
        record["trippedAt"] = stamp["at"]
        record["trippedBy"] = stamp
    record["lastTrigger"] = stamp
    record["tripped"] = True
    record["reason"] = reason
    _write_or_report(aws, parameter, record, topic, label, "trip: nothing was lowered")

    changed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for change in planned:
        try:
            set_max(aws, change["resourceId"], change["newMax"])
        except _AWS_ERRORS as exc:
            # Go on with the others: every target lowered is money not spent.
            change["status"] = "failed"
            change["error"] = _error_text(exc)
            failed.append(change)
            report.append(
                f"{change['service']}: FAILED to lower max {from_max[change['resourceId']]} -> "
                f"{change['newMax']}: {change['error']}"
            )
            continue
        change["status"] = "applied"
        changed.append(change)
        report.append(
            f"{change['service']}: max {from_max[change['resourceId']]} -> {change['newMax']} "
            f"(original {change['originalMax']})"
        )
    # Failed entries stay, marked: restore compares the live max with newMax, so an entry
    # whose call did not take effect is recognised and left alone.
    _write_or_report(aws, parameter, record, topic, label,
                     "trip: the maxima were lowered but the record still says pending")

    heading = _heading("Cost breaker TRIPPED", label)
    if failed:
        heading += f": {len(failed)} target(s) could not be lowered"
    restore_hint = (
        "Restore with: aws lambda invoke --function-name "
        f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', '<function>')} "
        "--payload '{\"action\":\"restore\"}' --cli-binary-format raw-in-base64-out out.json"
    )
    notified = notify(aws, topic, heading, [
        f"Tripped by: {trigger['source']} ({trigger['name']})", f"Reason: {reason}", *report,
        "", restore_hint,
    ])
    result = {
        "action": "trip",
        "tripped": record["tripped"],
        "trigger": _public_trigger(trigger),
        "changed": [_public(c) for c in changed],
        "failed": [_public(c) for c in failed],
        "notified": notified,
        "messages": report,
    }
    if failed:
        # Raising makes an SNS-driven (asynchronous) invocation retry; a retry is a repeated
        # trip, which only finishes what is left.
        raise PartialTripError(result)
    return result


class PartialTripError(Exception):
    """Some targets could not be lowered; the record says exactly which ones were."""

    def __init__(self, result: dict[str, Any]):
        self.result = result
        super().__init__(json.dumps(result))


def _public(change: dict[str, Any]) -> dict[str, Any]:
    return {k: change[k] for k in ("service", "resourceId", "originalMax", "newMax", "status")
            if k in change} | ({"error": change["error"]} if "error" in change else {})


def _public_trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    return {"source": trigger["source"], "name": trigger["name"]}


# --- restore ---------------------------------------------------------------------------------


def restore(aws: Aws) -> dict[str, Any]:
    parameter = _setting("BREAKER_STATE_PARAMETER")
    topic = _setting("ALERT_TOPIC_ARN")
    label = os.environ.get("BREAKER_ENVIRONMENT", "")
    with locked(aws, parameter):
        return _restore_locked(aws, parameter, topic, label)


def _restore_locked(aws: Aws, parameter: str, topic: str, label: str) -> dict[str, Any]:
    record, problems = read_record(aws, parameter)
    report: list[str] = [p for p in problems if "does not exist" not in p]
    if not record.get("tripped") and not record["changes"]:
        return {"action": "restore", "tripped": False, "restored": [], "left": [], "failed": [],
                "messages": report + ["the breaker is not tripped: nothing to restore"]}

    current = describe(aws, [c["resourceId"] for c in record["changes"]])
    restored: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    remaining: list[dict[str, Any]] = []
    for change in record["changes"]:
        name = change.get("service", change["resourceId"])
        now = current.get(change["resourceId"])
        if now is None:
            report.append(f"{name}: scalable target no longer exists; nothing to restore")
            continue
        if now["max"] == change["originalMax"]:
            report.append(f"{name}: max already {now['max']}, the original")
            continue
        if now["max"] != change["newMax"]:
            left.append(change)
            report.append(
                f"{name}: max is {now['max']}, not the {change['newMax']} the breaker set: "
                f"changed since by someone else; left as it is (original was "
                f"{change['originalMax']})"
            )
            continue
        try:
            set_max(aws, change["resourceId"], change["originalMax"])
        except _AWS_ERRORS as exc:
            remaining.append(change)
            report.append(f"{name}: FAILED to restore max {change['originalMax']}: "
                          f"{_error_text(exc)}")
            continue
        restored.append(change)
        report.append(f"{name}: max {now['max']} -> {change['originalMax']} (restored)")

    kept = {k: record[k] for k in ("unreadable",) if record.get(k)}
    record = {**_empty_record(), **kept} if not remaining else {**record, "changes": remaining}
    record["lastRestoredAt"] = _now()
    _write_or_report(aws, parameter, record, topic, label,
                     "restore: the maxima were put back but the record still lists them")
    heading = _heading("Cost breaker restored", label)
    if remaining:
        heading += f": {len(remaining)} target(s) still lowered, run restore again"
    notified = notify(aws, topic, heading, report)
    return {
        "action": "restore",
        "tripped": bool(remaining),
        "restored": [_public(c) for c in restored],
        "left": [_public(c) for c in left],
        "failed": [_public(c) for c in remaining],
        "notified": notified,
        "messages": report,
    }


# --- status ----------------------------------------------------------------------------------


def status(aws: Aws) -> dict[str, Any]:
    targets = load_targets()
    record, problems = read_record(aws, _setting("BREAKER_STATE_PARAMETER"))
    current = describe(aws, [t["resourceId"] for t in targets])
    return {
        "action": "status",
        "tripped": bool(record.get("tripped")),
        "record": record,
        "problems": problems,
        "targets": [
            {
                "service": t.get("service", t["resourceId"]),
                "resourceId": t["resourceId"],
                "ceiling": t["ceiling"],
                **(current.get(t["resourceId"]) or {"registered": False}),
            }
            for t in targets
        ],
    }


# --- the trip sources --------------------------------------------------------------------------


class EventRefused(Exception):
    """An event that is not a trip source; the message says why."""


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def budget_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` is an AWS Budgets notification for the configured budget.

    Budgets sends its SNS notification with a Subject starting "AWS Budgets:" and a body that
    names the budget ("Budget Name: <name>"); both are checked, and the configured budget's
    name (BREAKER_BUDGET_NAME) must appear. The exact text is not in any AWS API model, so the
    test is deliberately narrow, and anything else is refused and reported.
    """
    subject, message = sns.get("Subject"), sns.get("Message")
    if not isinstance(subject, str) or not subject.startswith("AWS Budgets"):
        return None
    if not isinstance(message, str):
        return None
    expected = os.environ.get("BREAKER_BUDGET_NAME", "")
    if expected:
        if expected not in subject and f"Budget Name: {expected}" not in message:
            raise EventRefused(
                f"a budget notification, but not for the budget {expected!r}: {subject[:120]!r}")
        name = expected
    else:
        marker = message.find("Budget Name:")
        if marker < 0:
            return None
        name = message[marker + len("Budget Name:"):].strip().splitlines()[0].strip()[:120]
    body = _one_line(message, 200)
    return {"source": "budget", "name": name,
            "reason": f"{_one_line(subject, 100)}: {body}" if body else _one_line(subject, 100)}


def alarm_trigger(sns: dict[str, Any]) -> dict[str, Any] | None:
    """A trigger if `sns` carries a configured trip alarm going into ALARM.

    A CloudWatch alarm action on an SNS topic publishes a JSON message with AlarmName,
    NewStateValue (OK | ALARM | INSUFFICIENT_DATA), OldStateValue, NewStateReason,
    StateChangeTime, AlarmArn, Trigger, ... (the sample in aws/aws-lambda-go
    events/testdata/cloudwatch-alarm-sns-payload-single-metric.json; states as in CloudWatch's
    SetAlarmState API). Only NewStateValue "ALARM" of an alarm named in BREAKER_TRIP_ALARMS
    trips; the OK that follows is acknowledged and ignored.
    """
    message = sns.get("Message")
    if not isinstance(message, str):
        return None
    try:
        alarm = json.loads(message)
    except ValueError:
        return None
    if not isinstance(alarm, dict) or not isinstance(alarm.get("AlarmName"), str) or \
            not isinstance(alarm.get("NewStateValue"), str):
        return None
    name = alarm["AlarmName"]
    allowed = trip_alarm_names()
    if name not in allowed:
        raise EventRefused(
            f"alarm {name!r} is not a trip alarm of this breaker "
            f"(BREAKER_TRIP_ALARMS: {allowed or 'none configured'})")
    if alarm["NewStateValue"] != "ALARM":
        raise EventRefused(f"alarm {name!r} went to {alarm['NewStateValue']}, not ALARM: "
                           "nothing to do")
    why = alarm.get("NewStateReason")
    reason = f"alarm {name} in ALARM" + (f": {_one_line(why, 200)}" if isinstance(why, str) else "")
    return {"source": "alarm", "name": name, "reason": reason}


def sns_trigger(event: dict[str, Any]) -> dict[str, Any]:
    """The trip source in an SNS-delivered event, or EventRefused saying why it is none."""
    records = event["Records"]
    if len(records) != 1:
        # SNS invokes a subscribed function with one record per message.
        raise EventRefused(f"expected one SNS record, got {len(records)}")
    record = records[0]
    if not isinstance(record, dict) or record.get("EventSource") != "aws:sns":
        source = record.get("EventSource") if isinstance(record, dict) else type(record).__name__
        raise EventRefused(f"unexpected event source {source!r}")
    sns = record.get("Sns")
    if not isinstance(sns, dict):
        raise EventRefused("an SNS record without its Sns object")
    expected_topic = os.environ.get("BREAKER_TOPIC_ARN")
    if expected_topic and sns.get("TopicArn") != expected_topic:
        raise EventRefused(f"message from topic {sns.get('TopicArn')!r}, not {expected_topic}")
    trigger = budget_trigger(sns) or alarm_trigger(sns)
    if trigger is None:
        subject = sns.get("Subject")
        raise EventRefused(
            "neither a budget notification nor a trip alarm's notification "
            f"(subject {str(subject)[:100]!r})")
    return trigger


# --- entry point -----------------------------------------------------------------------------


def _refuse_sns(aws: Aws, event: dict[str, Any], why: str) -> dict[str, Any]:
    """A message on the breaker's topic that does not trip it: say so, loudly if unexpected."""
    result = {"ok": False, "tripped": None, "error": f"not tripped: {why}"}
    LOG.warning(json.dumps(result))
    topic = os.environ.get("ALERT_TOPIC_ARN")
    if topic and "nothing to do" not in why:
        label = os.environ.get("BREAKER_ENVIRONMENT", "")
        result["notified"] = notify(aws, topic, _heading("Cost breaker ignored a message", label), [
            f"The breaker's topic delivered a message that does not trip it: {why}.",
            "If this was a budget or alarm notification, its format has changed: trip by hand "
            "if spend is running away.",
            json.dumps(event, default=str)[:4000],
        ])
    return result


def handler(event: Any, context: Any) -> dict[str, Any]:
    aws = Aws()
    if isinstance(event, dict) and "Records" in event:
        if not isinstance(event["Records"], list) or not event["Records"]:
            return _refuse_sns(aws, event, "Records is not a non-empty list")
        try:
            trigger = sns_trigger(event)
        except EventRefused as refused:
            return _refuse_sns(aws, event, str(refused))
        result = trip(aws, trigger)
    elif isinstance(event, dict) and event.get("action") in ACTIONS:
        action = event["action"]
        try:
            if action == "trip":
                reason = event.get("reason")
                result = trip(aws, manual_trigger(
                    _one_line(reason, REASON_LIMIT) if isinstance(reason, str) and reason.strip()
                    else "tripped by hand"))
            elif action == "restore":
                result = restore(aws)
            else:
                result = status(aws)
        except BreakerBusyError as busy:
            # By hand: say so and let the operator run it again.
            return {"ok": False, "action": action, "error": f"busy: {busy}; try again"}
    else:
        return {
            "ok": False,
            "error": f"unknown event {json.dumps(event, default=str)[:200]}: send "
                     f"{{\"action\": one of {list(ACTIONS)}}} or a budget notification via SNS",
        }
    LOG.info(json.dumps(result, default=str))
    return {"ok": True, **result}
