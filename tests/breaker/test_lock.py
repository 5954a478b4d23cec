"""The lock (breaker/lock.py): trip and restore serialise on the lock parameter, not on
reserved concurrency (issue 12.5).

Each interleaving is forced inside the handler: one invocation runs in a thread and is held at
a chosen call while a second one starts; the first is let go only once the second has been
refused the lock (or, on code without the lock, has finished), so the second has demonstrably
tried to enter while the first was inside. Afterwards no original maximum is lost and a restore
brings every one back. On the code without the lock the second invocation runs straight
through the first one's critical section and the order of record accesses shows it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from hypothesis import HealthCheck, given, settings

import breaker.actions
import breaker.handler
import breaker.lock
import breaker.record
from bench.hostile_input import BreakerCase, breaker_account, lock_race, run_breaker_case
from breaker.clients import Aws
from breaker.contract import LOCK_TTL_SECONDS
from breaker.handler import handler
from breaker.lock import Lock, locked
from tests.support.breaker_events import (
    LOCK,
    PARAMETER,
    budget_event,
    invoke,
    sns_time,
    stamp,
)

ORIGINAL = {"web": 50, "voice": 50, "queue": 20}
TRIPPED = {"web": 10, "voice": 10, "queue": 4}


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A waiting claimant retries every 0.5 s in Lambda; here it retries at once after a release.
    monkeypatch.setattr(breaker.lock, "LOCK_POLL_SECONDS", 0.01)
    monkeypatch.setattr(breaker.lock, "RELEASE_RETRY_SECONDS", 0.0, raising=False)
    yield


class Run(threading.Thread):
    def __init__(self, name: str, event: Any) -> None:
        super().__init__(name=name, daemon=True)
        self.event, self.result, self.error = event, None, None

    def run(self) -> None:
        try:
            self.result = handler(self.event, None)
        except Exception as exc:  # reported by the test
            self.error = exc


def hold(monkeypatch: pytest.MonkeyPatch, thread: str, module: ModuleType, function: str,
         call: int) -> tuple[threading.Event, threading.Event]:
    """Stop `thread` at its `call`-th call of `function`, looked up in `module`, until released."""
    reached, release = threading.Event(), threading.Event()
    original: Callable[..., Any] = getattr(module, function)
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == thread:
            calls["n"] += 1
            if calls["n"] == call:
                reached.set()
                release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, function, wrapper)
    return reached, release


def journal(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(thread, "read" | "write") for every record access, in order: the actions read the
    record, and write it through breaker.record.write_or_report."""
    entries: list[tuple[str, str]] = []
    for module, function, label in ((breaker.actions, "read_record", "read"),
                                    (breaker.record, "write_record", "write")):
        original: Callable[..., Any] = getattr(module, function)

        def wrapper(*args: Any, _original: Callable[..., Any] = original, _label: str = label,
                    **kwargs: Any) -> Any:
            entries.append((threading.current_thread().name, _label))
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, function, wrapper)
    return entries


def refused(monkeypatch: pytest.MonkeyPatch, thread: str) -> threading.Event:
    """Set when `thread` tries to take the lock and finds it held."""
    event = threading.Event()
    original: Callable[..., bool] = Lock.try_acquire

    def try_acquire(self: Lock) -> bool:
        taken = original(self)
        if not taken and threading.current_thread().name == thread:
            event.set()
        return taken

    monkeypatch.setattr(Lock, "try_acquire", try_acquire)
    return event


def interleave(monkeypatch: pytest.MonkeyPatch, first: Run, reached: threading.Event,
               release: threading.Event, second: Run) -> None:
    waiting = refused(monkeypatch, second.name)
    first.start()
    assert reached.wait(20), "the first invocation never reached the chosen call"
    second.start()
    # Hold the first until the second is refused the lock, or has run to its end without it.
    deadline = time.monotonic() + 20
    while not waiting.wait(0.005) and second.is_alive():
        assert time.monotonic() < deadline, "the second invocation neither waited nor ended"
    release.set()
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert first.error is None, first.error
    assert second.error is None, second.error


