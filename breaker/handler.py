"""The CostBreaker function's entry point (Lambda handler `breaker.handler.handler`).

Invocations:
- an SNS record on the breaker topic carrying either an AWS Budgets notification for the
  stack's budget, or a CloudWatch alarm notification of one of the stack's trip alarms whose
  NewStateValue is "ALARM", newer than the last restore: trip (breaker/sources.py). Any other
  SNS message is refused and reported to the alert topic, so a format change or a forged or
  replayed notification is never silent; it never trips;
- {"action": "trip"} (optionally with a "reason"): trip by hand;
- {"action": "restore"}: put back every maximum the breaker lowered;
- {"action": "status"}: report the record and each target's current min/max.

What each action does is in breaker/actions.py; the environment it reads, in
breaker/contract.py.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from breaker.actions import restore, status, trip
from breaker.alerts import heading, notify
from breaker.clients import Aws
from breaker.contract import ACTIONS, ALERT_TOPIC_ENV, ENVIRONMENT_ENV, REASON_LIMIT
from breaker.lock import BreakerBusyError
from breaker.sources import EventRefused, manual_trigger, one_line, sns_trigger

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def _refuse_sns(aws: Aws, event: dict[str, Any], refused: EventRefused) -> dict[str, Any]:
    """A message on the breaker's topic that does not trip it: say so, loudly if unexpected."""
    result = {"ok": False, "tripped": None, "error": f"not tripped: {refused}"}
    LOG.warning(json.dumps(result))
    topic = os.environ.get(ALERT_TOPIC_ENV)
    if topic and not refused.quiet:
        label = os.environ.get(ENVIRONMENT_ENV, "")
        result["notified"] = notify(aws, topic, heading("Cost breaker ignored a message", label), [
            f"The breaker's topic delivered a message that does not trip it: {refused}.",
            refused.hint,
            json.dumps(event, default=str)[:4000],
        ])
    return result


def handler(event: Any, context: Any) -> dict[str, Any]:
    aws = Aws()
    if isinstance(event, dict) and "Records" in event:
        if not isinstance(event["Records"], list) or not event["Records"]:
            return _refuse_sns(aws, event, EventRefused("Records is not a non-empty list"))
        try:
            # A held lock raises BreakerBusyError: Lambda retries the asynchronous invocation.
            # A replay is refused by trip itself, under the lock (EventRefused).
            result = trip(aws, sns_trigger(event))
        except EventRefused as refused:
            return _refuse_sns(aws, event, refused)
    elif isinstance(event, dict) and event.get("action") in ACTIONS:
        action = event["action"]
        try:
            if action == "trip":
                reason = event.get("reason")
                result = trip(aws, manual_trigger(
                    one_line(reason, REASON_LIMIT) if isinstance(reason, str) and reason.strip()
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
