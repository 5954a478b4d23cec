"""The record stays within Parameter Store's limits, or the failure reaches a human (issue 12.4).

A Standard parameter holds 4 KB, an Advanced one 8 KB ("Managing parameter tiers"); the
account fixture makes moto refuse larger values as Parameter Store does. The old record (one
JSON object per change, error texts in full) was 13.1 KB at 30 services whose calls all failed
with 227-character errors, and 6.0 KB with no errors at all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from breaker import handler as breaker
from tests.support.breaker_events import STANDARD_LIMIT, budget_event, resource_id

LONG_ERROR = "ConcurrentUpdateException: " + "the scalable target is being updated; " * 12


def fleet(account, count: int) -> None:
    for i in range(count):
        account.add(f"svc{i:02d}", 1, 50, 10)


def fail_every_register(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(aws: Any, resource: str, max_capacity: int) -> None:
        raise ClientError({"Error": {"Code": "ConcurrentUpdateException", "Message": LONG_ERROR}},
                          "RegisterScalableTarget")

    monkeypatch.setattr(breaker, "set_max", refuse)


def test_thirty_services_with_long_errors_fit_a_standard_parameter(account, monkeypatch):
    fleet(account, 30)
    fail_every_register(monkeypatch)

    with pytest.raises(breaker.PartialTripError):
        breaker.handler(budget_event(), None)

    size = len(account.raw_record().encode())
    print(f"record at 30 services, every call failed with a {len(LONG_ERROR)}-char error: "
          f"{size} bytes")
    assert size <= STANDARD_LIMIT
    record = account.record()
    assert len(record["changes"]) == 30
    assert {c["status"] for c in record["changes"]} == {"failed"}
    # The full texts are not lost: the alert message carries them.
    assert LONG_ERROR in account.notifications()[-1][1]


def test_thirty_applied_changes_fit_a_standard_parameter(account):
    fleet(account, 30)

    breaker.handler(budget_event(), None)

    size = len(account.raw_record().encode())
    print(f"record at 30 services, all applied: {size} bytes")
    assert size <= STANDARD_LIMIT
    assert set(account.originals().values()) == {50}
    breaker.handler({"action": "restore"}, None)
    assert set(account.maxima().values()) == {50}


def test_a_larger_estate_is_stored_as_an_advanced_parameter_rather_than_lost(account):
    fleet(account, 45)

    breaker.handler(budget_event(), None)

    size, tier = max(account.ssm_writes)  # the record's last write, not the lock's
    assert STANDARD_LIMIT < size <= 8192 and tier == "Intelligent-Tiering"
    assert len(account.record()["changes"]) == 45


def test_a_record_over_8_kb_is_reported_and_nothing_is_lowered(account, monkeypatch):
    fleet(account, 3)
    monkeypatch.setattr(breaker, "SSM_ADVANCED_LIMIT", 600)
    monkeypatch.setattr(breaker, "SSM_STANDARD_LIMIT", 500)

    with pytest.raises(breaker.RecordWriteError):
        breaker.handler(budget_event(), None)

    assert set(account.maxima().values()) == {50}  # no change without a record
    subject, message = account.notifications()[-1]
    assert "could not write its record" in subject and "nothing was lowered" in message


def test_a_refused_write_is_reported_never_silent(account, monkeypatch):
    fleet(account, 2)
    original = breaker.write_record

    def refuse(aws: Any, parameter: str, record: dict[str, Any]) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "too big"}},
                          "PutParameter")

    monkeypatch.setattr(breaker, "write_record", refuse)
    with pytest.raises(breaker.RecordWriteError):
        breaker.handler(budget_event(), None)
    monkeypatch.setattr(breaker, "write_record", original)

    assert "ValidationException: too big" in account.notifications()[-1][1]


def test_the_compact_record_reads_back_and_old_records_still_read():
    change = {"service": "web", "resourceId": resource_id("web"), "originalMax": 50,
              "newMax": 10, "status": "failed", "error": "X: y"}
    record = {"tripped": True, "changes": [change], "reason": "r"}
    assert breaker.parse_record(breaker.encode_record(record)) == (record, [])
    old = json.dumps({"tripped": True, "changes": [{**change, "fromMax": 50}]})
    assert breaker.parse_record(old)[0]["changes"] == [change]