def test_two_trips_never_overlap_and_no_original_is_lost(estate, monkeypatch):
    entries = journal(monkeypatch)
    reached, release = hold(monkeypatch, "A", breaker.actions, "set_max", 1)  # after A's write-ahead

    interleave(monkeypatch, Run("A", budget_event()), reached, release,
               Run("B", {"action": "trip"}))

    accesses = [thread for thread, _ in entries]
    assert accesses == ["A", "A", "A", "B"], entries  # B read only after A's last write
    assert estate.maxima() == TRIPPED
    assert estate.originals() == ORIGINAL
    invoke("restore")
    assert estate.maxima() == ORIGINAL


def test_a_trip_during_a_restore_waits_and_its_maxima_can_be_restored(estate, monkeypatch):
    invoke("trip")
    entries = journal(monkeypatch)
    # The restore has put every max back and is about to clear the record.
    reached, release = hold(monkeypatch, "restore", breaker.record, "write_record", 1)

    # Sent while the restore is under way, so after it began: a new notification, not a replay.
    sent = sns_time(stamp(offset=timedelta(minutes=1)))
    interleave(monkeypatch, Run("restore", {"action": "restore"}), reached, release,
               Run("trip", budget_event(timestamp=sent)))

    assert [thread for thread, _ in entries] == ["restore", "restore", "trip", "trip", "trip"]
    # The trip came after the restore: tripped again, with the true originals recorded.
    assert estate.maxima() == TRIPPED
    assert estate.originals() == ORIGINAL
    invoke("restore")
    assert estate.maxima() == ORIGINAL
    assert estate.record()["changes"] == []


def test_a_restore_during_a_trip_waits_and_then_brings_every_max_back(estate, monkeypatch):
    reached, release = hold(monkeypatch, "trip", breaker.actions, "set_max", 2)  # web lowered, voice next

    interleave(monkeypatch, Run("trip", budget_event()), reached, release,
               Run("restore", {"action": "restore"}))

    assert estate.maxima() == ORIGINAL
    assert estate.record()["changes"] == [] and estate.record()["tripped"] is False


# --- the lock itself ---------------------------------------------------------------------------


def lock_value(estate) -> dict[str, Any]:
    return json.loads(estate.ssm.get_parameter(Name=LOCK)["Parameter"]["Value"])


def claim(estate, expires_in: float) -> None:
    estate.ssm.put_parameter(Name=LOCK, Type="String", Overwrite=True, Value=json.dumps(
        {"owner": "someone-else", "expiresAt": time.time() + expires_in}))


def test_the_lock_is_free_again_after_a_trip_and_after_a_failed_one(estate, monkeypatch):
    invoke("trip")
    assert lock_value(estate).get("free") is True

    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("crash")

    monkeypatch.setattr(breaker.actions, "describe", boom)
    with pytest.raises(RuntimeError):
        invoke("restore")
    assert lock_value(estate).get("free") is True


def test_a_stale_lock_is_taken_over(estate):
    claim(estate, expires_in=-1)  # its holder died: Lambda stopped it at its timeout

    result = handler(budget_event(), None)

    assert result["ok"] and estate.maxima() == TRIPPED


def test_a_missing_lock_parameter_is_created_by_the_first_claimant(estate):
    estate.ssm.delete_parameter(Name=LOCK)

    assert invoke("trip")["ok"]
    assert lock_value(estate).get("free") is True


def test_of_two_claimants_of_a_free_lock_only_one_holds_it(estate):
    aws = Aws()
    first = Lock(aws, LOCK, ttl=60, wait=0)
    second = Lock(aws, LOCK, ttl=60, wait=0)
    read = aws.ssm.get_parameter

    def read_then_lose_the_race(**kwargs: Any) -> Any:
        answer = read(**kwargs)
        aws.ssm.get_parameter = read  # only once
        assert second.try_acquire()  # lands between first's read and first's write
        return answer

    aws.ssm.get_parameter = read_then_lose_the_race
    assert first.try_acquire() is False
    assert lock_value(estate)["owner"] in (first.token, second.token)


