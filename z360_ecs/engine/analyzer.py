"""Drive the policy pack as the Pulumi engine does: its own process, the real gRPC Analyzer
protocol, no cloud.

`PolicyPackProcess` starts `<python> -u -m pulumi.policy <engine-address> <pack-dir>` (the
pack's virtualenv python when `policies/venv` exists), reads the port the pack prints, and
talks to it through `AnalyzerStub`. `Analysis` then does what a `pulumi preview --policy-pack
policies` does with the analyzer: GetAnalyzerInfo and Configure (every policy with an explicit
enforcement level and the merged config) while the program runs, then ConfigureStack, one
Analyze per resource and AnalyzeStack over all of them; it returns the findings.
`LiveAnalysis` sends each Analyze while the program runs, from a process of its own
(analyze_stream.py), as the engine does; `analyze_run(run)` analyses a run that is over.

Config is merged as the CLI merges it: each policy's schema defaults, then the pack's
initial config, then the `--policy-pack-config` file.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast

import policies
from stack_model.config.source import SourceError, decode_utf8, read_file
from z360_ecs.engine import analyze_stream
from z360_ecs.engine.analyze_stream import ANALYZE_WINDOW, CHANNEL_OPTIONS, RPC_TIMEOUT_SECONDS

if TYPE_CHECKING:  # the heavy imports wait until a pack actually starts
    from z360_ecs.common import StackSettings
    from z360_ecs.engine.program import ProgramRun, Registration

# The pack the tools were installed with, whose facts they import (code, like the program's
# components); the project's data (Pulumi.yaml, stack files) comes from common.find_project.
PACK_DIR = Path(policies.__file__).resolve().parent
# The CLI passes the engine's address; the Python pack parses it and never uses it.
UNUSED_ENGINE_ADDRESS = "127.0.0.1:0"
START_TIMEOUT_SECONDS = 60.0

LEVELS = ("advisory", "mandatory", "disabled", "remediate")  # proto enum order
LEVEL_ORDER = {"mandatory": 0, "remediate": 1, "advisory": 2, "disabled": 3}


class PackError(Exception):
    """The pack would not start or answer."""


class PackConfigError(Exception):
    """A policy pack config file is unreadable or does not fit the pack's schemas."""


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    """mandatory, advisory (or remediate)."""
    message: str
    """What is wrong, without the policy's description."""
    urn: str
    """The resource's URN; the stack's for a stack-wide finding."""
    resource_name: str
    resource_type: str
    description: str = ""
    """The policy's one-sentence description."""
    unknown_during_preview: bool = False
    """The policy could not run: a value it reads is known only after the resource exists."""

    @property
    def blocking(self) -> bool:
        return self.level in ("mandatory", "remediate") and not self.unknown_during_preview


@dataclass
class PackInfo:
    name: str
    version: str
    policies: dict[str, dict[str, Any]]
    """Policy name -> {level, description, type, schema}."""
    initial_config: dict[str, dict[str, Any]]


def pack_python(pack_dir: Path = PACK_DIR) -> tuple[str, str]:
    """(interpreter, where it comes from): the pack's venv as `pulumi` uses it, else ours."""
    venv_python = pack_dir / "venv" / "bin" / "python"
    if venv_python.exists():
        return str(venv_python), "policies/venv"
    return sys.executable, "sys.executable (no policies/venv; run scripts/setup)"


def _declared_version(pack_dir: Path) -> str | None:
    """The version in PulumiPolicy.yaml, which the CLI reports (a Python pack always says
    0.0.1 itself)."""
    import yaml

    try:
        document = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return None
    version = document.get("version") if isinstance(document, dict) else None
    return str(version) if version else None


# --- config ------------------------------------------------------------------------------------


def _level_name(value: int) -> str:
    return LEVELS[value] if 0 <= value < len(LEVELS) else "advisory"


