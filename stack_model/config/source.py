"""The one set of rules for reading stack configuration text, whatever carries it.

Two carriers, one set of rules:
- `read_stack_yaml(path)`: a stack file (`Pulumi.<stack>.yaml`, a baseline), read by the
  offline tools (z360_ecs/common.py; `read_stack_document` there gives a tool that writes the
  file back, such as `z360-ecs adopt`, its text and its values from one read);
- `read_config_json(text, key)`: one config value as the Pulumi CLI hands it to the program
  (JSON text; stack_model/config/load.py).
Both end in `check_tree`, so a value the tools accept the program accepts and the other way
round: strict UTF-8, a size limit, duplicate keys refused, every number finite, string keys
only, bounded depth and node count. The YAML side adds what only YAML has: aliases (bounded),
explicit tags (refused) and plain scalars YAML 1.1 and 1.2 read differently (refused).

Every file a tool reads comes through one reader, `read_file` (stack files, Pulumi.yaml,
baselines, loadtest results, policy pack config): a regular file or a refusal, opened without
blocking, read with a bound, a large file refused by its real size. It lives here, below the
tools (z360_ecs imports stack_model, never the other way), beside the rules its text goes to.

Why refuse rather than pick YAML 1.2: the same file is read by three parsers. PyYAML follows
YAML 1.1 (`0400` is 256, `10:00` is 600, `on` is true); the Pulumi CLI reads stack files with
go-yaml v3, which follows YAML 1.2 but still decodes `0400` as octal 256 for compatibility
(go-yaml v3 README, "Compatibility"); YAML 1.2's core schema reads `0400` as 400 and `10:00`
as a string. A value whose meaning depends on the parser is refused with its two readings, so
the author writes the one meant (`256`, `"10:00"`). Everything else follows the YAML 1.2 core
schema (yaml.org/spec/1.2.2, 10.3.2 "Tag Resolution").

Limits, and why (figures in docs/performance.md, `bench/hostile_input.py`):
- MAX_DOCUMENT_BYTES 1 MiB: the beta stack file is 5.7 KB; the largest the project supports
  is the 1,000-service stack of the scaling benchmark (bench/synthetic.py), 444 KB. 1 MiB is
  2.3x that, and bounds the parser's work before a single value is built.
- MAX_NODES 60,000 values after alias expansion (beta has ~600, the 1,000-service stack
  15,713): this, not the byte size, bounds memory, because one alias can stand for a whole
  subtree ("billion laughs").
- MAX_ALIASES 100 alias uses: anchors stay usable for repeated blocks; more is refused.
- MAX_DEPTH 24 nested collections (beta nests 6 deep).
"""

from __future__ import annotations

import errno
import functools
import json
import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_NODES = 60_000
MAX_ALIASES = 100
MAX_DEPTH = 24

Path_ = tuple[Any, ...]


class SourceError(Exception):
    """Configuration text breaks a reading rule; `path` is the key path inside the document."""

    def __init__(self, path: Path_, message: str):
        self.path = tuple(path)
        self.message = message
        super().__init__(f"{render_path(path)}: {message}" if path else message)


def render_path(path: Path_) -> str:
    return ".".join(str(part) for part in path)


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


# --- the rules both carriers share -----------------------------------------------------------


