"""The one set of reading rules (stack_model/config/source.py), on both carriers: a stack file
read by the tools and a config value handed to the program as JSON; and the one file reader
every file goes through."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from bench.hostile_input import release
from stack_model.config import ConfigError, source
from stack_model.config.source import (
    MAX_ALIASES,
    MAX_DOCUMENT_BYTES,
    SourceError,
    parse_yaml,
    read_config_json,
    read_file,
)
from tests.support.runs import stack_document
from z360_ecs.common import load_stack_settings
from z360_ecs.engine.program import run_program


@pytest.mark.parametrize("text, words", [
    ("cpu: 0400", "ambiguous: a YAML 1.1 octal"),
    ("scaleInCooldown: 10:00", "base-60"),
    ("assignPublicIp: on", "YAML 1.1 boolean"),
    ("cpuTarget: .inf", "not a finite number"),
    ("cpuTarget: .nan", "not a finite number"),
    ("max: 1e999", "too large"),
    ("a: 1\na: 2", "appears twice"),
    ("a: !!binary aGVsbG8=", "explicit tag"),
    ("<<: {a: 1}", "merge keys"),
])
def test_forms_parsers_disagree_on_are_refused_at_their_key(text, words):
    with pytest.raises(SourceError, match=words) as refused:
        parse_yaml(text)
    assert refused.value.path[:1] in ((text.split(":")[0],), ())


@pytest.mark.parametrize("text, value", [
    ("a: 400", 400), ("a: 0o17", 15), ("a: 0x1F", 31), ("a: 1.5", 1.5), ("a: true", True),
    ("a: '0400'", "0400"), ("a: \"10:00\"", "10:00"), ("a: ~", None), ("a: 0", 0),
])
def test_the_yaml_1_2_core_schema_otherwise(text, value):
    assert parse_yaml(text) == {"a": value}


def test_aliases_are_bounded():
    uses = ", ".join(["*x"] * (MAX_ALIASES + 1))
    with pytest.raises(SourceError, match="alias uses"):
        parse_yaml(f"a: &x 1\nb: [{uses}]")
    assert parse_yaml("a: &x [1, 2]\nb: *x") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("text, words", [
    ('{"a": 1, "a": 2}', "appears twice"), ("NaN", "not a finite"), ("[Infinity]", "not a finite"),
    ("1e400", "not a finite"),
])
def test_the_program_carrier_follows_the_same_rules(text, words):
    with pytest.raises(SourceError, match=words):
        read_config_json(text, "services")


def test_the_program_refuses_an_undeclared_key_in_its_namespace():
    """Whatever the CLI lets through, the program reads every key of its namespace."""
    settings = load_stack_settings("beta")
    settings.config["z360-ecs:protcet"] = True
    with pytest.raises(ConfigError, match=r"z360-ecs:protcet: unknown config key; did you mean 'protect'"):
        run_program("beta", settings_override=settings)


def test_the_program_refuses_nan_handed_over_as_json():
    settings = load_stack_settings("beta")
    settings.config["z360-ecs:dashboard"] = float("nan")
    with pytest.raises(ConfigError, match="dashboard: NaN is not a finite number"):
        run_program("beta", settings_override=settings)


@pytest.mark.parametrize("key, value, words", [
    ("z360-ecs:protcet", True, "protcet: unknown config key; did you mean 'protect'"),
    ("z360-ecs:protect", "yes", "Pulumi.yaml declares it as boolean"),
    ("z360-ecs:environment", 5, "Pulumi.yaml declares it as string"),
])
def test_the_offline_engine_refuses_what_the_cli_refuses(write_stack, key, value, words):
    document = stack_document("beta")
    document["config"][key] = value
    from z360_ecs.common import StackFileError

    with pytest.raises(StackFileError, match=words):
        load_stack_settings("beta", stack_file=write_stack(document))


# --- the one file reader: a regular file, opened without blocking, read with a bound -----------


def _socket(path: Path) -> Path:
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))  # the socket file stays after close
    return path


_NODES = {
    "fifo": (lambda path: os.mkfifo(path) or path, "is a named pipe (FIFO), not a regular file"),
    "device": (lambda path: Path("/dev/zero"), "is a character device, not a regular file"),
    "directory": (lambda path: path.mkdir() or path, "is a directory, not a regular file"),
    "socket": (_socket, "is a socket, not a regular file"),
}


class _CountingOs:
    """The os module as the reader sees it, counting the bytes each os.read returns (only the
    reader's: other threads' reads are not counted)."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def read(self, fd: int, size: int) -> bytes:
        data = os.read(fd, size)
        self.sizes.append(len(data))
        return data


@pytest.fixture
def reader_os(monkeypatch: pytest.MonkeyPatch) -> _CountingOs:
    counting = _CountingOs()
    monkeypatch.setattr(source, "os", counting)
    return counting


def _promptly(path: Path) -> SourceError:
    """read_file(path)'s refusal, within 5 s: a reader blocked opening a FIFO (as open() without
    O_NONBLOCK is) fails the test, and is released so no thread is left behind."""
    refusal: list[BaseException] = []

    def read() -> None:
        try:
            read_file(path)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            refusal.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():
        release(path)
        worker.join(5)
        pytest.fail(f"read_file({path}) still blocked after 5 s")
    assert refusal and isinstance(refusal[0], SourceError), refusal
    return refusal[0]


@pytest.mark.parametrize("linked", [False, True], ids=["itself", "symlink"])
@pytest.mark.parametrize("node", sorted(_NODES))
def test_what_is_not_a_regular_file_is_refused_at_once_unread(tmp_path, reader_os, node, linked):
    make, words = _NODES[node]
    path = make(tmp_path / node)
    if linked:
        (tmp_path / "link").symlink_to(path)
        path = tmp_path / "link"
    assert _promptly(path).message == words
    assert sum(reader_os.sizes) == 0


@pytest.mark.parametrize("linked", [False, True], ids=["itself", "symlink"])
def test_a_large_file_is_refused_by_its_real_size_unread(tmp_path, reader_os, linked):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(50 * 2**20)  # sparse: 50 MB that take no disk
    if linked:
        (tmp_path / "link").symlink_to(path)
        path = tmp_path / "link"
    with pytest.raises(SourceError) as refused:
        read_file(path)
    assert refused.value.message == f"is 52,428,800 bytes; the limit is {MAX_DOCUMENT_BYTES:,}"
    assert sum(reader_os.sizes) == 0


def test_a_file_larger_than_it_says_is_read_at_most_one_byte_past_the_limit(
    tmp_path, reader_os
):
    """A file can grow while it is read, and /proc files say 0 bytes: the bound is on the read,
    not on what fstat says."""
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"#" * (3 * MAX_DOCUMENT_BYTES))
    reader_os.fstat = lambda fd: os.stat_result((*os.fstat(fd)[:6], 0, *os.fstat(fd)[7:]))
    with pytest.raises(SourceError, match=r"is over 1,048,576 bytes \(it said 0"):
        read_file(path)
    assert sum(reader_os.sizes) == MAX_DOCUMENT_BYTES + 1


def test_a_regular_file_is_read_whole_directly_or_through_a_link(tmp_path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(b"config: {}\n")
    (tmp_path / "link").symlink_to(path)
    assert read_file(path) == read_file(tmp_path / "link") == b"config: {}\n"
    with pytest.raises(SourceError, match="^no such file$"):
        read_file(tmp_path / "missing.yaml")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing.yaml")
    with pytest.raises(SourceError, match="^no such file$"):
        read_file(tmp_path / "dangling")
