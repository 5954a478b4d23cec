"""Fixtures for adopt: a moto account that is Z360's, and stack files copied to a temp dir."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from offline.engine import PROJECT_DIR
from tests.z360_ecs.live import replica


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, in the ops log's account and region, with dummy credentials."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", replica.ACCOUNT)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", replica.REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def session(aws: None) -> boto3.Session:
    return boto3.Session(region_name=replica.REGION)


@pytest.fixture
def stack_copy(tmp_path: Path):
    """Copy Pulumi.<stack>.yaml to a temp dir; adopt writes there, never to the repo."""

    def copy(stack: str) -> Path:
        target = tmp_path / f"Pulumi.{stack}.yaml"
        shutil.copy(PROJECT_DIR / f"Pulumi.{stack}.yaml", target)
        return target

    return copy
