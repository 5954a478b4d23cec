"""Hostile stack files: generators (hypothesis strategies) shared by the fuzz suite, and a
script that prints the figures: counts per class and the peak memory of reading the largest
input the reader accepts.

    .venv/bin/python -m bench.hostile_input [--examples N] [--effect N]

Every generated file is malformed by construction (one mutation of the beta stack file that no
reading of the rules allows: MUTATIONS, file and key families, and also what is not a stack
file at all: a FIFO, /dev/zero, a directory, a 50 MB sparse file, each also behind a symbolic
link; CROSS_FIELD, settings valid one by one and wrong together), and is run through the CLI's
`cost` command (the reader and the config model, no program run), with a time bound. Classes:
- refused clearly: exit 2, one `error:` line naming the key path, no traceback;
- wrongly accepted: exit 0;
- crashed: anything else (a traceback, another exit code, a message without the key path, a
  run still blocked after RUN_SECONDS).
`--effect N` adds N valid changes of one setting each, run through the program: refused, took
effect, or accepted without effect (the registrations do not change).

The cost breaker's families (forged, foreign, untimed and replayed events; races on its lock)
follow in a section of their own, run against its function in a mocked account.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import io
import os
import shutil
import signal
import threading
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from stack_model.config.load import _model_for
from stack_model.config.source import MAX_DOCUMENT_BYTES, MAX_NODES, parse_yaml
from z360_ecs import PROJECT_DIR

BETA = PROJECT_DIR / "Pulumi.beta.yaml"
NAMESPACE = "z360-ecs:"


@dataclass(frozen=True)
class Mutation:
    kind: str
    text: bytes
    path: str
    """The key path the refusal must name ('' when the whole file is at fault); for what is not
    a stack file, what the refusal must say it is (its kind, or its real size)."""
    node: str = "file"
    """What `place` puts down: a file holding `text`, or one of NOT_FILES."""
    linked: bool = False
    """Behind a symbolic link (the reader follows links, and judges what they name)."""
    also: tuple[str, ...] = ()
    """Further key paths the refusal must name (the other side of a cross-field rule)."""

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.also)


def _document() -> dict[str, Any]:
    return dict(parse_yaml(BETA.read_text()))


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_leaves(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_leaves(value, (*path, index)))
    else:
        found.append((path, data))
    return found


def _mappings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    if isinstance(data, dict):
        found.append(path)
        for key, value in data.items():
            found.extend(_mappings(value, (*path, key)))
    return found


def _config_path(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """(`z360-ecs:services`, web, cpu) -> (services, web, cpu)."""
    return (str(path[0])[len(NAMESPACE):], *path[1:])


def _shown(path: tuple[Any, ...]) -> str:
    """The key a refusal names: a list item's problem may be reported at its list."""
    while path and isinstance(path[-1], int):
        path = path[:-1]
    return ".".join(map(str, _config_path(path)))


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document["config"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


_DOCUMENT = _document()
_CONFIG = _DOCUMENT["config"]
NUMBER_LEAVES = [p for p, v in _leaves(_CONFIG)
                 if p[0].startswith(NAMESPACE) and isinstance(v, (int, float))
                 and not isinstance(v, bool)]
BOOL_LEAVES = [p for p, v in _leaves(_CONFIG) if p[0].startswith(NAMESPACE) and isinstance(v, bool)]
MODEL_MAPPINGS = [p for p in _mappings(_CONFIG) if p and p[0].startswith(NAMESPACE)
                  and _model_for(_config_path(p)) is not None]

# Plain YAML forms, none of which is a valid value for a number in this config (null is not
# among them: it means "unset" for the optional ones).
BAD_NUMBERS = [".inf", "-.inf", ".nan", ".NaN", "true", "false", "0400", "010", "10:00",
               "1:30:00", "1_000", "0b101", "'12'", "\"12\"", "-1", "1e30", "1e999",
               "[]", "{}", "yes", "on", "2024-01-01", "12abc", "0x", "!!float 12", "!!binary AA=="]
BAD_BOOLS = ["yes", "no", "on", "off", "1", "0", "'true'", "\"false\"", "Y", "n", "[]", "{}",
             "~", "1.0", ".nan", "!!bool yes"]


# libyaml's emitter when PyYAML has it: the same text as the Python one for these documents
# (plain data), several times faster for the largest hostile files.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_DUMPER, sort_keys=False, width=1000)


@st.composite
def bad_number(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(NUMBER_LEAVES))
    form = draw(st.sampled_from(BAD_NUMBERS))
    document = _document()
    marker = "__Z360_MARK__"
    _set(document, path, marker)
    text = _dump(document).replace(f"'{marker}'", form).replace(marker, form)
    return Mutation("number", text.encode(), _shown(path))


@st.composite
def bad_bool(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(BOOL_LEAVES))
    form = draw(st.sampled_from(BAD_BOOLS))
    document = _document()
    marker = "__Z360_MARK__"
    _set(document, path, marker)
    text = _dump(document).replace(f"'{marker}'", form).replace(marker, form)
    return Mutation("boolean", text.encode(), _shown(path))


@st.composite
def unknown_key(draw: st.DrawFn) -> Mutation:
    path = draw(st.sampled_from(MODEL_MAPPINGS))
    document = _document()
    target: Any = document["config"]
    for part in path:
        target = target[part]
    existing = list(target)
    base = draw(st.sampled_from(existing)) if existing else "key"
    # A typo (one letter dropped or doubled, case flipped) or a new word.
    how = draw(st.integers(0, 3))
    name = {0: base[:-1], 1: base + base[-1], 2: base.swapcase(), 3: "x" + base}[how]
    if name in existing or not name:
        name = base + "Typo"
    target[name] = draw(st.sampled_from([True, 1, "x", [1], {"a": 1}]))
    return Mutation("unknown key", _dump(document).encode(), _shown((*path, name)))


@st.composite
def unknown_top_level(draw: st.DrawFn) -> Mutation:
    document = _document()
    key = draw(st.sampled_from(["protcet", "costbreaker", "Protect", "budgets", "service",
                                "dashbaord", "alert"]))
    document["config"][f"{NAMESPACE}{key}"] = True
    return Mutation("unknown top-level key", _dump(document).encode(), key)


@st.composite
def duplicate_key(draw: st.DrawFn) -> Mutation:
    lines = BETA.read_text().splitlines()
    candidates = [i for i, line in enumerate(lines)
                  if line.startswith("    ") and not line.lstrip().startswith(("#", "-"))
                  and ": " in line and not line.rstrip().endswith(":")]
    index = draw(st.sampled_from(candidates))
    lines.insert(index + 1, lines[index])
    key = lines[index].split(":", 1)[0].strip()
    return Mutation("duplicate key", ("\n".join(lines) + "\n").encode(), key)


@st.composite
def alias_bomb(draw: st.DrawFn) -> Mutation:
    width = draw(st.integers(5, 12))
    depth = draw(st.integers(4, 9))
    names = [f"l{i}" for i in range(depth)]
    bomb = [f"  z360-ecs:zz0: &l0 [{', '.join(['x'] * width)}]"]
    for previous, name in zip(names, names[1:], strict=False):
        bomb.append(f"  z360-ecs:zz{name}: &{name} [{', '.join(['*' + previous] * width)}]")
    return Mutation("alias bomb", (BETA.read_text() + "\n".join(bomb) + "\n").encode(), "")


@st.composite
def bad_bytes(draw: st.DrawFn) -> Mutation:
    data = BETA.read_bytes()
    at = draw(st.integers(0, len(data)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xfe\xff", b"\x80"]))
    return Mutation("non-UTF-8", data[:at] + junk + data[at:], "")


@st.composite
def oversized(draw: st.DrawFn) -> Mutation:
    pad = draw(st.integers(MAX_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES * 2))
    return Mutation("oversized", BETA.read_bytes() + b"#" * pad + b"\n", "")


@st.composite
def many_values(draw: st.DrawFn) -> Mutation:
    # Past the 48 KiB environment budget (about 1,500 short variables); past MAX_NODES the
    # file is over MAX_DOCUMENT_BYTES too, which the oversized class covers.
    count = draw(st.integers(1_700, 20_000))
    document = _document()
    document["config"]["z360-ecs:services"]["web"]["environment"] = {
        f"V{i}": "x" for i in range(count)}
    text = _dump(document).encode()
    # A file over the byte limit is refused as a whole, before any key is read.
    return Mutation("too many values", text,
                    "" if len(text) > MAX_DOCUMENT_BYTES else "services.web.environment")


SPARSE_BYTES = 50 * 2**20
# What is not a stack file -> what its refusal must say.
NOT_FILES = {"fifo": "named pipe", "device": "character device", "directory": "a directory",
             "sparse": f"is {SPARSE_BYTES:,} bytes"}


@st.composite
def not_a_file(draw: st.DrawFn) -> Mutation:
    # A FIFO blocked open() forever; /dev/zero was read until memory ran out; a 50 MB file was
    # reported as 1,048,577 bytes.
    node = draw(st.sampled_from(sorted(NOT_FILES)))
    linked = draw(st.booleans())
    return Mutation(f"{node}{' (symlink)' if linked else ''}", b"", NOT_FILES[node], node, linked)


MUTATIONS = st.one_of(bad_number(), bad_bool(), unknown_key(), unknown_top_level(),
                      duplicate_key(), alias_bomb(), bad_bytes(), oversized(), many_values(),
                      not_a_file())


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


def place(mutation: Mutation, path: Path) -> Path:
    """Put `mutation` down at `path`; returns the path to hand the CLI. /dev/zero stands for
    every device (making a device node needs privileges): unlinked, it is handed over itself."""
    target = path.with_name(path.name + ".target") if mutation.linked else path
    for old in {path, target}:
        _clear(old)
    if mutation.node == "file":
        target.write_bytes(mutation.text)
    elif mutation.node == "fifo":
        os.mkfifo(target)
    elif mutation.node == "directory":
        target.mkdir()
    elif mutation.node == "sparse":
        with open(target, "wb") as handle:
            handle.truncate(SPARSE_BYTES)
    else:
        target = Path("/dev/zero")
    if not mutation.linked:
        return target
    path.symlink_to(target)
    return path


def release(path: Path) -> None:
    """Unblock a reader stuck opening the FIFO at `path` (a writer's open lets it go on)."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


# --- settings that only make sense together: cross-field and cross-provider families ----------
# Each file is valid key by key and wrong as a whole (issue 22): a setting that would not take
# effect, an alarm reading a metric nothing publishes, two settings giving one physical name, a
# region other than the stack's. The names and ARNs are found, not listed: name_collision takes
# every name the program gives (StackConfig.physical_names), region_mismatch every regional ARN
# setting, so a setting added there is generated too.

CONFIG = NAMESPACE[:-1]
OTHER_REGIONS = ["us-east-2", "us-west-2", "eu-west-1", "ap-southeast-2"]


def _node(document: dict[str, Any], *path: Any) -> Any:
    """The value at a config path (`("services", "web")` is `z360-ecs:services`.web)."""
    target: Any = document["config"][f"{NAMESPACE}{path[0]}"]
    for part in path[1:]:
        target = target[part]
    return target


def _text(document: dict[str, Any]) -> bytes:
    return _dump(document).encode()


def _fixed_count(document: dict[str, Any], key: str) -> dict[str, Any]:
    """Turn one service's scaling off, with what only a scaled service may carry (its spike
    alarm, its scaling import ids, its emergency ceiling) removed: valid but for what the
    caller adds."""
    service = _node(document, "services", key)
    service.setdefault("scaling", {})["enabled"] = False
    service.setdefault("alarms", {}).pop("taskCountSpike", None)
    for id_key in ("scalableTarget", "cpuPolicy", "memoryPolicy", "spikeAlarm"):
        service.get("importIds", {}).pop(id_key, None)
    _node(document, "costBreaker", "emergencyCeilings").pop(key, None)
    return service


@st.composite
def setting_without_effect(draw: st.DrawFn) -> Mutation:
    """A setting the program would drop: burnRate with the breaker off, holdAt without scaling,
    a web ACL on a service with no port, 20 s metrics nothing reads."""
    document = _document()
    key = draw(st.sampled_from(list(_node(document, "services"))))
    case = draw(st.sampled_from(["burnRate", "holdAt", "waf", "metricResolution"]))
    kind = "setting without effect"
    if case == "burnRate":
        _node(document, "costBreaker")["enabled"] = False
        return Mutation(kind, _text(document), "costBreaker.burnRate")
    if case == "holdAt":
        service = _fixed_count(document, key)
        scaling = service["scaling"]
        # Within min..max, so only the missing scaling is wrong.
        scaling["holdAt"] = draw(st.integers(scaling.get("min", 1), scaling.get("max", 1)))
        return Mutation(kind, _text(document), f"services.{key}.scaling.holdAt")
    if case == "waf":
        service = _node(document, "services", key)
        service.pop("containerPort", None)
        service.pop("loadBalancer", None)
        waf = service.setdefault("waf", {})
        waf.update(enabled=True, rateLimit=draw(st.integers(100, 100_000)))
        waf.setdefault("loadBalancerArn", "arn:aws:elasticloadbalancing:us-east-1:108782097218:"
                       f"loadbalancer/app/z360-{key}/{zlib.crc32(key.encode()):016x}")
        return Mutation(kind, _text(document), f"services.{key}.waf.enabled")
    service = _fixed_count(document, key)
    service["metricResolution"] = 20
    service["alarms"]["period"] = draw(st.sampled_from([60, 300]))
    return Mutation(kind, _text(document), f"services.{key}.metricResolution")


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    """`call(...)` with what the program prints (the breaker's offline note) kept off the table."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return call(*args, **kwargs)


@functools.cache
def _insights_clusters() -> tuple[str, ...]:
    """Keys of the clusters whose Container Insights metrics an alarm of the program's beta
    run reads (its own metric or one of its metricQueries): found in what the program
    registers, so a new alarm on those metrics is covered without a change here."""
    from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE
    from policies.guardrails.facts.types import METRIC_ALARM_TYPE
    from z360_ecs.engine.program import run_program

    by_name = {cluster["name"]: key for key, cluster in _node(_document(), "clusters").items()}
    read: dict[str, None] = {}
    for alarm in _quiet(run_program, "beta", stack_file=BETA).by_type(METRIC_ALARM_TYPE):
        inputs = alarm.inputs
        metrics = [inputs, *(query.get("metric") or {}
                             for query in inputs.get("metricQueries") or [])]
        for metric in metrics:
            if metric.get("namespace") == CONTAINER_INSIGHTS_NAMESPACE:
                key = by_name.get((metric.get("dimensions") or {}).get("ClusterName"))
                if key is not None:
                    read[key] = None
    return tuple(read)


@st.composite
def unpublished_metric(draw: st.DrawFn) -> Mutation:
    """Container Insights off on a cluster whose Container Insights metrics an alarm reads
    (the clusters are found in the program's run), with its spike alarms, the burn-rate metric
    math, or both reading it."""
    document = _document()
    cluster = draw(st.sampled_from(_insights_clusters()))
    _node(document, "clusters", cluster)["containerInsights"] = False
    readers = draw(st.sampled_from(["both", "spike alarms", "burn rate"]))
    if readers == "spike alarms":
        _node(document, "costBreaker").pop("burnRate")
    elif readers == "burn rate":
        for service in _node(document, "services").values():
            if service["cluster"] == cluster:
                service.get("alarms", {}).pop("taskCountSpike", None)
                service.get("importIds", {}).pop("spikeAlarm", None)
    return Mutation("unpublished metric", _text(document), f"clusters.{cluster}.containerInsights")


@functools.cache
def _beta_names() -> tuple[Any, ...]:
    """Every physical name the program gives beta, with the key deciding it (names.py)."""
    from stack_model.config.names import physical_names
    from z360_ecs.common import read_stack_config

    config = read_stack_config("beta", BETA)
    return tuple(physical_names(
        environment=config.environment, services=config.services, clusters=config.clusters,
        alerts=config.alerts, budget=config.budget, cost_breaker=config.cost_breaker,
        dashboard=config.dashboard))


def _collision_pairs() -> list[tuple[Any, Any, str]]:
    """(entry A whose key is set, entry B, A's new value): A's setting given the value that
    makes its name B's, for every pair of one kind and scope with different owners."""
    from stack_model.config.names import NAME_KEYS

    document = _document()
    names = _beta_names()
    pairs = []
    for a in names:
        if a.owner[-1] not in NAME_KEYS:
            continue
        value = _node(document, *a.owner)
        at = a.name.find(value)
        if at < 0:
            continue
        prefix, suffix = a.name[:at], a.name[at + len(value):]
        for b in names:
            if b.kind != a.kind or b.scope != a.scope or b.owner == a.owner:
                continue
            if b.name.startswith(prefix) and b.name.endswith(suffix) and \
                    len(b.name) > len(prefix) + len(suffix):
                pairs.append((a, b, b.name[len(prefix):len(b.name) - len(suffix)]))
    # One pair per two owners, and per case rule: IAM's names also collide in another case.
    return list({(a.owner, b.owner, a.kind.case_insensitive): (a, b, new)
                 for a, b, new in pairs}.values())


@st.composite
def name_collision(draw: st.DrawFn) -> Mutation:
    """Two settings giving two resources one physical name: a key of one given the value that
    makes its name another's (the alert topic named as the breaker's, two families, two
    clusters, ...). A repeat of one field across services is reported as that field's repeat."""
    from stack_model.config.names import PER_FIELD_CHECKS

    pairs = _collision_pairs()
    across = [p for p in pairs if p[0].owner[-1] != p[1].owner[-1]]
    pool = across if across and draw(st.booleans()) else pairs
    a, b, value = draw(st.sampled_from(pool))
    # A repeat in another case collides only where names ignore case (IAM), and is reported
    # as a collision, not as the field's repeat.
    swapped = a.kind.case_insensitive and draw(st.booleans())
    if swapped:
        value = value.swapcase()
    document = _document()
    _set(document, (f"{NAMESPACE}{a.owner[0]}", *a.owner[1:]), value)
    section, field = a.owner[0], a.owner[-1]
    if not swapped and len(a.owner) == len(b.owner) == 3 \
            and (section, field) in PER_FIELD_CHECKS and b.owner[-1] == field:
        keys = [k for k in _node(document, section) if k in (a.owner[1], b.owner[1])]
        return Mutation("name collision", _text(document), f"{section}.{{{','.join(keys)}}}.{field}")
    return Mutation("name collision", _text(document), ".".join(a.owner),
                    also=(".".join(b.owner),))


# Regional ARN settings the beta file leaves unset, each given a valid value of the stack's
# region: with beta's own (the web ACLs' load balancers), every regional ARN setting the model
# has. Secrets are not among them: ECS reads an SSM parameter or a secret of another region by
# its full ARN (ECS developer guide, "Pass sensitive data to an Amazon ECS container").
_ARN_SETTINGS: list[tuple[tuple[str, ...], Any]] = [
    (("services", "reverb", "loadBalancer"), {"targetGroupArn": (
        "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/reverb/0123456789abcdef")}),
    (("services", "voice", "secretsKmsKeyArns"), [
        "arn:aws:kms:us-east-1:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"]),
    (("services", "queue", "importIds", "taskDefinition"),
     "arn:aws:ecs:us-east-1:108782097218:task-definition/z360-beta-queue:3"),
    (("alerts", "importTopicArn"), "arn:aws:sns:us-east-1:108782097218:z360-beta-alerts"),
]


def _seeded_document() -> dict[str, Any]:
    document = _document()
    for path, value in _ARN_SETTINGS:
        parent = document["config"][f"{NAMESPACE}{path[0]}"]
        for part in path[1:-1]:
            parent = parent.setdefault(part, {})
        parent[path[-1]] = copy.deepcopy(value)
    return document


def _regional_arns(document: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(config path, ARN) of every ARN in the project's keys that names a region."""
    found = []
    for path, value in _leaves(document["config"]):
        if not str(path[0]).startswith(NAMESPACE) or not isinstance(value, str):
            continue
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn" and parts[3] and parts[2] not in (
                "ssm", "secretsmanager"):
            found.append((path, value))
    return found


@st.composite
def region_mismatch(draw: st.DrawFn) -> Mutation:
    """A region other than the stack's: aws-native:region (different or unset while services
    need it), or any regional ARN setting (KMS key, target group, load balancer, import ids)."""
    region = draw(st.sampled_from(OTHER_REGIONS))
    kind = "region mismatch"
    case = draw(st.sampled_from(["provider", "unset provider", "arn", "arn"]))
    if case == "provider":
        document = _document()
        document["config"]["aws-native:region"] = region
        return Mutation(kind, _text(document), "aws-native:region", also=("aws:region",))
    if case == "unset provider":
        document = _document()
        del document["config"]["aws-native:region"]
        return Mutation(kind, _text(document), "aws-native:region")
    document = _seeded_document()
    path, arn = draw(st.sampled_from(_regional_arns(document)))
    parts = arn.split(":", 5)
    _set(document, path, ":".join([*parts[:3], region, *parts[4:]]))
    return Mutation(kind, _text(document), _shown(path))


CROSS_FIELD = st.one_of(setting_without_effect(), unpublished_metric(), name_collision(),
                        region_mismatch())


# --- every setting takes effect or is refused: the program's own registrations say which ----
# One valid change of one setting, found by walking the config models (so a setting added to a
# model is generated too), on beta or staging; the file is read as the tools read it and, when
# accepted, the program runs: a change the registrations do not show is a setting without
# effect, accepted silently. Slower than the families above (one program run per example), so
# it has its own table (`--effect N`).

EFFECT_CLASSES = ("refused", "took effect", "no effect", "crashed")


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """(base type, constraints) of a field annotation: Optional and Annotated removed."""
    import typing

    constraints: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints.extend(getattr(item, "metadata", [item]))
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation, constraints
            annotation = options[0]
        else:
            return annotation, constraints


def _alternatives(annotation: Any, constraints: list[Any], current: Any) -> list[Any]:
    """Valid values other than `current` for a scalar field; none for names, lists, maps."""
    import typing
    from decimal import Decimal

    if typing.get_origin(annotation) is typing.Literal:
        return [v for v in typing.get_args(annotation) if v != current]
    if annotation is bool:
        return [not current]
    if annotation not in (int, float, Decimal):
        return []
    def bound(name: str) -> Any:
        return next((getattr(c, name) for c in constraints
                     if getattr(c, name, None) is not None), None)

    strict_low, low, high = bound("gt"), bound("ge"), bound("le")
    floor = strict_low if strict_low is not None else (low if low is not None else 0)
    high = high if high is not None else 10_000
    base = current if current is not None else floor
    values = {base + 1, base - 1, floor + 1, high}
    allowed = [v for v in sorted(values) if (v > floor if strict_low is not None else v >= floor)
               and v <= high and v != current]
    if annotation is int:
        return sorted({int(v) for v in allowed if int(v) == v and int(v) != current})
    return [float(v) for v in allowed]


def model_settings(model: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], list[Any]]]:
    """(stack-file path, valid other values) of every scalar setting under a validated model."""
    from pydantic import BaseModel

    found: list[tuple[tuple[Any, ...], list[Any]]] = []
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found.extend(model_settings(value, (*path, key)))
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel)
                                                       for v in value.values()):
            for item, sub in value.items():
                found.extend(model_settings(sub, (*path, key, item)))
        else:
            annotation, constraints = _unwrap(field.annotation)
            options = _alternatives(annotation, [*constraints, *field.metadata], value)
            if options:
                found.append(((*path, key), options))
    return found


