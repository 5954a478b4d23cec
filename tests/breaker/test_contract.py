"""The contract between the breaker's component and its function (breaker/contract.py): each
side's writing is read back by the other, and the module stays importable without boto3."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path

import pytest

from breaker import contract
from breaker.contract import (
    ACCOUNT_ID_ENV,
    ENV_NAMES,
    LOCK_TTL_ENV,
    TARGETS_ENV,
    TRIP_ALARM_ARNS_ENV,
    BreakerConfigError,
    RecordTooLargeError,
    bounded_record,
    encode_record,
    function_environment,
    lock_parameter,
    lock_parameter_name,
    parse_alarm_arn,
    parse_record,
    parse_time,
    read_account_id,
    read_targets,
    read_trip_alarm_arns,
    record_time,
    seconds,
    target_entry,
)
from tests.support.breaker_events import STANDARD_LIMIT, resource_id

PACKAGE = Path(contract.__file__).parent
ACCOUNT = "108782097218"
ALARMS = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:"
FIRST_PARTY = {"breaker", "components", "policies", "stack_model", "z360_ecs"}


def imported_modules(path: Path) -> set[str]:
    """Absolute module names `path` imports (`from x import y` counts as x and x.y)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, not a submodule
        return False


def environment() -> dict[str, object]:
    return function_environment(
        targets_json=json.dumps([target_entry("web", resource_id("web"), 10)]),
        state_parameter="/z360/beta/cost-breaker/state",
        lock_parameter="/z360/beta/cost-breaker/lock",
        account_id=ACCOUNT,
        budget_name="z360-monthly-spending-alert",
        trip_alarm_arns=[f"{ALARMS}z360-beta-burn-rate-trip-2",
                         f"{ALARMS}z360-beta-burn-rate-trip-1"],
        topic_arn="arn:aws:sns:us-east-1:108782097218:z360-beta-cost-breaker",
        alert_topic_arn="arn:aws:sns:us-east-1:108782097218:z360-beta-alerts",
        environment="beta",
    )


# --- what the module may import ------------------------------------------------------------


def test_the_contract_imports_only_the_standard_library():
    roots = {name.split(".")[0] for name in imported_modules(PACKAGE / "contract.py")}
    assert roots - {"__future__"} <= set(sys.stdlib_module_names), roots


def test_the_function_imports_from_outside_its_package_only_the_listed_facts():
    # The archive holds this package and IMPORTED_FACTS (components/cost_breaker.py): a
    # first-party import outside them would fail in Lambda, never here.
    outside: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for name in imported_modules(path):
            root = name.split(".")[0]
            assert root in FIRST_PARTY | {"boto3", "botocore", "__future__"} \
                or root in sys.stdlib_module_names, f"{path.name} imports {name}"
            if root in FIRST_PARTY and root != "breaker":
                outside.add(name)
    modules = {name for name in outside if is_module(name)}
    assert modules == set(contract.IMPORTED_FACTS)


def test_the_handler_setting_names_the_entry_point():
    module, function = contract.HANDLER.rsplit(".", 1)
    entry = getattr(importlib.import_module(module), function)
    assert list(inspect.signature(entry).parameters) == ["event", "context"]


# --- the environment -----------------------------------------------------------------------


def test_the_component_sets_every_variable_but_the_lock_wait():
    assert len(set(ENV_NAMES)) == 11
    assert set(environment()) == set(ENV_NAMES) - {contract.LOCK_WAIT_ENV}


def test_what_the_component_writes_the_function_reads():
    written = {key: str(value) for key, value in environment().items()}

    assert read_targets(written) == [
        {"service": "web", "resourceId": resource_id("web"), "ceiling": 10}]
    assert read_account_id(written) == ACCOUNT
    assert read_trip_alarm_arns(written) == [
        f"{ALARMS}z360-beta-burn-rate-trip-1", f"{ALARMS}z360-beta-burn-rate-trip-2"]
    assert seconds(written, LOCK_TTL_ENV, 0) == contract.LOCK_TTL_SECONDS
    assert lock_parameter(written, "/elsewhere/state") == "/z360/beta/cost-breaker/lock"


def test_a_claim_outlives_the_function_so_only_a_dead_holders_expires():
    assert contract.LOCK_TTL_SECONDS > contract.FUNCTION_TIMEOUT_SECONDS