def decode_utf8(data: bytes, what: str) -> str:
    """`data` as text; SourceError unless it is UTF-8 (a UTF-8 byte order mark is allowed)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SourceError((), f"{what} is {len(data):,} bytes; the limit is "
                              f"{MAX_DOCUMENT_BYTES:,} (a stack file is a few KB)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError((), f"{what} is not UTF-8 text: byte 0x{data[exc.start]:02x} at "
                              f"offset {exc.start} (line {line})") from None


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0
        self.aliases = 0

    def count(self, path: Path_) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SourceError(path, f"more than {MAX_NODES:,} values (after expanding aliases); "
                                    "a stack file holds a few hundred")


def check_tree(value: Any, path: Path_ = (), _budget: _Budget | None = None, _depth: int = 0) -> None:
    """Plain data as configuration allows it: string keys, finite numbers, bounded size."""
    budget = _budget or _Budget()
    budget.count(path)
    if _depth > MAX_DEPTH:
        raise SourceError(path, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SourceError(path, f"{value} is not a finite number; no AWS setting takes it")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SourceError(path, f"key {key!r} is not a string; quote it")
            check_tree(item, (*path, key), budget, _depth + 1)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_tree(item, (*path, index), budget, _depth + 1)
        return
    raise SourceError(path, f"{type(value).__name__} values are not configuration")


# --- JSON: what the Pulumi CLI hands the program ---------------------------------------------


def read_config_json(text: str, key: str) -> Any:
    """One config value, as the CLI passes it (JSON for objects, arrays, numbers, booleans; a
    plain string otherwise), read by the same rules as a stack file."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise SourceError((key,), f"value is over {MAX_DOCUMENT_BYTES:,} bytes")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, item in items:
            if name in result:
                raise SourceError((key,), f"key {name!r} appears twice")
            result[name] = item
        return result

    def constant(name: str) -> Any:
        raise SourceError((key,), f"{name} is not a finite number")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except SourceError:
        raise
    except RecursionError:
        raise SourceError((key,), f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        return text  # a plain string, as the CLI passes strings
    check_tree(value, (key,))
    return value


# --- YAML: the stack file --------------------------------------------------------------------

PLAIN = "tag:z360,plain"  # a plain (unquoted) scalar, resolved below by the 1.2 core schema
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_NAN = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")

# Plain scalars YAML 1.1 (PyYAML) reads one way and YAML 1.2 another: refused.
_AMBIGUOUS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^[-+]?0[0-9_]+$"), "a YAML 1.1 octal number (0400 is 256 there and in the "
     "Pulumi CLI, 400 in YAML 1.2): write the number without the leading 0, or quote it"),
    (re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"), "a YAML 1.1 base-60 "
     "number (10:00 is 600 there, the string '10:00' in YAML 1.2): write the number of seconds, "
     "or quote it"),
    (re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$"), "a YAML 1.1 "
     "boolean but a string in YAML 1.2: write true or false, or quote it"),
    (re.compile(r"^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]*_[0-9a-fA-F_]*|[0-9][0-9_]*_[0-9_]*"
                r"(?:\.[0-9_]*)?)$"), "a YAML 1.1 number (underscores and 0b are numbers "
     "there, strings in YAML 1.2): write the digits alone, or quote it"),
    (re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?$"), "a YAML 1.1 timestamp: "
     "quote it"),
    (re.compile(r"^=$"), "the YAML 1.1 value key: quote it"),
]


def resolve_plain(text: str, path: Path_) -> Any:
    """A plain scalar by the YAML 1.2 core schema; SourceError for forms parsers disagree on."""
    resolved, value = _plain(text)
    if not resolved:
        raise SourceError(path, value)
    return value


@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> tuple[bool, Any]:
    # (True, the value) or (False, why it is refused): a function of the text alone, so each
    # distinct scalar is matched once (an alias's values are resolved again at every use, and
    # a stack file repeats its keys and values in every service).
    for pattern, why in _AMBIGUOUS:
        if pattern.match(text):
            return False, f"{_short(text)} is ambiguous: {why}"
    if _NULL.match(text):
        return True, None
    if text in _BOOL:
        return True, _BOOL[text]
    if _INT10.match(text):
        return True, int(text)
    if _INT8.match(text):
        return True, int(text[2:], 8)
    if _INT16.match(text):
        return True, int(text[2:], 16)
    if _INF_NAN.match(text):
        return False, f"{text} is not a finite number; no AWS setting takes it"
    if _FLOAT.match(text):
        value = float(text)
        if not math.isfinite(value):
            return False, f"{text} is too large a number"
        return True, value
    return True, text