@functools.cache
def _effect_base(stack: str) -> tuple[Any, str]:
    """(every setting of the stack and its other values, the digest of its program run)."""
    from z360_ecs.common import read_stack_config

    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    config = read_stack_config(stack, path)
    settings = [(p, v) for p, v in model_settings(config) if p[0] not in ("accountId", "region")]
    return settings, _run_digest(stack, path)


def _run_digest(stack: str, path: Path) -> str:
    """What the program registers for a stack file, as one comparable text."""
    import json

    from z360_ecs.engine.program import run_program

    run = _quiet(run_program, stack, stack_file=path)
    return json.dumps(sorted(
        (r.urn, json.dumps(r.inputs, sort_keys=True, default=repr), r.protect,
         sorted(r.ignore_changes), r.import_id, r.retain_on_delete) for r in run.resources
    ), default=repr)


@dataclass(frozen=True)
class SettingChange:
    stack: str
    path: tuple[Any, ...]
    value: Any

    @property
    def shown(self) -> str:
        return ".".join(map(str, self.path))


@st.composite
def setting_change(draw: st.DrawFn) -> SettingChange:
    stack = draw(st.sampled_from(["beta", "staging"]))
    settings, _ = _effect_base(stack)
    path, values = draw(st.sampled_from(settings))
    return SettingChange(stack, path, draw(st.sampled_from(values)))


