"""CostBreaker Lambda: lower ECS max capacities when spend runs away, and put them back.

Invocations:
- an SNS record (the budget notification, via the breaker topic): trip;
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

Environment: BREAKER_TARGETS (JSON list of {"service", "resourceId", "ceiling"}),
BREAKER_STATE_PARAMETER (SSM parameter name), ALERT_TOPIC_ARN, BREAKER_ENVIRONMENT (label).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

# Copies of components/naming.py's SCALING_NAMESPACE and SCALABLE_DIMENSION: this file is
# packaged alone and cannot import the program (tests/breaker/test_handler.py holds them equal).
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
ACTIONS = ("trip", "restore", "status")
SNS_SUBJECT_LIMIT = 100  # SNS rejects longer subjects
_AWS_ERRORS = (ClientError, BotoCoreError)


class BreakerConfigError(Exception):
    """The function's environment is missing or malformed (a deployment fault)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _empty_record() -> dict[str, Any]:
    return {"tripped": False, "changes": []}


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


# --- AWS access ------------------------------------------------------------------------------


class Aws:
    """The three clients the breaker uses; created per invocation so tests can mock them."""

    def __init__(self) -> None:
        config = Config(retries={"mode": "standard", "max_attempts": 5})
        self.scaling = boto3.client("application-autoscaling", config=config)
        self.ssm = boto3.client("ssm", config=config)
        self.sns = boto3.client("sns", config=config)


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


def read_record(aws: Aws, parameter: str) -> dict[str, Any]:
    value = aws.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    try:
        record = json.loads(value)
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("changes"), list):
        # Never guess: a record that cannot be read may hold original maxima.
        raise BreakerConfigError(
            f"SSM parameter {parameter} does not hold a breaker record: {value[:200]!r}"
        )
    return record


def write_record(aws: Aws, parameter: str, record: dict[str, Any]) -> None:
    aws.ssm.put_parameter(
        Name=parameter, Value=json.dumps(record, sort_keys=True), Type="String", Overwrite=True
    )


def notify(aws: Aws, topic_arn: str, subject: str, lines: list[str]) -> bool:
    """Tell the alert topic; a failure here is logged, never allowed to undo the action."""
    try:
        aws.sns.publish(
            TopicArn=topic_arn,
            Subject=subject[:SNS_SUBJECT_LIMIT],
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


def trip(aws: Aws, reason: str) -> dict[str, Any]:
    targets = load_targets()
    parameter = _setting("BREAKER_STATE_PARAMETER")
    topic = _setting("ALERT_TOPIC_ARN")
    label = os.environ.get("BREAKER_ENVIRONMENT", "")

    record = read_record(aws, parameter)
    recorded = {c["resourceId"]: c for c in record["changes"]}
    current = describe(aws, [t["resourceId"] for t in targets])

    report: list[str] = []
    planned: list[dict[str, Any]] = []
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
        planned.append({
            "service": name,
            "resourceId": resource_id,
            "originalMax": original,
            "newMax": new_max,
            "fromMax": now["max"],
            "status": "pending",
        })
        if target["ceiling"] < now["min"]:
            report.append(
                f"{name}: min {now['min']} is above the emergency ceiling {target['ceiling']}; "
                f"max lowered only to the min"
            )

    if not planned:
        summary = "nothing to lower: every target is at or below its emergency ceiling"
        return {"action": "trip", "tripped": bool(record.get("tripped")), "changed": [],
                "failed": [], "messages": report + [summary]}

    # Write ahead: the record names every change before the first one is made.
    by_id = {c["resourceId"]: c for c in record["changes"]}
    for change in planned:
        by_id[change["resourceId"]] = change
    record["changes"] = list(by_id.values())
    record["tripped"] = True
    record.setdefault("trippedAt", _now())
    record["reason"] = reason
    write_record(aws, parameter, record)

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
                f"{change['service']}: FAILED to lower max {change['fromMax']} -> "
                f"{change['newMax']}: {change['error']}"
            )
            continue
        change["status"] = "applied"
        changed.append(change)
        report.append(
            f"{change['service']}: max {change['fromMax']} -> {change['newMax']} "
            f"(original {change['originalMax']})"
        )
    # Failed entries stay, marked: restore compares the live max with newMax, so an entry
    # whose call did not take effect is recognised and left alone.
    write_record(aws, parameter, record)

    heading = f"Cost breaker TRIPPED ({label})" if label else "Cost breaker TRIPPED"
    if failed:
        heading += f": {len(failed)} target(s) could not be lowered"
    restore_hint = (
        "Restore with: aws lambda invoke --function-name "
        f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', '<function>')} "
        "--payload '{\"action\":\"restore\"}' --cli-binary-format raw-in-base64-out out.json"
    )
    notified = notify(aws, topic, heading, [f"Reason: {reason}", *report, "", restore_hint])
    result = {
        "action": "trip",
        "tripped": record["tripped"],
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


# --- restore ---------------------------------------------------------------------------------


def restore(aws: Aws) -> dict[str, Any]:
    parameter = _setting("BREAKER_STATE_PARAMETER")
    topic = _setting("ALERT_TOPIC_ARN")
    label = os.environ.get("BREAKER_ENVIRONMENT", "")
    record = read_record(aws, parameter)
    if not record.get("tripped") and not record["changes"]:
        return {"action": "restore", "tripped": False, "restored": [], "left": [],
                "messages": ["the breaker is not tripped: nothing to restore"]}

    current = describe(aws, [c["resourceId"] for c in record["changes"]])
    restored: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    remaining: list[dict[str, Any]] = []
    report: list[str] = []
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

    record = _empty_record() if not remaining else {**record, "changes": remaining}
    record["lastRestoredAt"] = _now()
    write_record(aws, parameter, record)
    heading = f"Cost breaker restored ({label})" if label else "Cost breaker restored"
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
    record = read_record(aws, _setting("BREAKER_STATE_PARAMETER"))
    current = describe(aws, [t["resourceId"] for t in targets])
    return {
        "action": "status",
        "tripped": bool(record.get("tripped")),
        "record": record,
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


# --- entry point -----------------------------------------------------------------------------


def _budget_reason(event: dict[str, Any]) -> str:
    record = event["Records"][0].get("Sns", {})
    subject = record.get("Subject") or "AWS Budgets notification"
    message = (record.get("Message") or "").strip().replace("\n", " ")
    return f"{subject}: {message[:300]}" if message else subject


def handler(event: Any, context: Any) -> dict[str, Any]:
    aws = Aws()
    if isinstance(event, dict) and isinstance(event.get("Records"), list) and event["Records"]:
        sources = {r.get("EventSource") for r in event["Records"]}
        if sources != {"aws:sns"}:
            return {"ok": False, "error": f"unexpected event sources {sorted(map(str, sources))}"}
        result = trip(aws, _budget_reason(event))
    elif isinstance(event, dict) and event.get("action") in ACTIONS:
        action = event["action"]
        if action == "trip":
            result = trip(aws, str(event.get("reason") or "tripped by hand"))
        elif action == "restore":
            result = restore(aws)
        else:
            result = status(aws)
    else:
        return {
            "ok": False,
            "error": f"unknown event {json.dumps(event, default=str)[:200]}: send "
                     f"{{\"action\": one of {list(ACTIONS)}}} or a budget notification via SNS",
        }
    LOG.info(json.dumps(result, default=str))
    return {"ok": True, **result}
