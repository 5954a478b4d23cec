"""What the breaker does: trip, restore, status.

Trip lowers each configured target's max to max(emergency ceiling, current min) when that is
below the current max; it never raises anything and never touches min or the running count
directly (Application Auto Scaling brings the desired count inside the new range itself).

The record is written BEFORE any change: every planned change is stored as "pending" with the
original and the new max, then marked "applied" or "failed" as each call returns. A crash
midway therefore leaves a record that names every target that may have been changed and its
original max; restore compares each target's current max with the recorded new max, so it is
correct whether a pending change was applied or not. A repeated trip keeps the original maxima
already recorded, so it never mistakes a lowered max for an original one.

Trip also suspends each target's scheduled scaling (RegisterScalableTarget
SuspendedState.ScheduledScalingSuspended true), so a working-hours `wake` action cannot put a
max back above the ceiling; the record lists the targets it suspended (schedulesSuspended), and
restore resumes exactly those (false).

Trip and restore run under the lock (breaker/lock.py) from before they read the record until
after its last write. A restore records when it took the lock (lastRestoredAt); a trip by a
notification first checks, on the record it has just read, that the notification is newer
(breaker/sources.py, `refuse_replay`), so a notification the restore has answered, delivered
again, is refused instead of lowering the maxima again.
"""

from __future__ import annotations

import json
import os
from typing import Any

from breaker.alerts import heading, notify
from breaker.clients import AWS_ERRORS, Aws, error_text
from breaker.contract import (
    ALERT_TOPIC_ENV,
    ENVIRONMENT_ENV,
    REASON_LIMIT,
    STATE_PARAMETER_ENV,
    empty_record,
    read_targets,
    required,
    restore_command,
)
from breaker.lock import locked
from breaker.record import MISSING, now, read_record, write_or_report
from breaker.sources import public_trigger, refuse_replay
from breaker.targets import (
    describe,
    scheduled_suspended,
    set_max,
    set_scheduled_scaling_suspended,
)


class PartialTripError(Exception):
    """Some targets could not be lowered; the record says exactly which ones were."""

    def __init__(self, result: dict[str, Any]):
        self.result = result
        super().__init__(json.dumps(result))


def _public(change: dict[str, Any]) -> dict[str, Any]:
    return {k: change[k] for k in ("service", "resourceId", "originalMax", "newMax", "status")
            if k in change} | ({"error": change["error"]} if "error" in change else {})


def _label() -> str:
    return os.environ.get(ENVIRONMENT_ENV, "")


# --- trip ------------------------------------------------------------------------------------


def trip(aws: Aws, trigger: dict[str, Any]) -> dict[str, Any]:
    targets = read_targets(os.environ)
    parameter = required(os.environ, STATE_PARAMETER_ENV)
    topic = required(os.environ, ALERT_TOPIC_ENV)
    with locked(aws, parameter):
        return _trip_locked(aws, trigger, targets, parameter, topic, _label())