def effect_of(change: SettingChange, scratch: Path) -> str:
    """One of EFFECT_CLASSES for a change written into its stack file."""
    from stack_model.config import ConfigError
    from z360_ecs.common import StackFileError, read_stack_config

    document = dict(parse_yaml((PROJECT_DIR / f"Pulumi.{change.stack}.yaml").read_text()))
    target = document["config"]
    top, *rest = change.path
    node = target.setdefault(f"{NAMESPACE}{top}", {}) if rest else target
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    if rest:
        node[rest[-1]] = change.value
    else:
        node[f"{NAMESPACE}{top}"] = change.value
    path = scratch / f"Pulumi.{change.stack}.yaml"
    path.write_text(_dump(document))
    try:
        read_stack_config(change.stack, path)
    except (ConfigError, StackFileError):
        return "refused"
    try:
        same = _run_digest(change.stack, path) == _effect_base(change.stack)[1]
    except Exception:  # noqa: BLE001 - a crash is a class here
        return "crashed"
    return "no effect" if same else "took effect"


def effect_table(examples: int) -> None:
    """Print, per stack, how many generated setting changes were refused, took effect, had no
    effect (accepted silently) or crashed, and the settings without effect."""
    import tempfile

    from hypothesis import HealthCheck, given, settings

    counts: Counter[tuple[str, str]] = Counter()
    silent: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory() as scratch:

        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(setting_change())
        def one(change: SettingChange) -> None:
            outcome = effect_of(change, Path(scratch))
            counts[(change.stack, "generated")] += 1
            counts[(change.stack, outcome)] += 1
            if outcome == "no effect":
                silent.setdefault(change.stack, set()).add(
                    f"{change.shown}={change.value!r}")

        one()
    print(f"\n{'setting change':24}" + "".join(
        f"{c:>14}" for c in ("generated", *EFFECT_CLASSES)))
    for stack in sorted({s for s, _ in counts}):
        print(f"{stack:24}" + "".join(
            f"{counts[(stack, c)]:>14}" for c in ("generated", *EFFECT_CLASSES)))
    for stack, changes in sorted(silent.items()):
        print(f"{stack}: accepted without effect: {', '.join(sorted(changes))}")


