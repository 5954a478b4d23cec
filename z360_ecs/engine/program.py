"""Run the real `__main__.py` for a stack under Pulumi's mock engine, with no cloud.

`run_program` reads the stack's settings with the one stack-file reader (common.py), runs the
program with them and returns every registration the engine would have seen (type, name,
parent, inputs, protect, ignoreChanges, import id), plus the stack outputs and what the program
logged (`notes`: its warnings, each once, for the command to print where it belongs). The raw
property struct of each registration is kept, so the policy pack can be sent exactly what the
engine sends it. `run_or_report` is the commands' way in: a run, or the stack file's or config's
error in one line (no traceback).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import logging
import runpy
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, overload

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import known_types, rpc, settings
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from policies.guardrails.facts.types import (
    ALERT_CHANNEL_COMPONENT,
    CLUSTER_CAPACITY_PROVIDERS_TYPE,
    CLUSTER_TYPE,
    LOG_GROUP_TYPE,
    METRIC_ALARM_TYPE,
    NATIVE_SERVICE_TYPE,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    SCALABLE_SERVICE_COMPONENT,
    SCALING_POLICY_TYPE,
    SERVICE_TYPE,
    TARGET_TYPE,
    TASK_DEFINITION_TYPE,
    TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE,
    TOPIC_TYPE,
)
from stack_model.config import ConfigError
from z360_ecs.common import (
    SECRET_PLACEHOLDER,
    StackFileError,
    StackSettings,
    find_project,
    load_stack_settings,
)
from z360_ecs.engine.mocks import Z360Mocks


class Computed:
    """A value only AWS knows (an ARN, an id); shown as (computed)."""

    def __repr__(self) -> str:
        return "(computed)"


class Secret:
    """A value the program marked secret; shown as [secret]."""

    def __repr__(self) -> str:
        return SECRET_PLACEHOLDER


COMPUTED = Computed()
SECRET = Secret()


class _InputsFromProperties:
    """`Registration.inputs`, made from `properties` the first time it is read, unless given.

    Making them as each resource registered was a third of a millisecond per resource on the
    SDK's worker threads (MessageToDict and the markers), taken from the program's thread, for
    values `check` never reads: 4 s of a check at 1,000 services.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    @overload
    def __get__(self, registration: None, owner: type | None = None) -> None: ...
    @overload
    def __get__(self, registration: Registration, owner: type | None = None) -> dict[str, Any]: ...

    def __get__(self, registration: Registration | None,
                owner: type | None = None) -> dict[str, Any] | None:
        if registration is None:
            return None  # the field's default: made from the properties when read
        inputs = registration.__dict__.get(self._slot)
        if inputs is None:
            inputs = _display(_keep_secrets(registration.properties))
            registration.__dict__[self._slot] = inputs
        return inputs

    def __set__(self, registration: Registration, inputs: dict[str, Any] | None) -> None:
        registration.__dict__[self._slot] = inputs


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    properties: struct_pb2.Struct
    """The serialized inputs, as the engine forwards them to an analyzer."""
    protect: bool
    ignore_changes: list[str]
    import_id: str
    dependencies: list[str]
    provider: str
    retain_on_delete: bool = False
    inputs: _InputsFromProperties = _InputsFromProperties()
    """Inputs with Computed and Secret markers in place of unknown and secret values (from
    `properties` unless given)."""


@dataclass
class ProgramRun:
    settings: StackSettings
    registrations: list[Registration]
    outputs: dict[str, Any]
    preview: bool
    notes: list[str] = field(default_factory=list)
    """What the program logged at warning level or above (`pulumi.log.warn`), each message
    once, in order: the commands print them, the engine would show them as diagnostics."""

    @property
    def resources(self) -> list[Registration]:
        """Registrations other than the root stack."""
        return [r for r in self.registrations if r.type != "pulumi:pulumi:Stack"]

    def by_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def named(self, name: str) -> Registration:
        for registration in self.registrations:
            if registration.name == name:
                return registration
        raise KeyError(name)


def _as_config_text(value: Any) -> str:
    # The CLI hands the program strings as themselves and everything else as JSON.
    return value if isinstance(value, str) else json.dumps(value)