def test_without_a_lock_setting_the_lock_is_the_parameter_beside_the_record(bare_estate):
    assert "BREAKER_LOCK_PARAMETER" not in os.environ

    assert invoke("trip")["ok"]

    assert lock_value(bare_estate).get("free") is True  # created by the claim, then released


@pytest.mark.parametrize("setting, ttl", [("100", 100), (None, LOCK_TTL_SECONDS)])
def test_a_claim_expires_after_the_configured_ttl_or_the_contracts(
    account, monkeypatch, setting, ttl
):
    if setting is None:
        monkeypatch.delenv("BREAKER_LOCK_TTL_SECONDS", raising=False)
    else:
        monkeypatch.setenv("BREAKER_LOCK_TTL_SECONDS", setting)

    with locked(Aws(), PARAMETER):
        claim = lock_value(account)

    assert ttl - 5 < claim["expiresAt"] - time.time() <= ttl
    assert lock_value(account).get("free") is True


def test_of_two_claimants_the_loser_leaves_no_claim_once_the_winner_releases(estate):
    aws = Aws()
    first = Lock(aws, LOCK, ttl=60, wait=0)
    second = Lock(aws, LOCK, ttl=60, wait=0)
    read = aws.ssm.get_parameter

    def read_then_lose_the_race(**kwargs: Any) -> Any:
        answer = read(**kwargs)
        aws.ssm.get_parameter = read
        assert second.try_acquire()  # lands between first's read and first's write
        return answer

    aws.ssm.get_parameter = read_then_lose_the_race
    assert first.try_acquire() is False  # its claim now lies over second's
    second.release()

    assert lock_value(estate).get("free") is True
    assert Lock(Aws(), LOCK, ttl=60, wait=0).try_acquire()


# --- races and concurrent writers: a loser never strands a claim (issue 22) --------------------


def lock_writes(monkeypatch: pytest.MonkeyPatch,
                wrap: Callable[[Callable[..., Any], dict[str, Any]], Any]) -> None:
    """Send every PutParameter the handler makes on the lock through wrap(original, kwargs)."""

    class Wrapped(Aws):
        def __init__(self) -> None:
            super().__init__()
            original = self.ssm.put_parameter

            def put_parameter(**kwargs: Any) -> Any:
                return wrap(original, kwargs) if kwargs.get("Name") == LOCK else \
                    original(**kwargs)

            self.ssm.put_parameter = put_parameter

    monkeypatch.setattr(breaker.handler, "Aws", Wrapped)


def too_many_updates() -> ClientError:
    # The SSM API model's text for TooManyUpdates, an error of PutParameter.
    return ClientError({"Error": {"Code": "TooManyUpdates", "Message": "There are concurrent "
                        "updates for a resource that supports one update at a time."}},
                       "PutParameter")


def is_claim(kwargs: dict[str, Any]) -> bool:
    return '"owner"' in str(kwargs.get("Value"))