# --- running one ------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    stderr: str
    seconds: float
    peak_bytes: int


RUN_SECONDS = 30.0
"""A run still going after this is blocked (a FIFO with no writer): classed as crashed."""


class Blocked(BaseException):
    """RUN_SECONDS passed (a BaseException, so the CLI's catch-all does not report it)."""


@contextlib.contextmanager
def bounded(seconds: float = RUN_SECONDS) -> Iterator[None]:
    """Raise Blocked in the main thread after `seconds`: SIGALRM interrupts a blocking system
    call, such as open() of a FIFO, and Python raises from the handler (PEP 475). In another
    thread (no signals there) the run is unbounded. The CLI runs in the main thread: the
    program under the mock engine needs its event loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Blocked(f"blocked for {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(path: Path, argv: list[str] | None = None) -> Outcome:
    """`z360-ecs cost beta --stack-file PATH` (or `z360-ecs ARGV`) in-process: exit code,
    stderr, time, peak memory. A run still blocked after RUN_SECONDS is stopped, exit code -2."""
    from z360_ecs.cli import main

    stderr, stdout = io.StringIO(), io.StringIO()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            try:
                with bounded():
                    code = main(argv or ["cost", "beta", "--stack-file", str(path)])
            except SystemExit as exc:
                code = int(exc.code or 0)
            except Blocked as exc:
                code, _ = -2, stderr.write(str(exc))
            except BaseException as exc:  # noqa: BLE001 - a crash is a class here
                code, _ = -1, stderr.write(f"Traceback: {type(exc).__name__}: {exc}")
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Outcome(code, stderr.getvalue(), seconds, peak)


def classify(mutation: Mutation, outcome: Outcome) -> str:
    if outcome.code == 0:
        return "wrongly accepted"
    first = outcome.stderr.strip().splitlines()[0] if outcome.stderr.strip() else ""
    clear = (outcome.code == 2 and "Traceback" not in outcome.stderr
             and first.startswith("error:")
             and all(path in outcome.stderr for path in mutation.paths))
    return "refused clearly" if clear else "crashed"


def largest_accepted_peak() -> tuple[int, int, int]:
    """(bytes, values, peak bytes) reading the largest file the reader accepts: the beta file
    padded with environment variables to just under MAX_NODES and MAX_DOCUMENT_BYTES."""
    document = _document()
    base = sum(1 for _ in _leaves(document))
    env: dict[str, str] = {}
    document["config"]["z360-ecs:services"]["web"]["environment"] = env
    value = "v" * 8
    base_size = len(_dump(document).encode())
    entry = len(f"      V00000: {value}\n")
    count = min((MAX_DOCUMENT_BYTES - base_size) // entry, MAX_NODES - base - 10)
    env.update({f"V{index:05d}": value for index in range(count)})
    text = _dump(document)
    while len(text.encode()) > MAX_DOCUMENT_BYTES:
        for _ in range(max(1, (len(text.encode()) - MAX_DOCUMENT_BYTES) // entry + 1)):
            env.popitem()
        text = _dump(document)
    tracemalloc.start()
    parse_yaml(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return len(text.encode()), base + len(env), peak


def largest_valid_config_peak() -> tuple[int, int, int]:
    """(bytes, variables, peak bytes) of read_stack_config on the largest config the model
    accepts: beta with web's environment filled to just under its 48 KiB budget."""
    import tempfile

    from stack_model.config.limits import MAX_ENVIRONMENT_BYTES
    from z360_ecs.common import read_stack_config

    document = _document()
    env = document["config"]["z360-ecs:services"]["web"].setdefault("environment", {})
    used = sum(len(f'{{"name": "{k}", "value": "{v}"}}') + 2 for k, v in env.items())
    index = 0
    while used + 60 < MAX_ENVIRONMENT_BYTES - 2048:
        env[f"VAR_{index:05d}"] = "value-" + "x" * 16
        used += len(f'{{"name": "VAR_{index:05d}", "value": "{env[f"VAR_{index:05d}"]}"}}') + 2
        index += 1
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Pulumi.beta.yaml"
        path.write_text(_dump(document))
        tracemalloc.start()
        read_stack_config("beta", path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return path.stat().st_size, len(env), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--effect", type=int, default=0, metavar="N",
                        help="also run N setting changes through the program (one run each)")
    args = parser.parse_args()
    import tempfile

    from hypothesis import HealthCheck, given, settings

    counts: Counter[tuple[str, str]] = Counter()
    worst = {"seconds": 0.0, "peak": 0}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "Pulumi.beta.yaml"

        @settings(max_examples=args.examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.one_of(MUTATIONS, CROSS_FIELD))
        def one(mutation: Mutation) -> None:
            outcome = run_cli(place(mutation, path))
            counts[(mutation.kind, "generated")] += 1
            counts[(mutation.kind, classify(mutation, outcome))] += 1
            worst["seconds"] = max(worst["seconds"], outcome.seconds)
            worst["peak"] = max(worst["peak"], outcome.peak_bytes)

        one()
    kinds = sorted({kind for kind, _ in counts})
    columns = ("generated", "refused clearly", "wrongly accepted", "crashed")
    print(f"{'class':24}" + "".join(f"{c:>18}" for c in columns))
    for kind in kinds:
        print(f"{kind:24}" + "".join(f"{counts[(kind, c)]:>18}" for c in columns))
    print(f"{'total':24}" + "".join(
        f"{sum(counts[(k, c)] for k in kinds):>18}" for c in columns))
    print(f"slowest example {worst['seconds']:.2f} s; highest peak {worst['peak'] / 2**20:.1f} MiB")
    size, values, peak = largest_accepted_peak()
    print(f"largest accepted input: {size:,} bytes, {values:,} values; reader peak "
          f"{peak / 2**20:.1f} MiB (limits: {MAX_DOCUMENT_BYTES:,} bytes, {MAX_NODES:,} values)")
    size, variables, peak = largest_valid_config_peak()
    print(f"largest valid stack config: {size:,} bytes ({variables:,} environment variables); "
          f"read + validated at peak {peak / 2**20:.1f} MiB")
    if args.effect:
        effect_table(args.effect)
    print_breaker_families(args.examples)