# --- running -----------------------------------------------------------------------------


def _display(value: Any) -> Any:
    """Engine-serialized data as plain values: unknowns and secrets become markers, and the
    floats a protobuf Struct makes of every number become ints again where whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET
        return {k: _display(v) for k, v in value.items() if k != "__defaults"}
    if isinstance(value, list):
        return [_display(v) for v in value]
    if value == rpc.UNKNOWN:
        return COMPUTED
    return value


class RunObserver(Protocol):
    """Told of a run as it happens, as the engine's analyzer is: the stack's settings before
    the program starts, then each registration as it is made, in `ProgramRun.registrations`
    order."""

    def started(self, settings: StackSettings, preview: bool) -> None: ...

    def registered(self, registration: Registration) -> None: ...


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping each registration request the engine would get."""

    def __init__(self, mocks: pulumi.runtime.Mocks, observer: RunObserver | None = None) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._observer = observer
        # The SDK registers from a pool of threads: one order for the list and the observer.
        self._order = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        with self._order:
            self._record(request)
        return super().RegisterResource(request)

    def _record(self, request: Any) -> None:
        urn = self.make_urn(request.parent, request.type, request.name)
        properties = struct_pb2.Struct()
        properties.CopyFrom(request.object)
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=request.custom,
            properties=properties,
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            import_id=request.importId,
            dependencies=list(request.dependencies),
            provider=request.provider,
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
        )
        self.registrations.append(registration)
        if self._observer is not None:
            self._observer.registered(registration)


def _keep_secrets(struct: struct_pb2.Struct) -> Any:
    """The struct as plain data, secrets still wrapped so they can be shown as [secret]."""
    from google.protobuf import json_format

    return json_format.MessageToDict(struct) if struct is not None else {}


def _resolve(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        if _sync_await(value.is_secret()):
            return SECRET
        if not _sync_await(value.is_known()):
            return COMPUTED
        return _resolve(_sync_await(value.future(with_unknowns=True)))
    if type(value).__name__ == "Unknown":
        return COMPUTED
    if isinstance(value, Mapping):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve(v) for v in value]
    return value


# A full collection traverses every live object, and a program run keeps each resource's
# futures and Outputs alive until it ends: at 300 services full collections took half the
# run's CPU, and their share grows with the stack. Young collections still run as usual.
_FULL_COLLECTION_THRESHOLD = 10_000


