"""The record: read and write the state parameter (SSM). Its text is the contract's
(breaker/contract.py: `parse_record`, `bounded_record`, RECORD_TIER).

Size. A Standard parameter holds at most 4 KB, an Advanced one 8 KB, and Advanced parameters are
charged per parameter per month (AWS Systems Manager User Guide, "Managing parameter tiers").
The record is stored compactly (one row per change under a "fields" header, no whitespace) and,
when it would not fit 4,096 bytes, shrunk in steps: error texts cut shorter, then dropped (they
stay in the alert message and the log). Writes send Tier "Intelligent-Tiering", with which
Parameter Store itself picks Advanced only for a value over 4 KB, so a very large estate costs an
Advanced parameter instead of a failed trip. Over 8 KB the write is not attempted; every failed
write is reported to the alert topic and raised, never dropped. The record is written before
any change (breaker/actions.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from breaker.alerts import heading, notify
from breaker.clients import AWS_ERRORS, Aws, error_code, error_text
from breaker.contract import (
    RECORD_TIER,
    RecordTooLargeError,
    bounded_record,
    empty_record,
    encode_record,
    parse_record,
    record_time,
)

# The problem read_record reports for a missing parameter; callers leave it out of reports.
MISSING = "does not exist"


class RecordWriteError(Exception):
    """The record could not be written; the alert topic has been told."""


def now() -> str:
    """The time stamps in the record and the lock's free marker (contract.record_time)."""
    return record_time(datetime.now(UTC))


def read_record(aws: Aws, parameter: str) -> tuple[dict[str, Any], list[str]]:
    """The record and its problems; a missing parameter means nothing is tripped."""
    try:
        value = aws.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) != "ParameterNotFound":
            raise
        return empty_record(), [f"record {parameter} {MISSING}: nothing is tripped"]
    return parse_record(value)


def write_record(aws: Aws, parameter: str, record: dict[str, Any]) -> None:
    aws.ssm.put_parameter(
        Name=parameter, Value=bounded_record(record), Type="String", Overwrite=True,
        Tier=RECORD_TIER,
    )


def write_or_report(
    aws: Aws, parameter: str, record: dict[str, Any], topic: str, label: str, what: str
) -> None:
    """Write the record; on failure tell the alert topic, then raise RecordWriteError."""
    try:
        write_record(aws, parameter, record)
    except (*AWS_ERRORS, RecordTooLargeError) as exc:
        text = str(exc) if isinstance(exc, RecordTooLargeError) else error_text(exc)
        notify(aws, topic, heading("Cost breaker could not write its record", label), [
            f"{what}: writing {parameter} failed: {text}",
            "The record as it should read:",
            encode_record(record),
        ])
        raise RecordWriteError(f"{what}: writing {parameter} failed: {text}") from exc