# --- the cost breaker: forged, foreign, untimed and replayed events, and races on its lock -------
# (issue 22). Each case is run against the breaker's function in a mocked account (moto): three
# auto-scaled services, the environment the component sets (breaker/contract.py). Classes:
# - refused clearly: the handler answers ok false with a reason, and no max capacity moved;
#   for a race on the lock: every concurrent writer counted as a lost race, never two holders,
#   and the lock free afterwards (the next claimant gets it at once);
# - wrongly accepted: a max capacity lowered; for a race: two holders at once, or a claim left
#   behind (the next claimant is refused as busy);
# - crashed: an exception out of the handler or the lock.


@dataclass(frozen=True)
class BreakerCase:
    kind: str
    event: dict[str, Any] | None = None
    """The SNS event sent to the function (None for a race on the lock)."""
    replay: bool = False
    """Trip with the event first, then restore, then send it again."""
    race: tuple[Any, ...] = ()
    """A race on the lock: (claimants, claim faults, release faults, early releases, missing)."""


_LOOK_ALIKES = [
    "{b}-dev", "old-{b}", "{b}2", "{b}-copy", "z360-{b}", " {b}x", "{B}", "{b}\u200b",
    "{b}/other", "x{b}", "{b}{b}",
]
_REGIONS = ["us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1",
            "ap-northeast-1", "sa-east-1", "ca-central-1"]


