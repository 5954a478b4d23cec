"""The lock that serialises trip and restore, without reserved concurrency.

Trip and restore take the lock before they read the record and release it after the last
write, so two invocations never interleave on it. The lock is an SSM parameter used as a
compare-and-swap on its version: Parameter Store gives version 1 to a new parameter and
"automatically increments the version number by one" on every change (AWS Systems Manager User
Guide, "Working with parameter versions in Parameter Store"), and PutParameter returns that new
Version (API reference, PutParameter). A claimant reads the lock (version V); if it is free or
its claim has expired, it writes its own claim with Overwrite=True and holds the lock only if
PutParameter answers V+1, that is, if no other write landed in between. A missing lock
parameter is created with Overwrite=False, which fails with ParameterAlreadyExists when another
claimant created it first (API reference, PutParameter). The lock is never deleted (a deleted
parameter would restart at version 1 and make a stale comparison succeed); release writes the
contract's free marker. A claim expires after the contract's LOCK_TTL_SECONDS, longer than the
function's timeout, so only a dead holder's claim expires. A claimant that cannot get the lock
within LOCK_WAIT_SECONDS raises BreakerBusyError: an SNS-driven (asynchronous) invocation is
then retried by Lambda, and after the retries it goes to the function's on-failure destination
(the alert topic).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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


class BreakerBusyError(Exception):
    """Another invocation holds the lock; an asynchronous invocation is retried by Lambda."""


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
            if error_code(exc) != "ParameterNotFound":
                raise
            try:
                ssm.put_parameter(Name=self.name, Value=self._claim(), Type="String",
                                  Overwrite=False)
            except ClientError as create_exc:
                if error_code(create_exc) == "ParameterAlreadyExists":
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
                Name=self.name, Value=json.dumps({**FREE_LOCK, "releasedAt": now()}),
                Type="String", Overwrite=True,
            )
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
