"""The lock that serialises trip and restore, without reserved concurrency.

Trip and restore take the lock before they read the record and release it after the last
write, so two invocations never interleave on it. The lock is an SSM parameter whose versions
decide who holds it. Parameter Store gives version 1 to a new parameter and "automatically
increments the version number by one" on every change (AWS Systems Manager User Guide, "Working
with parameter versions in Parameter Store"); PutParameter returns the new Version, and
GetParameter reads any kept version as `name:version` (API reference, PutParameter,
GetParameter).

Claiming. A claimant reads the lock (version V). If it holds a live claim (an owner whose
expiry has not passed), it waits. Otherwise it writes its own claim (Overwrite=True), and that
claim holds if the version just below it, skipping the claimant's own, is not a live claim:
V + 1 when no other write landed in between, or a free marker (the holder released between the
claimant's read and its write). PutParameter cannot compare and swap, so a claimant that loses
has still written its claim over the holder's; it never leaves that claim behind:
- the holder releases by writing the free marker whatever the lock holds then, while its own
  claim has at least RELEASE_MARGIN_SECONDS to run: every claim written after it lost (it sat on
  the holder's live claim), so nothing another invocation holds is overwritten;
- a losing claim that lands after that release sits on the free marker, so it holds, and its
  writer releases it in turn.
A missing lock is created with Overwrite=False, which fails with ParameterAlreadyExists when
another claimant created it first. Every sign of a concurrent writer is a lost race, never a
failed invocation: a version other than V + 1 whose predecessor is a live claim,
ParameterAlreadyExists, and TooManyUpdates ("There are concurrent updates for a resource that
supports one update at a time", an error of PutParameter in the SSM API model), which botocore
does not retry (it is neither among the throttling codes nor the transient ones in
botocore/retries/standard.py, and its shape has no `retryable` trait). When a claim write
fails, or its answer is lost, the claimant reads the versions written since V to learn whether
its claim landed and holds: it then holds the lock and releases it like any holder.

The lock is never deleted (a deleted parameter would restart at version 1); release writes the
contract's free marker, retried while SSM answers TooManyUpdates. A claim expires after the
contract's LOCK_TTL_SECONDS, longer than the function's timeout, so only a dead holder's claim
expires. A claimant that cannot get the lock within LOCK_WAIT_SECONDS raises BreakerBusyError:
an SNS-driven (asynchronous) invocation is then retried by Lambda, and after the retries it goes
to the function's on-failure destination (the alert topic).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from breaker.clients import AWS_ERRORS, Aws, error_code
from breaker.contract import (
    FREE_LOCK,
    LOCK_TTL_ENV,
    LOCK_TTL_SECONDS,
    LOCK_WAIT_ENV,
    LOCK_WAIT_SECONDS,
    lock_parameter,
    seconds,
)
from breaker.record import now

LOG = logging.getLogger(__name__)
LOCK_POLL_SECONDS = 0.5
# What SSM answers a claim write when another writer got there first (see the module docstring).
CONCURRENT_WRITER_CODES = ("TooManyUpdates", "ParameterAlreadyExists")
# A holder frees the lock unconditionally only while its claim has this long to run: then no
# claim written since can have replaced it by expiry. The function's timeout keeps it so
# (contract: the TTL is the timeout + 90 s).
RELEASE_MARGIN_SECONDS = 30.0
RELEASE_ATTEMPTS = 5
RELEASE_RETRY_SECONDS = 0.1
# Versions read back after a claim write: more claimants than this in one race is not expected;
# beyond it the version below the window counts as a live claim (the claimant waits).
SETTLE_VERSIONS = 10


class BreakerBusyError(Exception):
    """Another invocation holds the lock; an asynchronous invocation is retried by Lambda."""


def _owner(value: str) -> str | None:
    """The owner named by a claim, live or not; None for the free marker or anything else."""
    try:
        claim = json.loads(value)
    except ValueError:
        return None
    owner = claim.get("owner") if isinstance(claim, dict) else None
    return owner if isinstance(owner, str) else None


def _live(value: str) -> bool:
    """A claim whose expiry has not passed."""
    try:
        claim = json.loads(value)
    except ValueError:
        return False
    return (
        isinstance(claim, dict) and isinstance(claim.get("owner"), str)
        and isinstance(claim.get("expiresAt"), int | float)
        and claim["expiresAt"] > time.time()
    )


class Lock:
    """Claims decided by the lock parameter's versions; see the module docstring."""

    def __init__(self, aws: Aws, name: str, ttl: float, wait: float) -> None:
        self.aws, self.name, self.ttl, self.wait = aws, name, ttl, wait
        self.token = uuid.uuid4().hex
        self.held = False
        self.expires_at = 0.0
        self._base = 0  # the version the last claim was written over

    def _claim(self) -> str:
        self.expires_at = round(time.time() + self.ttl, 3)
        return json.dumps({"owner": self.token, "expiresAt": self.expires_at},
                          separators=(",", ":"))

    def _value(self, version: int) -> str | None:
        try:
            return str(self.aws.ssm.get_parameter(Name=f"{self.name}:{version}")
                       ["Parameter"]["Value"])
        except ClientError as exc:
            if error_code(exc) in ("ParameterVersionNotFound", "ParameterNotFound"):
                return None
            raise

    def _holds(self, base: int, latest: int) -> bool:
        """Whether one of our claims among versions base+1..latest holds: the nearest version
        below it that is not ours is no live claim. `base` is the version we read as free."""
        start = max(base + 1, latest - SETTLE_VERSIONS + 1)
        below_live = start > base + 1  # unread versions below the window: assume a holder
        for version in range(start, latest + 1):
            value = self._value(version)
            if value is None:
                below_live = True
                continue
            if _owner(value) == self.token:
                if not below_live:
                    return True
                continue
            below_live = _live(value)
        return False

    def _settle(self, base: int, failure: Exception | None = None) -> bool:
        """After a claim write that failed or whose answer is unknown: did our claim land and
        hold? A concurrent writer's refusal that cannot be checked counts as a lost race."""
        try:
            latest = int(self.aws.ssm.get_parameter(Name=self.name)["Parameter"]["Version"])
            return self._holds(base, latest)
        except AWS_ERRORS as exc:
            if error_code(exc) == "ParameterNotFound":
                return False
            if failure is None or error_code(failure) in CONCURRENT_WRITER_CODES:
                LOG.error("could not read back %s after a lost race: %s", self.name, exc)
                return False
            raise failure from exc

    def _write_claim(self, base: int, overwrite: bool) -> bool:
        self._base = base
        try:
            written = self.aws.ssm.put_parameter(
                Name=self.name, Value=self._claim(), Type="String", Overwrite=overwrite)
        except AWS_ERRORS as exc:
            # TooManyUpdates or ParameterAlreadyExists: another writer; anything else may
            # still have landed (an answer lost on the way back). Either way, look.
            return self._settle(base, exc)
        version = int(written["Version"])
        return version == base + 1 or self._settle(base)

    def try_acquire(self) -> bool:
        try:
            current = self.aws.ssm.get_parameter(Name=self.name)["Parameter"]
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
            self.held = self._write_claim(0, overwrite=False)
            return self.held
        value, version = str(current["Value"]), int(current["Version"])
        if _owner(value) == self.token and _live(value):
            # Our own claim, judged lost when written; it holds if what was below it has
            # since been released or has expired.
            self.held = self._holds(self._base, version)
            return self.held
        if _live(value):
            return False
        self.held = self._write_claim(version, overwrite=True)
        return self.held

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise BreakerBusyError(
                    f"another invocation holds {self.name}; gave up after {self.wait:g} s"
                )
            time.sleep(LOCK_POLL_SECONDS)

    def _write_free(self) -> None:
        value = json.dumps({**FREE_LOCK, "releasedAt": now()})
        for attempt in range(1, RELEASE_ATTEMPTS + 1):
            try:
                self.aws.ssm.put_parameter(Name=self.name, Value=value, Type="String",
                                           Overwrite=True)
                return
            except ClientError as exc:
                # A losing claimant writing at the same moment; its claim must not stay.
                if error_code(exc) != "TooManyUpdates" or attempt == RELEASE_ATTEMPTS:
                    raise
            time.sleep(RELEASE_RETRY_SECONDS * attempt)

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            if time.time() + RELEASE_MARGIN_SECONDS < self.expires_at:
                # Still ours: whatever was written since is a losing claim.
                self._write_free()
                return
            current: Any = self.aws.ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
            if _owner(current) != self.token:
                LOG.error("lock %s: our claim ran out and another holds it; left as it is",
                          self.name)
                return
            self._write_free()
        except (*AWS_ERRORS, ValueError, AttributeError) as exc:
            # The claim expires by itself; the work is done.
            LOG.error("could not release %s: %s", self.name, exc)


@contextmanager
def locked(aws: Aws, parameter: str) -> Iterator[None]:
    """Hold the lock beside the record `parameter` (or the one the environment names)."""
    lock = Lock(
        aws, lock_parameter(os.environ, parameter),
        ttl=seconds(os.environ, LOCK_TTL_ENV, LOCK_TTL_SECONDS),
        wait=seconds(os.environ, LOCK_WAIT_ENV, LOCK_WAIT_SECONDS),
    )
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