@contextlib.contextmanager
def rare_full_collections() -> Iterator[None]:
    """Full collections only every _FULL_COLLECTION_THRESHOLD young ones while inside: for a run,
    and for a command that ends right after one (the run's garbage dies with the process, and
    the one full collection it would trigger walked every imported module: 0.2 s of a check)."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, _FULL_COLLECTION_THRESHOLD))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


def _freeze_heap_at_exit() -> None:
    gc.freeze()


_freeze_registered = False


def freeze_heap_at_exit() -> None:
    """Let this process end without its final collections walking the heap.

    At exit the interpreter collects every generation, more than once, as it tears the modules
    down (Python/pylifecycle.c, Py_FinalizeEx and finalize_modules): after a run, a walk of
    every object the program, pulumi_aws's types and the SDK made, which was 0.4-0.8 s of a
    1.9 s `check beta`. An atexit handler runs before those collections; `gc.freeze()` moves
    every object to the permanent generation, which no collection visits. Nothing is lost: the
    memory goes back with the process, and the handlers registered before this one still run.
    Once per process, however many runs it makes.
    """
    global _freeze_registered
    if not _freeze_registered:
        atexit.register(_freeze_heap_at_exit)
        _freeze_registered = True


# Pulumi's SDK records, for every resource it registers, the Python stack that created it
# (pulumi/runtime/resource.py, `_get_stack_trace`: traceback.extract_stack, which reads each
# frame's source line) and sends it as RegisterResourceRequest.sourcePosition/stackTrace, for the
# engine's diagnostics. The mock monitor reads neither (pulumi/runtime/mocks.py,
# MockMonitor.RegisterResource; RecordingMonitor below records the inputs and options only), and
# extracting the stacks was about half of a run's CPU. Under the mock engine the SDK gets an empty
# stack instead; a real `pulumi up` never runs through here.
_EMPTY_STACK_TRACE = source_pb2.StackTrace()


@contextlib.contextmanager
def _no_stack_traces() -> Iterator[None]:
    real = getattr(pulumi_resource, "_get_stack_trace", None)
    if real is None:  # another SDK version: leave it alone
        yield
        return
    pulumi_resource._get_stack_trace = lambda: _EMPTY_STACK_TRACE
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = real


_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def contains_unknowns(val: Any) -> bool:
    """`pulumi.runtime.rpc.contains_unknowns`, the same answer without its garbage.

    The SDK's (pulumi 3.272, pulumi/runtime/rpc.py) defines a recursive inner function on every
    call, annotated `set[int]`: the function and its own closure cell form a reference cycle, so
    each call leaves six objects only the cyclic collector frees. `_OutputData.__post_init__`
    calls it for every Output (pulumi/output.py), so a run at 300 services left 1.1 million of
    them, and the collector's young passes over them were a tenth of the run's CPU. This walks
    the same values (a dict's values, a list's items, each object once by id) with a list.
    """
    if type(val) in _SCALARS:  # most Outputs hold a string or a number
        return False
    is_unknown = known_types.is_unknown
    seen: set[int] = set()
    pending = [val]
    while pending:
        item = pending.pop()
        if is_unknown(item):
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        if type(item) is dict:
            pending.extend(item.values())
        elif isinstance(item, dict):  # a subclass may read its items its own way
            pending.extend(item[key] for key in item)
        elif isinstance(item, list):
            pending.extend(item)
    return False


@contextlib.contextmanager
def _acyclic_unknown_checks() -> Iterator[None]:
    # Every caller in the SDK reads it as `rpc.contains_unknowns` (pulumi/output.py) or as
    # rpc's own global, so replacing the module attribute reaches them all.
    real = getattr(rpc, "contains_unknowns", None)
    if real is None:  # another SDK version: leave it alone
        yield
        return
    rpc.contains_unknowns = contains_unknowns
    try:
        yield
    finally:
        rpc.contains_unknowns = real


class _Notes(logging.Handler):
    """Keeps what the program logs through the mock engine (`MockEngine.Log`), instead of
    printing it as it happens: the command prints it in its place, once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:
            self.messages.append(message)


def _notes_logger() -> tuple[logging.Logger, _Notes]:
    # A logger of the run's own, outside logging's registry: nothing else reaches it, and it
    # is dropped with the run.
    logger = logging.Logger("z360-ecs program", logging.WARNING)
    notes = _Notes()
    logger.addHandler(notes)
    return logger, notes


def _run_main(program: str) -> None:
    runpy.run_path(program, run_name="__main__")