def _other_account(draw: st.DrawFn) -> str:
    ev = _breaker_events()
    return draw(st.from_regex(r"[0-9]{12}", fullmatch=True).filter(lambda a: a != ev.ACCOUNT))


def _breaker_events() -> Any:
    from tests.support import breaker_events
    return breaker_events


@st.composite
def budget_look_alike(draw: st.DrawFn) -> BreakerCase:
    """A budget notification for a budget whose name contains or resembles the configured one,
    for the configured one in another account, or naming no single account or budget."""
    ev = _breaker_events()
    name, account = ev.BUDGET, ev.ACCOUNT
    how = draw(st.integers(0, 4))
    if how == 0:
        name = draw(st.sampled_from(_LOOK_ALIKES)).format(b=ev.BUDGET, B=ev.BUDGET.upper())
    elif how == 1:
        affix = st.text(alphabet="-_.x0Z ", max_size=4)
        name = (draw(affix) + ev.BUDGET + draw(affix)).strip()
        if name == ev.BUDGET:
            name += "-"
    elif how == 2:
        account = _other_account(draw)
    message = ev.budget_message(name, account)
    if how == 3:
        message = message.replace(f"AWS Account {account}\n", draw(st.sampled_from(
            ["", f"AWS Account {_other_account(draw)}\nAWS Account {ev.ACCOUNT}\n",
             f"AWS Account {ev.ACCOUNT}\nAWS Account {_other_account(draw)}\n"])))
    elif how == 4:
        message += draw(st.sampled_from(["\nBudget Name: someone-elses-budget",
                                         f"\nBudget Name: {ev.BUDGET}-dev",
                                         f"\nBudget Name: {ev.BUDGET}"]))
    return BreakerCase("budget look-alike", ev.budget_event(name, account, message=message))


@st.composite
def foreign_alarm(draw: st.DrawFn) -> BreakerCase:
    """The trip alarm's name in ALARM from another account, region or partition, without its
    ARN, with a garbled one, or with fields that disagree with it."""
    ev = _breaker_events()
    how = draw(st.integers(0, 3))
    fields: dict[str, Any]
    if how == 0:
        fields = {"account": _other_account(draw)}
    elif how == 1:
        fields = {"arn": ev.alarm_arn(region=draw(st.sampled_from(_REGIONS)))}
    elif how == 2:
        fields = {"arn": ev.alarm_arn(account=_other_account(draw))}
    else:
        fields = draw(st.sampled_from([
            {"arn": ev.alarm_arn().replace("arn:aws:", "arn:aws-us-gov:")},
            {"arn": ev.alarm_arn().replace("arn:aws:", "arn:aws-cn:")},
            {"arn": ev.alarm_arn(ev.TRIP_ALARM + "-2")},
            {"arn": ev.alarm_arn("z360-test-web-high-cpu")},
            {"arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm"},
            {"arn": f"arn:aws:sns:us-east-1:{ev.ACCOUNT}:alarm:{ev.TRIP_ALARM}"},
            {"arn": ev.TRIP_ALARM},
            {"arn": ""},
            {"drop": ("AlarmArn",)},
            {"drop": ("AlarmArn", "AWSAccountId")},
        ]))
    return BreakerCase("foreign alarm", ev.alarm_event(**fields))