def read_pack_config_file(path: Path) -> dict[str, Any]:
    """A `--policy-pack-config` JSON file: {policy: level | {enforcementLevel?, ...props}}."""
    try:
        document = json.loads(decode_utf8(read_file(Path(path)), "the file"))
    except SourceError as exc:
        raise PackConfigError(f"{path}: {exc.message}") from None
    except ValueError as exc:
        raise PackConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PackConfigError(f"{path}: expected a JSON object of policy name -> config")
    return document


_JSON_TYPES: dict[str, Any] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _type_problems(where: str, value: Any, schema: Mapping[str, Any]) -> list[str]:
    expected = schema.get("type")
    check = _JSON_TYPES.get(expected) if isinstance(expected, str) else None
    if check is not None and not check(value):
        return [f"{where}: {value!r} is not allowed: expected {expected}"]
    problems = []
    if expected in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: {value!r} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: {value!r} is above the maximum {schema['maximum']}")
    items = schema.get("additionalProperties")
    if expected == "object" and isinstance(items, Mapping):
        for key, item in value.items():
            problems.extend(_type_problems(f"{where}.{key}", item, items))
    return problems


def merge_config(
    info: PackInfo, file_config: Mapping[str, Any] | None = None, source: str = "config"
) -> dict[str, dict[str, Any]]:
    """Policy -> {"enforcementLevel": level, **properties}, for every policy of the pack.

    Schema defaults, then the pack's initial config, then `file_config` (which may name
    `all` to set every policy's level). Raises PackConfigError listing every problem.
    """
    merged: dict[str, dict[str, Any]] = {}
    for name, policy in info.policies.items():
        properties = policy["schema"].get("properties", {})
        merged[name] = {"enforcementLevel": policy["level"]}
        for key, spec in properties.items():
            if isinstance(spec, Mapping) and "default" in spec:
                merged[name][key] = spec["default"]
    problems: list[str] = []
    for layer, layer_source in ((info.initial_config, "the pack's initial config"),
                                (file_config or {}, source)):
        # `all` first, so a policy named in the same layer overrides it.
        for name, value in sorted(layer.items(), key=lambda item: item[0] != "all"):
            targets = list(merged) if name == "all" else [name]
            if name != "all" and name not in merged:
                problems.append(
                    f"{layer_source}: {name!r} is not a policy of {info.name} "
                    f"(allowed: all, {', '.join(sorted(merged))})"
                )
                continue
            if isinstance(value, str):
                value = {"enforcementLevel": value}
            if not isinstance(value, Mapping):
                problems.append(
                    f"{layer_source}: {name}: {value!r} is not allowed: expected an "
                    "enforcement level or an object"
                )
                continue
            for target in targets:
                for key, item in value.items():
                    where = f"{layer_source}: {target}.{key}"
                    if key == "enforcementLevel":
                        if item not in LEVELS:
                            problems.append(
                                f"{where}: {item!r} is not allowed (allowed: "
                                f"{', '.join(LEVELS)})"
                            )
                            continue
                    elif name == "all":
                        continue  # `all` sets levels only
                    else:
                        schema = info.policies[target]["schema"].get("properties", {})
                        if key not in schema:
                            allowed = ", ".join(["enforcementLevel", *sorted(schema)])
                            problems.append(
                                f"{where}: unknown setting (allowed: {allowed})"
                            )
                            continue
                        problems.extend(_type_problems(where, item, schema[key]))
                    merged[target][key] = item
    if problems:
        raise PackConfigError("\n".join(problems))
    return merged


# --- the pack process ----------------------------------------------------------------------------


@dataclass
class _Output:
    lines: list[str] = field(default_factory=list)