@pytest.mark.parametrize("loser_lands", ["before", "after"])
def test_after_two_claimants_race_for_a_free_lock_a_restore_is_not_refused_as_busy(
    estate, monkeypatch, loser_lands
):
    """Both read the free lock before either writes; the loser's claim lands over the winner's
    (before the winner releases) or over the winner's free marker (after)."""
    both_read = threading.Barrier(2, timeout=20)
    first_landed, second_landed, first_released = (threading.Event() for _ in range(3))
    racing = {"first", "second"}

    def wrap(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        thread = threading.current_thread().name
        if is_claim(kwargs) and thread in racing:
            racing.discard(thread)
            both_read.wait()
            if thread == "second":
                (first_landed if loser_lands == "before" else first_released).wait(20)
            answer = original(**kwargs)
            (first_landed if thread == "first" else second_landed).set()
            return answer
        if thread == "first" and not is_claim(kwargs):
            if loser_lands == "before":
                second_landed.wait(20)  # the winner releases with the loser's claim on top
            answer = original(**kwargs)
            first_released.set()
            return answer
        return original(**kwargs)

    lock_writes(monkeypatch, wrap)
    runs = [Run("first", budget_event()), Run("second", {"action": "trip"})]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert [(r.error, r.result["ok"]) for r in runs] == [(None, True), (None, True)], \
        [r.result for r in runs]

    monkeypatch.setenv("BREAKER_LOCK_WAIT_SECONDS", "0")
    result = invoke("restore")
    assert result["ok"], result
    assert estate.maxima() == ORIGINAL
    assert lock_value(estate).get("free") is True


def test_too_many_updates_on_a_claim_is_a_lost_race_not_a_failed_invocation(estate, monkeypatch):
    refused: list[str] = []

    def wrap(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if is_claim(kwargs) and not refused:
            refused.append(kwargs["Value"])
            raise too_many_updates()  # botocore does not retry it: the caller sees it
        return original(**kwargs)

    lock_writes(monkeypatch, wrap)
    result = invoke("trip")

    assert refused and result["ok"], result
    assert estate.maxima() == TRIPPED
    assert lock_value(estate).get("free") is True


def test_too_many_updates_creating_a_missing_lock_is_a_lost_race(estate, monkeypatch):
    estate.ssm.delete_parameter(Name=LOCK)
    refused: list[bool] = []

    def wrap(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if kwargs.get("Overwrite") is False and not refused:
            refused.append(True)
            raise too_many_updates()
        return original(**kwargs)

    lock_writes(monkeypatch, wrap)

    assert invoke("trip")["ok"] and refused
    assert lock_value(estate).get("free") is True


def test_too_many_updates_on_release_is_retried_so_the_claim_is_not_left_behind(
    estate, monkeypatch
):
    refused: list[bool] = []

    def wrap(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if not is_claim(kwargs) and len(refused) < 2:
            refused.append(True)
            raise too_many_updates()
        return original(**kwargs)

    lock_writes(monkeypatch, wrap)
    assert invoke("trip")["ok"]

    assert refused == [True, True]
    assert lock_value(estate).get("free") is True
    monkeypatch.setenv("BREAKER_LOCK_WAIT_SECONDS", "0")
    assert invoke("restore")["ok"]


def test_a_claim_whose_answer_is_lost_is_found_held_and_released(estate, monkeypatch):
    lost: list[bool] = []

    def wrap(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        if is_claim(kwargs) and not lost:
            lost.append(True)
            original(**kwargs)  # it lands; the answer does not come back
            raise ReadTimeoutError(endpoint_url="https://ssm.us-east-1.amazonaws.com/")
        return original(**kwargs)

    lock_writes(monkeypatch, wrap)
    result = invoke("trip")

    assert lost and result["ok"], result
    assert estate.maxima() == TRIPPED
    assert lock_value(estate).get("free") is True


def test_a_holder_whose_claim_ran_out_leaves_the_lock_to_whoever_took_it(estate):
    aws = Aws()
    # A claim that has already run out: only a holder that outlived its timeout gets here.
    holder = Lock(aws, LOCK, ttl=-1, wait=0)
    assert holder.try_acquire()
    successor = Lock(aws, LOCK, ttl=60, wait=0)
    assert successor.try_acquire()

    holder.release()

    assert lock_value(estate)["owner"] == successor.token


def test_every_generated_race_has_one_holder_at_most_and_leaves_no_claim_behind():
    # bench/hostile_input.py runs the same generator at scale.
    with breaker_account() as account:

        @settings(max_examples=30, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(lock_race())
        def handled(case: BreakerCase) -> None:
            assert run_breaker_case(case, account) == "refused clearly", case

        handled()