@contextlib.contextmanager
def _collector_off(last_in_process: bool) -> Iterator[None]:
    """The cyclic collector off for a run; with `last_in_process`, what it built then frozen.

    A run's objects live until it ends (the SDK keeps every resource with its Outputs, futures
    and tasks), so the collector's passes over them while it runs free nothing: with the SDK's
    unknown-check garbage gone (`contains_unknowns`), a run at 300 services makes about 2,000
    cyclic objects, and its young and middle collections were a quarter of its CPU. The run's
    garbage is collected as usual once it is over. In a command the process ends with the run
    (`last_in_process`): what it built is moved out of every later collection's way
    (gc.freeze: the permanent generation), and the process's memory goes back with it.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if last_in_process:
            gc.freeze()
        if collecting:
            gc.enable()


def run_program(
    stack: str,
    project_dir: Path | None = None,
    stack_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    preview: bool = True,
    settings_override: StackSettings | None = None,
    echo_notes: bool = True,
    last_in_process: bool = False,
    observer: RunObserver | None = None,
) -> ProgramRun:
    """Run `__main__.py` for `stack` under mocks; raises the program's own errors.

    `project_dir` None: the project found from the working directory (common.find_project).
    A ConfigError from the program propagates unchanged, with nothing registered beyond the
    root stack. What the program logs is kept in `notes` and, with `echo_notes` or when the program fails,
    printed to stderr once the run is over (the commands that print the notes in their place
    pass False). `last_in_process`: the caller's process ends soon after this run (a command),
    so what the program builds is frozen out of the collector's way until then
    (`_collector_off`); a process that runs the program again and again (the tests) leaves it
    False, or the cyclic garbage of every run would stay. `observer` is told of the run as it
    happens (RunObserver).
    """
    project_dir = project_dir if project_dir is not None else find_project()
    stack_settings = settings_override or load_stack_settings(
        stack, project_dir, stack_file, overrides
    )
    mocks = Z360Mocks(preview=preview)
    monitor = RecordingMonitor(mocks, observer)
    if observer is not None:
        observer.started(stack_settings, preview)
    logger, notes = _notes_logger()
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_all_config(
        {k: _as_config_text(v) for k, v in stack_settings.config.items()},
        stack_settings.secret_keys,
    )
    pulumi_mocks.set_mocks(
        mocks, project=stack_settings.project, stack=stack, preview=preview, monitor=monitor,
        logger=logger,
    )
    root = settings.get_root_resource()
    program = str(project_dir / "__main__.py")
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    finished = False
    freeze_heap_at_exit()
    try:
        with _collector_off(last_in_process), _no_stack_traces(), _acyclic_unknown_checks():
            _sync_await(run_pulumi_func(lambda: _run_main(program)))
            outputs = _resolve(dict(getattr(root, "outputs", {}) or {}))
        finished = True
    finally:
        if added_path:
            sys.path.remove(str(project_dir))
        settings.set_root_resource(None)  # type: ignore[arg-type]
        if echo_notes or not finished:  # a failed run has no caller to print them
            for note in notes.messages:
                print(f"note: {note}", file=sys.stderr)
    return ProgramRun(
        settings=stack_settings,
        registrations=list(monitor.registrations),
        outputs=outputs,
        preview=preview,
        notes=notes.messages,
    )


def run_or_report(
    args: argparse.Namespace, preview: bool = True, echo_notes: bool = True,
    last_in_process: bool = False, observer: RunObserver | None = None,
) -> ProgramRun | None:
    """Run the program for args.stack; print a config error (no traceback) and return None."""
    try:
        return run_program(args.stack, project_dir=args.project_dir,
                           stack_file=args.stack_file, preview=preview, echo_notes=echo_notes,
                           last_in_process=last_in_process, observer=observer)
    except (ConfigError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


@dataclass
class ResourceNode:
    registration: Registration
    children: list[ResourceNode] = field(default_factory=list)


# Siblings are listed in this order of type, then by name. Registration order is not stable:
# the SDK completes registrations on a thread pool as their inputs resolve.
TYPE_ORDER = (
    ALERT_CHANNEL_COMPONENT, TOPIC_TYPE, TOPIC_POLICY_TYPE,
    TOPIC_SUBSCRIPTION_TYPE, CLUSTER_TYPE,
    CLUSTER_CAPACITY_PROVIDERS_TYPE, SCALABLE_SERVICE_COMPONENT,
    LOG_GROUP_TYPE, ROLE_TYPE,
    ROLE_POLICY_TYPE, TASK_DEFINITION_TYPE,
    SERVICE_TYPE, NATIVE_SERVICE_TYPE, TARGET_TYPE,
    SCALING_POLICY_TYPE, METRIC_ALARM_TYPE,
)


def _sibling_key(node: ResourceNode) -> tuple[int, str]:
    registration = node.registration
    try:
        rank = TYPE_ORDER.index(registration.type)
    except ValueError:
        rank = len(TYPE_ORDER)
    return rank, registration.name


def resource_tree(run: ProgramRun) -> list[ResourceNode]:
    """Registrations nested under their parents, siblings in a stable order."""
    nodes = {r.urn: ResourceNode(r) for r in run.registrations}
    roots = []
    for registration in run.registrations:
        node = nodes[registration.urn]
        parent = nodes.get(registration.parent)
        if parent is not None:
            parent.children.append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node.children.sort(key=_sibling_key)
    roots.sort(key=_sibling_key)
    return roots


def walk(nodes: list[ResourceNode]) -> list[Registration]:
    """The tree's registrations depth first, parents before children."""
    ordered: list[Registration] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        ordered.append(node.registration)
        stack.extend(reversed(node.children))
    return ordered