def _plan(
    targets: list[dict[str, Any]], current: dict[str, dict[str, int]],
    recorded: dict[str, dict[str, Any]], report: list[str],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The changes to make (pending) and each one's current max; says why a target is left."""
    planned: list[dict[str, Any]] = []
    from_max: dict[str, int] = {}
    for target in targets:
        resource_id = target["resourceId"]
        name = target.get("service", resource_id)
        live = current.get(resource_id)
        if live is None:
            report.append(f"{name}: no scalable target {resource_id}; skipped")
            continue
        new_max = max(target["ceiling"], live["min"])
        if new_max >= live["max"]:
            report.append(
                f"{name}: max {live['max']} already at or below the emergency ceiling "
                f"{new_max}; left as it is"
            )
            continue
        previous = recorded.get(resource_id)
        # A target already in the record keeps its recorded original: its current max may
        # be one the breaker set, or one a later change put back above the ceiling.
        original = previous["originalMax"] if previous else live["max"]
        from_max[resource_id] = live["max"]
        planned.append({
            "service": name,
            "resourceId": resource_id,
            "originalMax": original,
            "newMax": new_max,
            "status": "pending",
        })
        if target["ceiling"] < live["min"]:
            report.append(
                f"{name}: min {live['min']} is above the emergency ceiling {target['ceiling']}; "
                f"max lowered only to the min"
            )
    return planned, from_max


def _trip_locked(
    aws: Aws, trigger: dict[str, Any], targets: list[dict[str, Any]], parameter: str,
    topic: str, label: str,
) -> dict[str, Any]:
    reason = str(trigger["reason"])[:REASON_LIMIT]
    record, problems = read_record(aws, parameter)
    # Raises EventRefused for a replay; the lock is released on the way out.
    problems = problems + refuse_replay(trigger, record)
    recorded = {c["resourceId"]: c for c in record["changes"]}
    current = describe(aws, [t["resourceId"] for t in targets])

    report: list[str] = [p for p in problems if MISSING not in p]
    planned, from_max = _plan(targets, current, recorded, report)
    states = scheduled_suspended(aws, [t["resourceId"] for t in targets])
    # By service key, not resource id: the record must fit a Standard parameter.
    already = {str(s) for s in record.get("schedulesSuspended") or []}
    to_suspend = [t for t in targets if t["resourceId"] in states
                  and not states[t["resourceId"]]["ScheduledScalingSuspended"]
                  and _key(t) not in already]

    if not planned and not to_suspend:
        summary = "nothing to lower: every target is at or below its emergency ceiling"
        if problems and record.get("unreadable"):
            notify(aws, topic, heading("Cost breaker record has unreadable entries", label),
                   [*report, summary])
        return {"action": "trip", "tripped": bool(record.get("tripped")), "changed": [],
                "failed": [], "trigger": public_trigger(trigger),
                "messages": report + [summary]}

    # Write ahead: the record names every change before the first one is made.
    by_id = {c["resourceId"]: c for c in record["changes"]}
    for change in planned:
        by_id[change["resourceId"]] = change
    record["changes"] = list(by_id.values())
    stamp = {**public_trigger(trigger), "at": now()}
    if not record.get("tripped"):
        record["trippedAt"] = stamp["at"]
        record["trippedBy"] = stamp
    record["lastTrigger"] = stamp
    record["tripped"] = True
    record["reason"] = reason
    # Written ahead too: a restore resumes what the record names, suspended or not yet.
    record["schedulesSuspended"] = sorted(already | {_key(t) for t in to_suspend})
    write_or_report(aws, parameter, record, topic, label, "trip: nothing was lowered")

    changed: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for change in planned:
        try:
            set_max(aws, change["resourceId"], change["newMax"])
        except AWS_ERRORS as exc:
            # Go on with the others: every target lowered is money not spent.
            change["status"] = "failed"
            change["error"] = error_text(exc)
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
    for target in to_suspend:
        name = target.get("service", target["resourceId"])
        try:
            set_scheduled_scaling_suspended(
                aws, target["resourceId"], states[target["resourceId"]], True)
        except AWS_ERRORS as exc:
            failed.append({"service": name, "resourceId": target["resourceId"],
                           "status": "failed", "error": error_text(exc)})
            report.append(f"{name}: FAILED to suspend scheduled scaling: {error_text(exc)}")
            continue
        report.append(f"{name}: scheduled scaling suspended (no schedule can raise it)")
    # Failed entries stay, marked: restore compares the live max with newMax, so an entry
    # whose call did not take effect is recognised and left alone.
    write_or_report(aws, parameter, record, topic, label,
                    "trip: the maxima were lowered but the record still says pending")

    subject = heading("Cost breaker TRIPPED", label)
    if failed:
        subject += f": {len(failed)} target(s) could not be lowered"
    restore_hint = "Restore with: " + restore_command(
        os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "<function>"))
    notified = notify(aws, topic, subject, [
        f"Tripped by: {trigger['source']} ({trigger['name']})", f"Reason: {reason}", *report,
        "", restore_hint,
    ])
    result = {
        "action": "trip",
        "tripped": record["tripped"],
        "trigger": public_trigger(trigger),
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


# --- restore ---------------------------------------------------------------------------------


def restore(aws: Aws) -> dict[str, Any]:
    parameter = required(os.environ, STATE_PARAMETER_ENV)
    topic = required(os.environ, ALERT_TOPIC_ENV)
    with locked(aws, parameter):
        return _restore_locked(aws, parameter, topic, _label())


def _restore_locked(aws: Aws, parameter: str, topic: str, label: str) -> dict[str, Any]:
    # From this moment on, a notification is answered by this restore or newer than it.
    started = now()
    record, problems = read_record(aws, parameter)
    report: list[str] = [p for p in problems if MISSING not in p]
    if not record.get("tripped") and not record["changes"]:
        return {"action": "restore", "tripped": False, "restored": [], "left": [], "failed": [],
                "messages": report + ["the breaker is not tripped: nothing to restore"]}

    current = describe(aws, [c["resourceId"] for c in record["changes"]])
    restored: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    remaining: list[dict[str, Any]] = []
    for change in record["changes"]:
        name = change.get("service", change["resourceId"])
        live = current.get(change["resourceId"])
        if live is None:
            report.append(f"{name}: scalable target no longer exists; nothing to restore")
            continue
        if live["max"] == change["originalMax"]:
            report.append(f"{name}: max already {live['max']}, the original")
            continue
        if live["max"] != change["newMax"]:
            left.append(change)
            report.append(
                f"{name}: max is {live['max']}, not the {change['newMax']} the breaker set: "
                f"changed since by someone else; left as it is (original was "
                f"{change['originalMax']})"
            )
            continue
        try:
            set_max(aws, change["resourceId"], change["originalMax"])
        except AWS_ERRORS as exc:
            remaining.append(change)
            report.append(f"{name}: FAILED to restore max {change['originalMax']}: "
                          f"{error_text(exc)}")
            continue
        restored.append(change)
        report.append(f"{name}: max {live['max']} -> {change['originalMax']} (restored)")

    unresumed = _resume_schedules(aws, record, report)
    kept = {k: record[k] for k in ("unreadable",) if record.get(k)}
    if remaining or unresumed:
        record = {**record, "changes": remaining, "schedulesSuspended": unresumed}
    else:
        record = {**empty_record(), **kept}
    record["lastRestoredAt"] = started
    write_or_report(aws, parameter, record, topic, label,
                    "restore: the maxima were put back but the record still lists them")
    subject = heading("Cost breaker restored", label)
    if remaining:
        subject += f": {len(remaining)} target(s) still lowered, run restore again"
    notified = notify(aws, topic, subject, report)
    return {
        "action": "restore",
        "tripped": bool(remaining or unresumed),
        "restored": [_public(c) for c in restored],
        "left": [_public(c) for c in left],
        "failed": [_public(c) for c in remaining],
        "notified": notified,
        "messages": report,
    }


def _key(target: dict[str, Any]) -> str:
    return str(target.get("service", target["resourceId"]))


def _resume_schedules(aws: Aws, record: dict[str, Any], report: list[str]) -> list[str]:
    """Resume scheduled scaling on the targets the trip suspended; the keys left suspended."""
    suspended = [str(r) for r in record.get("schedulesSuspended") or []]
    if not suspended:
        return []
    ids = {_key(t): t["resourceId"] for t in read_targets(os.environ)}
    states = scheduled_suspended(aws, [ids[k] for k in suspended if k in ids])
    left: list[str] = []
    for key in suspended:
        resource_id = ids.get(key, key)
        if resource_id not in states:
            report.append(f"{key}: no scalable target {resource_id}; no schedule to resume")
            continue
        try:
            set_scheduled_scaling_suspended(aws, resource_id, states[resource_id], False)
        except AWS_ERRORS as exc:
            left.append(key)
            report.append(f"{key}: FAILED to resume scheduled scaling: {error_text(exc)}")
            continue
        report.append(f"{key}: scheduled scaling resumed")
    return left


# --- status ----------------------------------------------------------------------------------


def status(aws: Aws) -> dict[str, Any]:
    targets = read_targets(os.environ)
    record, problems = read_record(aws, required(os.environ, STATE_PARAMETER_ENV))
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
