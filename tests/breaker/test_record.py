"""The record (breaker/record.py): read, written ahead of every change, within Parameter Store's
limits or the failure reaches a human (issue 12.4), and readable in part when partly corrupt.

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

import breaker.actions
import breaker.contract
import breaker.record
from breaker.actions import PartialTripError
from breaker.handler import handler
from breaker.record import RecordWriteError
from tests.support.breaker_events import PARAMETER, STANDARD_LIMIT, budget_event, resource_id

UNTOUCHED = {"web": 50, "voice": 50, "queue": 20}
TRIPPED = {"web": 10, "voice": 10, "queue": 4}

LONG_ERROR = "ConcurrentUpdateException: " + "the scalable target is being updated; " * 12


def fleet(account, count: int) -> None:
    for i in range(count):
        account.add(f"svc{i:02d}", 1, 50, 10)


def fail_every_register(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(aws: Any, resource: str, max_capacity: int) -> None:
        raise ClientError({"Error": {"Code": "ConcurrentUpdateException", "Message": LONG_ERROR}},
                          "RegisterScalableTarget")

    monkeypatch.setattr(breaker.actions, "set_max", refuse)


def test_thirty_services_with_long_errors_fit_a_standard_parameter(account, monkeypatch):
    fleet(account, 30)
    fail_every_register(monkeypatch)

    with pytest.raises(PartialTripError):
        handler(budget_event(), None)

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

    handler(budget_event(), None)

    size = len(account.raw_record().encode())
    print(f"record at 30 services, all applied: {size} bytes")
    assert size <= STANDARD_LIMIT
    assert set(account.originals().values()) == {50}
    handler({"action": "restore"}, None)
    assert set(account.maxima().values()) == {50}


def test_a_larger_estate_is_stored_as_an_advanced_parameter_rather_than_lost(account):
    fleet(account, 45)

    handler(budget_event(), None)

    size, tier = max(account.ssm_writes)  # the record's last write, not the lock's
    assert STANDARD_LIMIT < size <= 8192 and tier == "Intelligent-Tiering"
    assert len(account.record()["changes"]) == 45


def test_a_record_over_8_kb_is_reported_and_nothing_is_lowered(account, monkeypatch):
    fleet(account, 3)
    monkeypatch.setattr(breaker.contract, "SSM_ADVANCED_LIMIT", 600)
    monkeypatch.setattr(breaker.contract, "SSM_STANDARD_LIMIT", 500)

    with pytest.raises(RecordWriteError):
        handler(budget_event(), None)

    assert set(account.maxima().values()) == {50}  # no change without a record
    subject, message = account.notifications()[-1]
    assert "could not write its record" in subject and "nothing was lowered" in message


def test_a_refused_write_is_reported_never_silent(account, monkeypatch):
    fleet(account, 2)
    original = breaker.record.write_record

    def refuse(aws: Any, parameter: str, record: dict[str, Any]) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "too big"}},
                          "PutParameter")

    monkeypatch.setattr(breaker.record, "write_record", refuse)
    with pytest.raises(RecordWriteError):
        handler(budget_event(), None)
    monkeypatch.setattr(breaker.record, "write_record", original)

    assert "ValidationException: too big" in account.notifications()[-1][1]


# --- the record: missing, or partly unreadable -----------------------------------------------


def test_a_missing_record_means_nothing_is_tripped(estate):
    estate.ssm.delete_parameter(Name=PARAMETER)

    assert handler({"action": "status"}, None)["tripped"] is False
    restored = handler({"action": "restore"}, None)
    assert restored["ok"] and restored["restored"] == []
    tripped = handler(budget_event(), None)
    assert tripped["ok"] and estate.maxima() == TRIPPED
    assert estate.originals() == UNTOUCHED


def _corrupt(estate, *bad_entries: Any) -> None:
    good = {"service": "web", "resourceId": resource_id("web"),
            "originalMax": 50, "newMax": 10, "status": "applied"}
    estate.set_capacity("web", 1, 10)
    estate.ssm.put_parameter(
        Name=PARAMETER, Type="String", Overwrite=True,
        Value=json.dumps({"tripped": True, "changes": [*bad_entries, good]}))


BAD_ENTRIES = [
    {"service": "voice"},  # the old code: KeyError 'resourceId'
    {"service": "queue", "resourceId": "service/x/queue", "originalMax": "20", "newMax": 4},
    "garbage",
    None,
]


def test_a_trip_keeps_going_with_a_corrupt_entry_in_the_record_and_reports_it(estate):
    _corrupt(estate, *BAD_ENTRIES)

    result = handler(budget_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED
    assert estate.originals() == UNTOUCHED  # web kept its recorded original 50
    record = estate.record()
    assert len(record["unreadable"]) == len(BAD_ENTRIES)
    assert any("unreadable record entry" in m for m in result["messages"])
    assert "unreadable record entry" in estate.notifications()[-1][1]


def test_a_restore_puts_back_the_readable_entries_and_keeps_the_corrupt_ones(estate):
    _corrupt(estate, *BAD_ENTRIES)

    result = handler({"action": "restore"}, None)

    assert result["ok"] and [c["service"] for c in result["restored"]] == ["web"]
    assert estate.max("web") == 50
    record = estate.record()
    assert record["changes"] == [] and len(record["unreadable"]) == len(BAD_ENTRIES)
    assert sum("unreadable record entry" in m for m in result["messages"]) == len(BAD_ENTRIES)


def test_a_record_that_is_not_json_does_not_stop_a_trip(estate):
    estate.ssm.put_parameter(Name=PARAMETER, Type="String",
                             Overwrite=True, Value="{not json")

    result = handler(budget_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED
    assert estate.record()["unreadable"] == ["{not json"]