@st.composite
def untimed_event(draw: st.DrawFn) -> BreakerCase:
    """A genuine-looking budget or alarm notification whose own time is missing, garbled,
    without its UTC offset, or far in the future."""
    from datetime import timedelta

    ev = _breaker_events()
    bad = draw(st.sampled_from([
        "", "now", "yesterday", "2026-03-03", "2026-03-03T17:43:27.123", "2026-02-30T10:00:00Z",
        "2026-03-03T25:00:00Z", 1772559807, None, "2026-03-03T17:43:27.123+0000 ",
        "in the future",
    ]))
    sent: Any = bad
    changed: Any = bad
    if bad == "in the future":  # past the 5 minutes of clock skew allowed, up to a year
        moment = ev.stamp(offset=timedelta(minutes=draw(st.integers(6, 60 * 24 * 365))))
        sent, changed = ev.sns_time(moment), ev.alarm_time(moment)
    if draw(st.booleans()):
        event = ev.budget_event(timestamp=sent)
        if bad is None:
            del event["Records"][0]["Sns"]["Timestamp"]
    else:
        event = ev.alarm_event(changed=changed, drop=("StateChangeTime",) if bad is None else ())
    return BreakerCase("untimed event", event)


@st.composite
def replayed_event(draw: st.DrawFn) -> BreakerCase:
    """A genuine notification that tripped the breaker, delivered again after a restore, as it
    was or stamped up to a day earlier."""
    from datetime import timedelta

    ev = _breaker_events()
    moment = ev.stamp(offset=-timedelta(seconds=draw(st.integers(0, 86_400))))
    if draw(st.booleans()):
        event = ev.budget_event(timestamp=ev.sns_time(moment))
    else:
        event = ev.alarm_event(changed=ev.alarm_time(moment))
    return BreakerCase("replay after restore", event, replay=True)


@st.composite
def lock_race(draw: st.DrawFn) -> BreakerCase:
    """Two or three claimants that all read the lock before any writes: each claim write may
    be refused with TooManyUpdates or land with its answer lost; a holder may release before
    the other claims land, and its release may meet TooManyUpdates; the lock may not exist."""
    claimants = draw(st.integers(2, 3))
    faults = tuple(draw(st.lists(st.sampled_from(["none", "none", "too many updates",
                                                  "lost answer"]),
                                 min_size=claimants, max_size=claimants)))
    release_faults = tuple(draw(st.lists(st.booleans(), min_size=claimants,
                                         max_size=claimants)))
    early = tuple(draw(st.lists(st.booleans(), min_size=claimants, max_size=claimants)))
    missing = draw(st.booleans())
    return BreakerCase("lock race", race=(claimants, faults, release_faults, early, missing))


BREAKER_CASES = st.one_of(budget_look_alike(), foreign_alarm(), untimed_event(),
                          replayed_event(), lock_race())


class BreakerAccount:
    """A mocked account (moto) with three auto-scaled services, the record and the lock as the
    component creates them, and the function's environment as the component sets it
    (contract.function_environment); `reset` puts it back before each case. The function's
    clients are made once (`aws`), so a case costs its calls, not three client set-ups."""

    FLEET = {"web": (1, 50, 10), "voice": (1, 50, 10), "queue": (1, 20, 4)}

    def __init__(self) -> None:
        import json

        import boto3

        from breaker.clients import Aws
        from breaker.contract import function_environment

        ev = _breaker_events()
        session = boto3.session.Session(region_name=ev.REGION)
        self.scaling = session.client("application-autoscaling")
        self.ssm = session.client("ssm")
        ecs = session.client("ecs")
        alerts = session.client("sns").create_topic(Name="z360-test-alerts")["TopicArn"]
        ecs.create_cluster(clusterName=ev.CLUSTER)
        ecs.register_task_definition(family="app", containerDefinitions=[
            {"name": "app", "image": "app", "memory": 512}])
        for name, (low, _, _) in self.FLEET.items():
            ecs.create_service(cluster=ev.CLUSTER,
                               serviceName=ev.resource_id(name).rsplit("/", 1)[1],
                               taskDefinition="app", desiredCount=low)
        self.environment = {key: str(value) for key, value in function_environment(
            targets_json=json.dumps([{"service": n, "resourceId": ev.resource_id(n),
                                      "ceiling": c} for n, (_, _, c) in self.FLEET.items()]),
            state_parameter=ev.PARAMETER, lock_parameter=ev.LOCK, account_id=ev.ACCOUNT,
            budget_name=ev.BUDGET, trip_alarm_arns=[ev.TRIP_ALARM_ARN],
            topic_arn=ev.BREAKER_TOPIC, alert_topic_arn=alerts, environment="test",
        ).items()}
        # A busy lock answers at once: a claim left behind shows as a refusal, not a wait.
        self.environment["BREAKER_LOCK_WAIT_SECONDS"] = "0"
        self.aws = Aws()

    def reset(self, lock: bool = True) -> None:
        import json

        from breaker.contract import EMPTY_RECORD_VALUE, FREE_LOCK
        from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE

        ev = _breaker_events()
        for name, (low, high, _) in self.FLEET.items():
            self.scaling.register_scalable_target(
                ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
                ResourceId=ev.resource_id(name), MinCapacity=low, MaxCapacity=high)
        self.ssm.put_parameter(Name=ev.PARAMETER, Type="String", Value=EMPTY_RECORD_VALUE,
                               Overwrite=True)
        try:
            self.ssm.delete_parameter(Name=ev.LOCK)  # a new lock restarts at version 1
        except self.ssm.exceptions.ParameterNotFound:
            pass
        if lock:
            self.ssm.put_parameter(Name=ev.LOCK, Type="String", Value=json.dumps(FREE_LOCK))

    def maxima(self) -> dict[str, int]:
        from policies.guardrails.facts.scaling import SCALABLE_DIMENSION, SCALING_NAMESPACE

        targets = self.scaling.describe_scalable_targets(
            ServiceNamespace=SCALING_NAMESPACE, ScalableDimension=SCALABLE_DIMENSION,
        )["ScalableTargets"]
        return {t["ResourceId"]: int(t["MaxCapacity"]) for t in targets}