@pytest.mark.parametrize("raw, problem", [
    (None, "BREAKER_TARGETS is not set"),
    ("[{", "BREAKER_TARGETS is not JSON"),
    ('{"web": 10}', "must be a JSON list"),
    ('[{"resourceId": "service/x/y"}]', "needs resourceId (str) and ceiling"),
    ('[{"resourceId": "service/x/y", "ceiling": -1}]', "ceiling (int >= 0)"),
    ('[{"resourceId": 5, "ceiling": 1}]', "needs resourceId (str)"),
])
def test_a_malformed_targets_setting_is_a_clear_error(raw, problem):
    with pytest.raises(BreakerConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        read_targets({} if raw is None else {TARGETS_ENV: raw})


@pytest.mark.parametrize("raw, problem", [
    ('"z360-beta-burn-rate-trip"', "JSON list of alarm ARNs"),
    ("[1]", "JSON list of alarm ARNs"),
    ("not json", "JSON list of alarm ARNs"),
    ('["z360-beta-burn-rate-trip"]', "is not a CloudWatch alarm ARN"),
    ('["arn:aws:sns:us-east-1:108782097218:alarm:x"]', "is not a CloudWatch alarm ARN"),
    ('["arn:aws:cloudwatch:us-east-1:210987654321:alarm:x"]', "not an alarm of account"),
])
def test_a_malformed_trip_alarms_setting_is_a_clear_error(raw, problem):
    with pytest.raises(BreakerConfigError, match=TRIP_ALARM_ARNS_ENV) as error:
        read_trip_alarm_arns({TRIP_ALARM_ARNS_ENV: raw, ACCOUNT_ID_ENV: ACCOUNT})
    assert problem in str(error.value)


@pytest.mark.parametrize("raw", ["10878209721", "1087820972180", "abcdefghijkl", " 108782097218"])
def test_an_account_id_that_is_not_12_digits_is_a_clear_error(raw):
    with pytest.raises(BreakerConfigError, match=ACCOUNT_ID_ENV):
        read_account_id({ACCOUNT_ID_ENV: raw})


def test_an_alarm_arn_reads_as_partition_region_account_and_name():
    parsed = parse_alarm_arn(f"{ALARMS}z360-beta-burn-rate-trip")
    assert parsed == ("aws", "us-east-1", ACCOUNT, "z360-beta-burn-rate-trip")
    assert parse_alarm_arn("arn:aws:cloudwatch:us-east-1:108782097218:alarm:") is None
    assert parse_alarm_arn("arn:aws:cloudwatch:us-east-1:1087820972:alarm:x") is None


@pytest.mark.parametrize("text", [
    "2026-03-03T17:43:27.123Z", "2026-03-03T17:43:27.123+0000", "2026-03-03T18:43:27.123+01:00"])
def test_the_times_aws_stamps_read_as_the_same_utc_moment(text):
    moment = parse_time(text)
    assert moment is not None and record_time(moment) == "2026-03-03T17:43:27.123+00:00"


@pytest.mark.parametrize("text", [
    None, 5, "", "soon", "2026-03-03T17:43:27.123", "2026-03-03", "2026-02-30T00:00:00Z",
    "2026-03-03T17:43:27.123Z" + " " * 60])
def test_a_time_without_its_offset_or_garbled_reads_as_none(text):
    assert parse_time(text) is None


@pytest.mark.parametrize("raw", ["soon", "-1", "3600"])
def test_a_lock_time_outside_0_to_3600_seconds_is_a_clear_error(raw):
    with pytest.raises(BreakerConfigError, match=LOCK_TTL_ENV):
        seconds({LOCK_TTL_ENV: raw}, LOCK_TTL_ENV, 1)


def test_without_a_lock_setting_the_lock_sits_beside_the_record():
    assert lock_parameter_name("/z360/beta/cost-breaker/state") == "/z360/beta/cost-breaker/lock"
    assert lock_parameter({}, "/z360/beta/cost-breaker/state") == "/z360/beta/cost-breaker/lock"


# --- the record ----------------------------------------------------------------------------


def test_the_record_the_component_creates_reads_as_the_empty_record():
    assert parse_record(contract.EMPTY_RECORD_VALUE) == ({"tripped": False, "changes": []}, [])


def test_the_compact_record_reads_back_and_old_records_still_read():
    change = {"service": "web", "resourceId": resource_id("web"), "originalMax": 50,
              "newMax": 10, "status": "failed", "error": "X: y"}
    record = {"tripped": True, "changes": [change], "reason": "r"}
    assert parse_record(encode_record(record)) == (record, [])
    old = json.dumps({"tripped": True, "changes": [{**change, "fromMax": 50}]})
    assert parse_record(old)[0]["changes"] == [change]


def _failed_changes(count: int, error: str) -> dict[str, object]:
    return {"tripped": True, "changes": [
        {"service": f"svc{i:02d}", "resourceId": resource_id(f"svc{i:02d}"), "originalMax": 50,
         "newMax": 10, "status": "failed", "error": error} for i in range(count)]}


def test_a_record_over_4_kb_loses_its_error_texts_step_by_step():
    record = _failed_changes(20, "E: " + "x" * 300)

    kept = parse_record(bounded_record(record))[0]["changes"]

    assert len(bounded_record(record).encode()) <= STANDARD_LIMIT
    assert {len(c.get("error", "")) for c in kept} in ({160}, {60}, {0})
    assert len(encode_record(record).encode()) > STANDARD_LIMIT  # the shrinking was needed


def test_a_record_over_8_kb_is_refused_before_any_write():
    with pytest.raises(RecordTooLargeError, match="over the 8 KB"):
        bounded_record(_failed_changes(120, ""))


# --- what an operator runs -----------------------------------------------------------------


def test_the_restore_command_invokes_the_function_with_the_restore_action():
    assert contract.restore_command("z360-beta-cost-breaker") == (
        "aws lambda invoke --function-name z360-beta-cost-breaker "
        "--payload '{\"action\":\"restore\"}' --cli-binary-format raw-in-base64-out out.json")
    assert "restore" in contract.ACTIONS
