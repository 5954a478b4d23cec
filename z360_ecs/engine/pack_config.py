"""The policy pack's thresholds per stack: `policies/config/<stack>.json`.

The same file goes to `pulumi preview|up --policy-pack policies --policy-pack-config
policies/config/<stack>.json` (the workflows pass it) and to `z360-ecs check STACK` and
`review`, which read it by default. A ceiling, a utilisation band or a cooldown bound then
changes in a reviewed pull request, without republishing the pack.

The file has the CLI's format: policy name -> an enforcement level, or an object of settings
(with an optional `enforcementLevel`). It is validated against the pack's own config schemas
once the pack has answered GetAnalyzerInfo (analyzer.merge_config, with the file as the
source): an unknown policy or setting, a value of the wrong type or out of range is refused
with its key path (`policies/config/beta.json: max-capacity-ceiling.ceilings.web: 'x' is not
allowed: expected integer`). What the Pulumi CLI does with the file (pulumi/pulumi
sdk/go/common/resource/analyzer/config.go, `ReconcilePolicyPackConfig`): schema defaults, then
the pack's initial config, then the file; a policy the file names without a level keeps its
own, and the engine sends every policy's level in Configure, as merge_config does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from z360_ecs.engine.analyzer import read_pack_config_file

CONFIG_DIR = Path("policies") / "config"
"""Where the per-stack files live, from the project's root."""


def stack_config_path(stack: str) -> Path:
    """`policies/config/<stack>.json`, relative to the project's root (and to a git tree)."""
    return CONFIG_DIR / f"{stack}.json"


@dataclass(frozen=True)
class PackConfig:
    """The pack config a run uses, and where it came from."""

    values: dict[str, Any] | None
    """The file's content; None: the pack's defaults."""
    source: str
    """How errors and reports name it: the path as given, or `policies/config/<stack>.json`."""


DEFAULTS = PackConfig(None, "the pack's defaults")


def load(path: Path, source: str | None = None) -> PackConfig:
    """The file at `path`; raises analyzer.PackConfigError naming it when it is unreadable."""
    return PackConfig(read_pack_config_file(path), source or str(path))


def for_stack(project_dir: Path, stack: str, explicit: Path | None = None) -> PackConfig:
    """`explicit` when given (`--policy-pack-config FILE`), else the stack's own file when the
    project has one, else the pack's defaults."""
    if explicit is not None:
        return load(explicit)
    path = Path(project_dir) / stack_config_path(stack)
    if path.is_file():
        return load(path, stack_config_path(stack).as_posix())
    return DEFAULTS