@contextlib.contextmanager
def breaker_account() -> Any:
    """A BreakerAccount for the length of the block: moto on, the process environment set
    (and put back after), the handler's clients the account's own."""
    import logging
    import os

    from moto import mock_aws

    import breaker.handler

    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing",
                       "AWS_DEFAULT_REGION": _breaker_events().REGION})
    made = breaker.handler.Aws
    logging.disable(logging.CRITICAL)  # every refusal is logged; the classes are the output
    try:
        with _models_parsed_once(), mock_aws():
            account = BreakerAccount()
            os.environ.update(account.environment)
            breaker.handler.Aws = lambda: account.aws  # type: ignore[assignment,misc,return-value]
            yield account
    finally:
        breaker.handler.Aws = made  # type: ignore[misc]
        logging.disable(logging.NOTSET)
        os.environ.clear()
        os.environ.update(saved)


def run_breaker_case(case: BreakerCase, account: BreakerAccount) -> str:
    """The class of one case (see above)."""
    account.reset(lock=not (case.race and case.race[-1]))
    if case.race:
        return _run_race(case, account)
    from breaker.handler import handler

    original = account.maxima()
    try:
        if case.replay:
            if not handler(case.event, None).get("tripped"):
                return "crashed"  # the genuine notification must trip first
            handler({"action": "restore"}, None)
        result = handler(case.event, None)
    except Exception:  # noqa: BLE001 - a crash is a class here
        return "crashed"
    if account.maxima() != original:
        return "wrongly accepted"
    refused = result.get("ok") is False and isinstance(result.get("error"), str)
    return "refused clearly" if refused else "wrongly accepted"


def _run_race(case: BreakerCase, account: BreakerAccount) -> str:
    import json

    from botocore.exceptions import ClientError, ReadTimeoutError

    from breaker.lock import Lock

    ev = _breaker_events()
    claimants, faults, release_faults, early, _ = case.race
    aws = account.aws
    locks = [Lock(aws, ev.LOCK, ttl=150, wait=0) for _ in range(claimants)]
    index = {lock.token: i for i, lock in enumerate(locks)}
    holders: set[int] = set()
    started, wrote, released_once = [False] * claimants, [False] * claimants, set()
    releasing: list[int] = []
    overlapped: list[bool] = []
    original = aws.ssm.put_parameter
    too_many_updates = ClientError({"Error": {"Code": "TooManyUpdates", "Message": "There are "
                                    "concurrent updates for a resource that supports one update "
                                    "at a time."}}, "PutParameter")

    def claim(i: int) -> None:
        started[i] = True
        if locks[i].try_acquire():
            overlapped.append(bool(holders))
            holders.add(i)
            if early[i]:
                release(i)

    def release(i: int) -> None:
        releasing.append(i)
        try:
            locks[i].release()
        finally:
            releasing.pop()
            holders.discard(i)

    def put_parameter(**kwargs: Any) -> Any:
        if kwargs.get("Name") != ev.LOCK:
            return original(**kwargs)
        try:
            owner = json.loads(kwargs["Value"]).get("owner")
        except ValueError:
            owner = None
        if owner in index:
            i = index[owner]
            if i + 1 < claimants and not started[i + 1]:
                claim(i + 1)  # the next claimant reads and writes between i's read and write
            first, wrote[i] = not wrote[i], True
            if first and faults[i] == "too many updates":
                raise too_many_updates
            if first and faults[i] == "lost answer":
                original(**kwargs)
                raise ReadTimeoutError(endpoint_url="https://ssm.us-east-1.amazonaws.com/")
        elif releasing and release_faults[releasing[-1]] and releasing[-1] not in released_once:
            released_once.add(releasing[-1])
            raise too_many_updates
        return original(**kwargs)

    aws.ssm.put_parameter = put_parameter
    try:
        claim(0)
        for i in sorted(holders):
            release(i)
        aws.ssm.put_parameter = original
        free = Lock(aws, ev.LOCK, ttl=150, wait=0).try_acquire()
    except Exception:  # noqa: BLE001 - a crash is a class here
        return "crashed"
    finally:
        aws.ssm.put_parameter = original
    return "wrongly accepted" if any(overlapped) or not free else "refused clearly"


def print_breaker_families(examples: int) -> None:
    """The breaker's families (issue 22): counts per class, as the table above."""
    from hypothesis import HealthCheck, given, settings

    counts: Counter[tuple[str, str]] = Counter()

    with breaker_account() as account:

        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(BREAKER_CASES)
        def one(case: BreakerCase) -> None:
            counts[(case.kind, "generated")] += 1
            counts[(case.kind, run_breaker_case(case, account))] += 1

        one()
    kinds = sorted({kind for kind, _ in counts})
    columns = ("generated", "refused clearly", "wrongly accepted", "crashed")
    print(f"\n{'breaker family':24}" + "".join(f"{c:>18}" for c in columns))
    for kind in kinds:
        print(f"{kind:24}" + "".join(f"{counts[(kind, c)]:>18}" for c in columns))


@contextlib.contextmanager
def _models_parsed_once() -> Any:
    """Every botocore session shares one loader, so each invocation's new session does not parse
    the service models again (as tests/conftest.py does for the suite)."""
    import botocore.session

    loaders: dict[Any, Any] = {}
    original = botocore.session.create_loader

    def shared(search_paths: Any = None) -> Any:
        key = tuple(search_paths) if isinstance(search_paths, list) else search_paths
        if key not in loaders:
            loaders[key] = original(search_paths)
        return loaders[key]

    botocore.session.create_loader = shared
    try:
        yield
    finally:
        botocore.session.create_loader = original


if __name__ == "__main__":
    main()