class _Resolver(yaml.resolver.BaseResolver):
    """Marks plain scalars for `resolve_plain`; everything else keeps its own tag."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return PLAIN
        return str(super().resolve(kind, value, implicit))


_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)
if _Parser is not None:  # libyaml: the same documents, parsed ~6x faster

    class _Composer(_Parser, _Resolver):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)

else:  # pragma: no cover - PyYAML without libyaml

    class _Composer(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,  # type: ignore[no-redef]
                    yaml.composer.Composer, _Resolver):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


def _where(node: Node) -> str:
    mark = node.start_mark
    return f" (line {mark.line + 1})" if mark is not None else ""


def _construct(
    node: Node, path: Path_, budget: _Budget, seen: set[int], depth: int, in_alias: bool = False
) -> Any:
    """Plain data from a composed node; an alias (a node met again) is expanded, and counted
    once per use, its subtree's values toward MAX_NODES."""
    revisit = id(node) in seen
    if revisit and not in_alias:
        budget.aliases += 1
        if budget.aliases > MAX_ALIASES:
            raise SourceError(path, f"more than {MAX_ALIASES} alias uses (*name); write the "
                                    "values out or use serviceDefaults")
    seen.add(id(node))
    in_alias = in_alias or revisit
    budget.count(path)
    if depth > MAX_DEPTH:
        raise SourceError(path, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ScalarNode):
        if node.tag == PLAIN:
            return resolve_plain(node.value, path)
        if node.tag == _STR:
            return node.value
        raise SourceError(path, f"explicit tag {node.tag} is not supported{_where(node)}; "
                                "write the value plainly")
    if isinstance(node, SequenceNode):
        if node.tag != _SEQ:
            raise SourceError(path, f"explicit tag {node.tag} is not supported{_where(node)}")
        return [_construct(item, (*path, i), budget, seen, depth + 1, in_alias)
                for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        if node.tag != _MAP:
            raise SourceError(path, f"explicit tag {node.tag} is not supported{_where(node)}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise SourceError(path, f"a key is a list or mapping{_where(key_node)}; keys are "
                                        "names")
            key = key_node.value
            if key_node.tag == PLAIN and key == "<<":
                raise SourceError(path, f"merge keys (<<) are not supported{_where(key_node)}; "
                                        "use serviceDefaults")
            if key_node.tag == PLAIN and resolve_plain(key, (*path, key)) is None:
                raise SourceError(path, f"an empty key{_where(key_node)}")
            if key in result:
                raise SourceError((*path, key), f"appears twice in the same mapping"
                                                f"{_where(key_node)}; YAML would keep only the "
                                                "last one. Remove one")
            result[key] = _construct(value_node, (*path, key), budget, seen, depth + 1,
                                     in_alias)
        return result
    raise SourceError(path, f"unexpected YAML node {type(node).__name__}")  # pragma: no cover


def parse_yaml(text: str) -> Any:
    """A YAML document as plain data, by the rules above; SourceError otherwise."""
    composer = _Composer(text)
    try:
        node = composer.get_single_node()
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise SourceError((), f"not valid YAML: {detail}") from None
    except RecursionError:
        raise SourceError((), f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        dispose = getattr(composer, "dispose", None)
        if dispose is not None:
            dispose()
    if node is None:
        return None
    return _construct(node, (), _Budget(), set(), 0)


def read_stack_yaml(path: Path) -> Any:
    """The YAML document at `path` as plain data; SourceError (no traceback) when it cannot be
    read by the rules above."""
    return parse_yaml(read_stack_text(path))


def read_stack_text(path: Path) -> str:
    """The text of the file at `path`: at most MAX_DOCUMENT_BYTES of strict UTF-8. For a tool
    that writes the file back (adopt's round trip) and must read the very text it parses."""
    return decode_utf8(read_file(path), "the file")


# --- the one file reader ---------------------------------------------------------------------

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
# O_NONBLOCK: opening a FIFO for reading waits for a writer (open(2), fifo(7)); with it the
# open returns at once and fstat refuses the FIFO. O_NOCTTY: a terminal named as a file never
# becomes the controlling terminal. No O_NOFOLLOW: a symbolic link is followed, as pulumi and
# git follow a linked Pulumi.<stack>.yaml; fstat on the opened descriptor checks the file it
# names, so the check and the read see the same file.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "something else")


def _mode(path: Path) -> int:
    try:
        return os.stat(path).st_mode
    except OSError:
        return 0


def read_file(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of the regular file at `path`; SourceError (no traceback) otherwise.

    Every file a tool reads (stack files, Pulumi.yaml, baselines, REV:PATH blobs, loadtest
    results, policy pack config) comes through here: opened without blocking, refused unless
    fstat says it is a regular file (a FIFO would block, /dev/zero never ends, a directory has
    no bytes), refused by its real size (st_size) when that is over `limit`, and read at most
    `limit` + 1 bytes whatever it said (a file can grow while it is read; /proc files say 0).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise SourceError((), "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # open(2) on a Unix socket
            raise SourceError((), f"is {_kind(_mode(path))}, not a regular file") from None
        raise SourceError((), f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError((), f"is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise SourceError((), f"is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SourceError((), f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise SourceError((), f"is over {limit:,} bytes (it said {info.st_size:,}: it grew "
                              "while being read, or does not report its size)")
    return b"".join(chunks)
