"""`services.<key>.importIds`: the running resources a service adopts, and the format of each
id. Whether an id names the very resource the program declares needs the whole stack: that is
adoption.py's check, run from StackConfig."""

from __future__ import annotations

from pydantic import model_validator

from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, raise_problems
from stack_model.config.limits import IMPORT_FORMATS


class ImportIds(ConfigModel):
    """Existing AWS resources this service adopts instead of creating (Pulumi import ids).

    Formats follow pulumi-aws: each id must name the very resource the program would create,
    which the stack config checks against the service's names.
    """

    service: str | None = None
    """`<cluster name>/<service name>` of the running ECS service."""
    task_definition: str | None = None
    """ARN of the task definition revision to adopt."""
    log_group: str | None = None
    """Name of the existing log group (`/ecs/<family>`)."""
    scalable_target: str | None = None
    """`ecs/service/<cluster>/<service>/ecs:service:DesiredCount`."""
    cpu_policy: str | None = None
    """`ecs/service/<cluster>/<service>/ecs:service:DesiredCount/<policy name>`."""
    memory_policy: str | None = None
    """As cpuPolicy, for the memory policy."""
    cpu_alarm: str | None = None
    """Alarm name (`<namePrefix>-high-cpu`)."""
    memory_alarm: str | None = None
    """Alarm name (`<namePrefix>-high-memory`)."""
    spike_alarm: str | None = None
    """Alarm name (`<namePrefix>-task-count-spike`)."""

    @model_validator(mode="after")
    def _formats(self) -> ImportIds:
        problems: list[tuple[KeyPath, str]] = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            kind = ("policy" if name.endswith("_policy")
                    else "alarm" if name.endswith("_alarm") else name)
            pattern, expected = IMPORT_FORMATS[kind]
            if not pattern.fullmatch(value):
                problems.append(((field.alias or name,), f"{value!r} is not an import id of this "
                                 f"kind: must be {expected}"))
        raise_problems(problems)
        return self