def _pump(stream: Any, sink: _Output, first_line: queue.Queue | None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        if first_line is not None:
            first_line.put(line)
            first_line = None
        else:
            sink.lines.append(line)
    if first_line is not None:
        first_line.put(None)


class PolicyPackProcess:
    """The pack running as its own process, as the engine runs it; a context manager that
    always ends the process."""

    def __init__(
        self, pack_dir: Path = PACK_DIR, python: str | None = None, connect: bool = True
    ) -> None:
        """`connect=False`: entering only launches the process; call connect() (or
        analyze_run) later, so start-up overlaps whatever the caller does meanwhile."""
        self.pack_dir = Path(pack_dir)
        self._connect_on_enter = connect
        self._started = 0.0
        self._port_line: queue.Queue[str | None] = queue.Queue()
        if python is None:
            self.python, self.python_source = pack_python(self.pack_dir)
        else:
            self.python, self.python_source = python, "given"
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        """From launching the process until GetAnalyzerInfo answered."""
        self._stderr = _Output()
        self._stdout = _Output()
        self._channel: Any = None
        self.port: int | None = None
        """Where the pack listens, once connected."""
        self.stub: Any = None
        self.info: PackInfo | None = None

    def __enter__(self) -> PolicyPackProcess:
        try:
            self.launch()
            if self._connect_on_enter:
                self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> PackInfo:
        """Launch the process and wait until it answers GetAnalyzerInfo."""
        self.launch()
        return self.connect()

    def launch(self) -> None:
        """Start the process without waiting for it, so the caller can work meanwhile."""
        if self.process is not None:
            return
        self._started = time.perf_counter()
        self.process = subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", UNUSED_ENGINE_ADDRESS, str(self.pack_dir)],
            cwd=self.pack_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        for stream, sink, first in ((self.process.stdout, self._stdout, self._port_line),
                                    (self.process.stderr, self._stderr, None)):
            threading.Thread(target=_pump, args=(stream, sink, first), daemon=True).start()

    def connect(self) -> PackInfo:
        """Wait for the port the pack prints, then ask for its policies (idempotent)."""
        if self.info is not None:
            return self.info
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        self.launch()
        try:
            line = self._port_line.get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            raise PackError(self._failure(f"no port within {START_TIMEOUT_SECONDS:g} s")) from None
        if line is None or not line.strip().isdigit():
            raise PackError(self._failure(f"expected a port on stdout, got {line!r}"))
        self.port = int(line.strip())
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}",
            options=CHANNEL_OPTIONS,
        )
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self.info = self.get_info()
        self.startup_seconds = time.perf_counter() - self._started
        return self.info

    def _failure(self, what: str) -> str:
        time.sleep(0.2)  # let stderr arrive
        stderr = "\n".join(self._stderr.lines[-30:])
        return (f"policy pack {self.pack_dir} ({self.python}) did not start: {what}"
                + (f"\n{stderr}" if stderr else ""))

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr) if self.process else ():
            if stream is not None:
                stream.close()

    # --- protocol ---------------------------------------------------------------------------

    def get_info(self) -> PackInfo:
        from google.protobuf import empty_pb2, json_format

        response = self.stub.GetAnalyzerInfo(
            empty_pb2.Empty(), timeout=RPC_TIMEOUT_SECONDS, wait_for_ready=True
        )
        policies = {}
        for policy in response.policies:
            policies[policy.name] = {
                "level": _level_name(policy.enforcementLevel),
                "description": policy.description,
                "type": "stack" if policy.policy_type == 2 else "resource",
                "schema": {
                    "properties": json_format.MessageToDict(policy.configSchema.properties),
                    "required": list(policy.configSchema.required),
                },
            }
        initial = {}
        for name, config in response.initialConfig.items():
            entry = json_format.MessageToDict(config.properties)
            # proto3 cannot tell "advisory" (0) from "not set": only a non-zero level overrides.
            if config.enforcementLevel:
                entry["enforcementLevel"] = _level_name(config.enforcementLevel)
            initial[name] = entry
        return PackInfo(response.name, _declared_version(self.pack_dir) or response.version,
                        policies, initial)

    def configure(self, merged: Mapping[str, Mapping[str, Any]]) -> None:
        """Send every policy's config, each with its level: a policy sent without one would
        silently become advisory."""
        from google.protobuf import struct_pb2
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, config in merged.items():
            properties = struct_pb2.Struct()
            properties.update({k: v for k, v in config.items() if k != "enforcementLevel"})
            request.policyConfig[name].CopyFrom(analyzer_pb2.PolicyConfig(
                enforcementLevel=cast(Any, LEVELS.index(config["enforcementLevel"])),
                properties=properties,
            ))
        self.stub.Configure(request, timeout=RPC_TIMEOUT_SECONDS)

    def configure_stack(self, settings: StackSettings, dry_run: bool) -> bool:
        """ConfigureStack where the SDK implements it; False when it does not."""
        import grpc
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=settings.stack, project=settings.project, organization="organization",
            dry_run=dry_run, config_secret_keys=list(settings.secret_keys),
        )
        for key, value in settings.config.items():
            request.config[key] = value if isinstance(value, str) else json.dumps(value)
        try:
            self.stub.ConfigureStack(request, timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                return False
            raise
        return True

    def analyze(self, registration: Registration) -> list[Finding]:
        response = self.stub.Analyze(analyze_request(registration), timeout=RPC_TIMEOUT_SECONDS)
        return self.analyze_findings(registration, response)

    def analyze_async(self, registration: Registration) -> Any:
        """Send one Analyze without waiting: a future of its AnalyzeResponse."""
        return self.stub.Analyze.future(analyze_request(registration),
                                        timeout=RPC_TIMEOUT_SECONDS)

    def analyze_findings(self, registration: Registration, response: Any) -> list[Finding]:
        return [_finding(d, registration.urn, {registration.urn: registration})
                for d in response.diagnostics]

    def analyze_stack(
        self, registrations: Iterable[Registration], stack_urn: str
    ) -> list[Finding]:
        by_urn = {r.urn: r for r in registrations}
        response = self.stub.AnalyzeStack(analyze_stack_request(by_urn.values()),
                                          timeout=RPC_TIMEOUT_SECONDS)
        return [_finding(d, stack_urn, by_urn) for d in response.diagnostics]


def analyze_request(registration: Registration) -> Any:
    """The AnalyzeRequest the engine sends for one registered resource."""
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzeRequest(
        type=registration.type, urn=registration.urn, name=registration.name,
        properties=registration.properties, options=_options(registration),
    )


def analyze_stack_request(registrations: Iterable[Registration]) -> Any:
    """The AnalyzeStackRequest the engine sends once the program is done."""
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.AnalyzeStackRequest()
    for registration in registrations:
        request.resources.append(analyzer_pb2.AnalyzerResource(
            type=registration.type, urn=registration.urn, name=registration.name,
            properties=registration.properties, options=_options(registration),
            parent=registration.parent, dependencies=registration.dependencies,
        ))
    return request


def _options(registration: Registration) -> Any:
    from pulumi.runtime.proto import analyzer_pb2

    return analyzer_pb2.AnalyzerResourceOptions(
        protect=registration.protect,
        ignoreChanges=registration.ignore_changes,
        parent=registration.parent,
    )


def _finding(diagnostic: Any, default_urn: str, by_urn: Mapping[str, Registration]) -> Finding:
    urn = diagnostic.urn or default_urn
    registration = by_urn.get(urn)
    message = diagnostic.message
    unknown = message.startswith("can't run policy")
    if unknown:
        # "can't run policy 'x' from policy pack 'p@v1' during preview: <what is unknown>"
        message = message.split("during preview: ", 1)[-1]
    # The SDK sends "<description>\n<message>"; keep what is specific to this resource.
    if diagnostic.description and message.startswith(diagnostic.description):
        message = message[len(diagnostic.description):].lstrip("\n") or diagnostic.description
    return Finding(
        policy=diagnostic.policyName,
        level=_level_name(diagnostic.enforcementLevel),
        message=message,
        urn=urn,
        resource_name=registration.name if registration else urn.rsplit("::", 1)[-1],
        resource_type=registration.type if registration else "pulumi:pulumi:Stack",
        description=diagnostic.description,
        unknown_during_preview=unknown,
    )


# --- one program run ---------------------------------------------------------------------------

class Analysis:
    """The pack's analysis of one program run. A thread of its own connects to the pack and
    configures it while the program runs (the pack starts in about the time the program
    imports take); `findings(run)` then sends ConfigureStack, every Analyze without waiting for
    each answer (at most ANALYZE_WINDOW in flight, so the pack works in its own process while
    this one sends), and AnalyzeStack, and returns every finding in registration order. It
    raises what the pack or its config raised (PackError, PackConfigError, a failed request),
    and only then, so a stack-file error still comes first. A context manager that always ends
    its thread.

    Sending each Analyze from this process while the program registers was measured slower:
    the gRPC client's threads took the interpreter lock from the program's (at 100 services
    the program took 40 % longer and the whole check no less). `LiveAnalysis` sends them while
    it runs from a process of its own, as the engine does.
    """

    def __init__(
        self,
        pack: PolicyPackProcess,
        pack_config: Mapping[str, Any] | None = None,
        config_source: str = "config",
    ) -> None:
        self.pack = pack
        self._config = pack_config
        self._source = config_source
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._prepare, name="z360-ecs analysis",
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join()

    def _prepare(self) -> None:
        try:
            info = self.pack.connect()
            self.pack.configure(merge_config(info, self._config, self._source))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in findings()
            self._error = exc

    def resource_findings(self, run: ProgramRun) -> list[Finding]:
        """ConfigureStack, then one Analyze per registration: every finding, in registration
        order."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        self.pack.configure_stack(run.settings, run.preview)
        findings: list[Finding] = []
        sent: deque[tuple[Registration, Any]] = deque()
        for registration in run.registrations:
            sent.append((registration, self.pack.analyze_async(registration)))
            while len(sent) > ANALYZE_WINDOW:
                findings.extend(self._answer(*sent.popleft()))
        while sent:
            findings.extend(self._answer(*sent.popleft()))
        return findings

    def _answer(self, registration: Registration, answer: Any) -> list[Finding]:
        return self.pack.analyze_findings(registration, answer.result())

    def findings(self, run: ProgramRun) -> list[Finding]:
        """Every finding of the pack on `run`: its Analyze findings, then AnalyzeStack's."""
        analyzed = self.resource_findings(run)
        stack_urn = run.registrations[0].urn if run.registrations else ""
        return [*analyzed, *self.pack.analyze_stack(run.registrations, stack_urn)]


class LiveAnalysis(Analysis):
    """An Analysis whose Analyze requests reach the pack while the program runs, as the
    engine's do: a RunObserver for `run_program`.

    Each registration, as it is made, is written as a serialized AnalyzeRequest to a process of
    its own (engine/analyze_stream.py), which sends it to the pack once the pack is configured:
    Configure, then ConfigureStack with the run's settings (told before the program starts),
    then the requests that waited. So the pack analyses on the machine's other CPU while the
    program runs on this one, and the program's process makes no gRPC call while it runs.
    `resource_findings(run)` collects the answers, in registration order, after the run.
    """

    def __init__(
        self,
        pack: PolicyPackProcess,
        pack_config: Mapping[str, Any] | None = None,
        config_source: str = "config",
    ) -> None:
        self._settings: tuple[StackSettings, bool] | None = None
        self._settings_told = threading.Event()
        self._writing = threading.Lock()
        self._sent = 0
        self._stream_error: BaseException | None = None
        # A file, not a pipe, so nothing it says can ever make it wait for a reader.
        self._stream_stderr = tempfile.TemporaryFile()
        self.stream = subprocess.Popen(
            [sys.executable, "-m", "z360_ecs.engine.analyze_stream"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stream_stderr,
            bufsize=0,  # each frame reaches the stream's process when written
            env={**os.environ, "PYTHONPATH": _own_path()},
        )
        super().__init__(pack, pack_config, config_source)

    def __exit__(self, *exc: object) -> None:
        self._settings_told.set()  # a run that failed before it started is told nothing
        super().__exit__(*exc)
        if self.stream.poll() is None:
            self.stream.kill()
        self.stream.wait()
        for pipe in (self.stream.stdin, self.stream.stdout, self._stream_stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):  # nothing is buffered; the process is gone
                    pipe.close()

    def _prepare(self) -> None:
        super()._prepare()
        if self._error is not None:
            return
        self._settings_told.wait()
        if self._settings is None:
            return
        try:
            self.pack.configure_stack(*self._settings)
            self._write(analyze_stream.PORT, str(self.pack.port).encode())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in findings()
            self._error = exc

    def _write(self, kind: bytes, payload: bytes) -> None:
        with self._writing:
            if self._stream_error is not None:
                return
            try:
                analyze_stream.write_frame(cast(Any, self.stream.stdin), kind, payload)
            except OSError as exc:  # the stream's process ended: told after the run
                self._stream_error = exc

    def started(self, settings: StackSettings, preview: bool) -> None:
        self._settings = (settings, preview)
        self._settings_told.set()

    def registered(self, registration: Registration) -> None:
        self._write(analyze_stream.REQUEST, analyze_request(registration).SerializeToString())
        self._sent += 1

    def resource_findings(self, run: ProgramRun) -> list[Finding]:
        from pulumi.runtime.proto import analyzer_pb2

        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._sent != len(run.registrations):
            raise PackError(f"{self._sent} resources were sent to the pack as they registered, "
                            f"but the run has {len(run.registrations)}: analyse it with Analysis")
        self._write(analyze_stream.END, b"")
        stdin, stdout = cast(Any, self.stream.stdin), cast(Any, self.stream.stdout)
        try:
            stdin.close()
        except OSError as exc:
            self._stream_error = self._stream_error or exc
        answers: list[bytes] = []
        while (frame := analyze_stream.read_frame(stdout)) is not None:
            kind, payload = frame
            if kind == analyze_stream.FAILED:
                raise PackError(f"Analyze failed: {payload.decode(errors='replace')}")
            answers.append(payload)
        if len(answers) != len(run.registrations):
            self.stream.wait()
            self._stream_stderr.seek(0)
            stderr = self._stream_stderr.read()[-4000:].decode(errors="replace").strip()
            raise PackError(f"the Analyze stream answered {len(answers)} of "
                            f"{len(run.registrations)} resources"
                            + (f": {self._stream_error}" if self._stream_error else "")
                            + (f"\n{stderr}" if stderr else ""))
        findings: list[Finding] = []
        for registration, answer in zip(run.registrations, answers, strict=True):
            findings.extend(self.pack.analyze_findings(
                registration, analyzer_pb2.AnalyzeResponse.FromString(answer)))
        return findings


def _own_path() -> str:
    """PYTHONPATH for a child that imports this package from where it was imported."""
    root = str(Path(__file__).resolve().parents[2])
    inherited = os.environ.get("PYTHONPATH")
    return root if not inherited else f"{root}{os.pathsep}{inherited}"


def analyze_run(
    run: ProgramRun,
    pack_config: Mapping[str, Any] | None = None,
    pack: PolicyPackProcess | None = None,
    config_source: str = "config",
) -> list[Finding]:
    """Every finding of the pack on a finished `run`, as a `pulumi preview --policy-pack`
    would report.

    Starts (and ends) a pack process unless `pack` is given. Raises PackConfigError for a
    config that does not fit the pack, PackError when the pack does not start.
    """
    if pack is None:
        with PolicyPackProcess() as started:
            return analyze_run(run, pack_config, started, config_source)
    with Analysis(pack, pack_config, config_source) as analysis:
        return analysis.findings(run)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Mandatory first, then advisory, then the ones preview could not check; by resource."""
    return sorted(findings, key=lambda f: (
        f.unknown_during_preview, LEVEL_ORDER.get(f.level, 9), f.resource_type,
        f.resource_name, f.policy, f.message,
    ))
