"""Stack configuration: one typed model, read once, validated before anything is created.

`load_stack_config(raw)` takes the project's config keys as plain data (what
`pulumi.Config().get_object(...)` returns, or a stack file's values) and returns a
`StackConfig`, or raises `ConfigError` listing every problem at once. Each problem names the
stack file key path (`services.web.memory`), the bad value and what is allowed.

`serviceDefaults` is deep-merged under every service before validation, so stack files only
say what differs; a bad default is reported once, at its `serviceDefaults` path.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.burn_rate_config import BurnRateConfig
from policies.guardrails.conventions import MAX_TASKS_PER_SERVICE, SECRET_NAME_PATTERN
from policies.guardrails.fargate import (
    allowed_memory,
    describe_allowed_memory,
    is_valid_size,
)

PROJECT = "z360-ecs"

# Top-level keys of the `z360-ecs:` namespace, as declared in Pulumi.yaml.
CONFIG_KEYS = (
    "environment",
    "protect",
    "clusters",
    "serviceDefaults",
    "services",
    "alerts",
    "budget",
    "costBreaker",
    "dashboard",
)

# AWS name rules the program relies on (ECS, CloudWatch, SNS, Budgets developer guides).
_ECS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_SNS_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_SERVICE_KEY = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$"
)
_TARGET_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$"
)
# Names that look like credentials: their values must never sit in plain `environment`.
SECRET_LOOKING_NAME = re.compile(SECRET_NAME_PATTERN, re.I)

SUPPORTED_REGION = "us-east-1"

# Suffixes the program appends to a service's namePrefix (alarm and scaling policy names).
# CloudWatch alarm names allow 255 characters, scaling policy names 256: the longest suffix
# sets how long a prefix may be.
ALARM_SUFFIXES = {"cpu": "-high-cpu", "memory": "-high-memory", "spike": "-task-count-spike"}
POLICY_SUFFIXES = {"cpu": "-cpu-scaling", "memory": "-memory-scaling"}
MAX_NAME_PREFIX = 255 - max(len(s) for s in (*ALARM_SUFFIXES.values(), *POLICY_SUFFIXES.values()))
# IAM role names allow 64 characters; the execution role is named after the family.
EXECUTION_ROLE_SUFFIX = "-execution"
MAX_FAMILY = 64 - len(EXECUTION_ROLE_SUFFIX)
BUDGET_NAME_MAX = 100
MAX_BUDGET_NOTIFICATIONS = 10
SCALABLE_DIMENSION = "ecs:service:DesiredCount"

# Separates a problem's path (relative to the model that found it) from its message, so
# a cross-field check reports at the key that is wrong, one problem per line.
_PATH_MARK = "\x1f"


def _raise_problems(problems: list[tuple[str, str]]) -> None:
    """Raise every problem a model validator found; each is (relative key path, message)."""
    if problems:
        raise ValueError("\n".join(f"{path}{_PATH_MARK}{message}" for path, message in problems))



class ConfigError(pulumi.RunError):
    """Stack configuration is invalid. Pulumi prints a RunError without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"invalid stack configuration ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}):\n{listing}"
        )


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        strict=True,
    )


Percent = Annotated[float, Field(gt=0, le=100)]
Seconds = Annotated[int, Field(ge=0, le=3600)]


class ScalingConfig(_Model):
    enabled: bool = False
    """Target tracking owns the desired count when true."""
    min: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Fewest tasks auto-scaling may run (0 allowed)."""
    max: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Most tasks auto-scaling may run."""
    cpu_target: Annotated[float, Field(ge=10, le=95)] = 70.0
    """Average CPU utilisation (%) target tracking holds."""
    memory_target: Annotated[float, Field(ge=10, le=95)] = 70.0
    """Average memory utilisation (%) target tracking holds."""
    scale_out_cooldown: Seconds = 0
    """Seconds after a scale-out before another; 0 means no wait."""
    scale_in_cooldown: Seconds = 600
    """Seconds after a scale-in before another."""
    hold_at: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] | None = None
    """Emergency floor: pin the task count here (min = max = holdAt) whatever the load says."""

    @model_validator(mode="after")
    def _bounds(self) -> ScalingConfig:
        problems = []
        if self.min > self.max:
            problems.append(
                ("min", f"{self.min} is above max {self.max}: min must be <= max")
            )
        elif self.hold_at is not None and not (self.min <= self.hold_at <= self.max):
            problems.append((
                "holdAt",
                f"{self.hold_at} lies outside min {self.min} .. max {self.max}: an emergency "
                "floor must be a count the service may run (raise max first if you need more)",
            ))
        _raise_problems(problems)
        return self


class AlarmsConfig(_Model):
    cpu_high: Percent | None = None
    """Alarm when average CPU (%) stays above this; unset means no alarm."""
    memory_high: Percent | None = None
    """Alarm when average memory (%) stays above this; unset means no alarm."""
    task_count_spike: Annotated[int, Field(ge=1, le=MAX_TASKS_PER_SERVICE)] | None = None
    """Alarm when RunningTaskCount exceeds this many tasks; unset means no alarm."""
    period: Literal[10, 20, 30, 60, 120, 300, 600, 900, 3600] = 60
    """Seconds per datapoint."""
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 3
    """Datapoints looked at; 3 x 60 s rides out a single busy minute."""
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=60)] = 3
    """Of those, how many must breach."""

    @model_validator(mode="after")
    def _datapoints(self) -> AlarmsConfig:
        problems = []
        if self.datapoints_to_alarm > self.evaluation_periods:
            problems.append((
                "datapointsToAlarm",
                f"{self.datapoints_to_alarm} exceeds evaluationPeriods "
                f"{self.evaluation_periods}: it must be <= evaluationPeriods",
            ))
        limit = 86_400 if self.period < 3600 else 604_800
        if self.period * self.evaluation_periods > limit:
            problems.append((
                "evaluationPeriods",
                f"{self.evaluation_periods} x period {self.period} s = "
                f"{self.period * self.evaluation_periods} s exceeds CloudWatch's {limit} s",
            ))
        _raise_problems(problems)
        return self


class NetworkConfig(_Model):
    subnets: Annotated[list[str], Field(min_length=1, max_length=16)]
    """Subnet ids the tasks run in."""
    security_groups: Annotated[list[str], Field(min_length=1, max_length=5)]
    """Security group ids attached to the tasks."""
    assign_public_ip: bool = False
    """Give each task a public IP; off unless a service really needs one."""

    @field_validator("subnets")
    @classmethod
    def _subnet_ids(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not re.fullmatch(r"subnet-[0-9a-f]{8,17}", subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-<8 to 17 hex digits>)")
        return value

    @field_validator("security_groups")
    @classmethod
    def _sg_ids(cls, value: list[str]) -> list[str]:
        for group in value:
            if not re.fullmatch(r"sg-[0-9a-f]{8,17}", group):
                raise ValueError(f"{group!r} is not a security group id (sg-<8 to 17 hex digits>)")
        return value


class LoadBalancerConfig(_Model):
    target_group_arn: str
    """ARN of the ALB target group the service registers its tasks with."""
    container_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Port the target group sends to; defaults to the service's containerPort."""

    @field_validator("target_group_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not _TARGET_GROUP_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an elasticloadbalancing target group ARN")
        return value


_IMPORT_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "service": (re.compile(r"^[A-Za-z0-9_-]{1,255}/[A-Za-z0-9_-]{1,255}$"),
                "'<cluster name>/<service name>'"),
    "task_definition": (
        re.compile(r"^arn:aws:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+$"),
        "the revision's ARN 'arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>'",
    ),
    "log_group": (re.compile(r"^[A-Za-z0-9_./#-]{1,512}$"), "the log group's name"),
    "scalable_target": (
        re.compile(rf"^ecs/service/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/{SCALABLE_DIMENSION}$"),
        f"'ecs/service/<cluster name>/<service name>/{SCALABLE_DIMENSION}'",
    ),
    "policy": (
        re.compile(rf"^ecs/service/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/{SCALABLE_DIMENSION}/[^/]+$"),
        f"'ecs/service/<cluster name>/<service name>/{SCALABLE_DIMENSION}/<policy name>'",
    ),
    "alarm": (re.compile(r"^[^\x00-\x1f]{1,255}$"), "the alarm's name"),
}


class ImportIds(_Model):
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
        problems = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            kind = ("policy" if name.endswith("_policy")
                    else "alarm" if name.endswith("_alarm") else name)
            pattern, expected = _IMPORT_FORMATS[kind]
            if not pattern.fullmatch(value):
                problems.append((field.alias or name, f"{value!r} is not an import id of this "
                                 f"kind: must be {expected}"))
        _raise_problems(problems)
        return self


class ServiceConfig(_Model):
    cluster: str
    """Key of the cluster (under `clusters`) the service runs in."""
    family: str
    """Task definition family, e.g. z360-beta-web."""
    service_name: str
    """ECS service name, as AWS knows it."""
    name_prefix: str
    """Prefix of alarm and scaling policy names, e.g. z360-beta-web."""
    image: str
    """Container image URI."""
    container_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Port the container listens on; unset for workers."""
    cpu: int
    """Task cpu units (256 = 0.25 vCPU)."""
    memory: int
    """Task memory in MiB; must form a Fargate size with cpu."""
    architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """CPU architecture of the task (X86_64 or ARM64)."""
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = "FARGATE"
    """Where tasks run; FARGATE_SPOT may be interrupted."""
    desired_count: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Baseline task count; with scaling on, applied only when the service is created or
    when applyDesiredCount is true."""
    apply_desired_count: bool = False
    """With scaling on, push desiredCount to AWS in this one update (then set back to false)."""
    task_definition_revision: Annotated[int, Field(ge=1)] | None = None
    """Pin the service to an existing revision `family:N` (rollback)."""
    scaling: ScalingConfig = ScalingConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    network: NetworkConfig
    load_balancer: LoadBalancerConfig | None = None
    environment: dict[str, str] = {}
    """Plain environment variables; never credentials."""
    secrets: dict[str, str] = {}
    """Environment variables read at start from SSM Parameter Store or Secrets Manager ARNs."""
    task_role_arn: str | None = None
    """IAM role the application itself assumes; unset for none."""
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365] = 30
    """Days CloudWatch keeps the container logs."""
    import_ids: ImportIds = ImportIds()

    @field_validator("family", "service_name", "name_prefix")
    @classmethod
    def _ecs_name(cls, value: str) -> str:
        if not _ECS_NAME.fullmatch(value):
            length = f" ({len(value)} characters)" if len(value) > 255 else ""
            raise ValueError(
                f"{_format_value(value)}{length} is not a valid name: 1 to 255 letters, "
                "digits, '-' or '_'"
            )
        return value

    @field_validator("family")
    @classmethod
    def _family_length(cls, value: str) -> str:
        if len(value) > MAX_FAMILY:
            raise ValueError(
                f"{_format_value(value)} is {len(value)} characters: at most {MAX_FAMILY}, so "
                f"that the execution role '<family>{EXECUTION_ROLE_SUFFIX}' fits IAM's 64"
            )
        return value

    @field_validator("name_prefix")
    @classmethod
    def _prefix_length(cls, value: str) -> str:
        if len(value) > MAX_NAME_PREFIX:
            raise ValueError(
                f"{_format_value(value)} is {len(value)} characters: at most {MAX_NAME_PREFIX}, "
                "so that alarm names like '<namePrefix>-task-count-spike' fit CloudWatch's 255"
            )
        return value

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: int) -> int:
        if not allowed_memory(value):
            raise ValueError(f"{value} is not a Fargate cpu size ({describe_allowed_memory(value)})")
        return value

    @field_validator("environment", "secrets", mode="before")
    @classmethod
    def _no_nested_secure(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            _raise_problems([
                (str(name), "a `secure:` value cannot sit inside a service: the engine "
                 "decrypts top-level config keys only. Store it in SSM Parameter Store or "
                 "Secrets Manager and list its ARN under `secrets`")
                for name, item in value.items()
                if isinstance(item, Mapping) and "secure" in item
            ])
        return value

    @field_validator("environment")
    @classmethod
    def _plain_environment(cls, value: dict[str, str]) -> dict[str, str]:
        problems = []
        for name in value:
            if not _ENV_VAR_NAME.fullmatch(name):
                problems.append((name, f"{name!r} is not an environment variable name "
                                 "(letters, digits and '_', not starting with a digit)"))
            elif SECRET_LOOKING_NAME.search(name):
                # The value is never echoed: it may be a live credential.
                problems.append((name, "looks like a credential, and plain `environment` "
                                 "values are stored and shown in clear: move it to `secrets` "
                                 "as an SSM parameter or Secrets Manager ARN"))
        _raise_problems(problems)
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_arns(cls, value: dict[str, str]) -> dict[str, str]:
        problems = []
        for name, arn in value.items():
            if not _ENV_VAR_NAME.fullmatch(name):
                problems.append((name, f"{name!r} is not an environment variable name "
                                 "(letters, digits and '_', not starting with a digit)"))
            elif not _SECRET_ARN.fullmatch(arn):
                shown = _format_value(arn) if arn.startswith("arn:") else "the value"
                problems.append((name, f"{shown} is not an SSM parameter or Secrets Manager "
                                 "secret ARN (arn:aws:ssm:<region>:<account>:parameter/... or "
                                 "arn:aws:secretsmanager:<region>:<account>:secret:...)"))
        _raise_problems(problems)
        return value

    @model_validator(mode="after")
    def _consistency(self) -> ServiceConfig:
        problems = []
        if allowed_memory(self.cpu) and not is_valid_size(self.cpu, self.memory):
            problems.append((
                "memory",
                f"{self.memory} is not a Fargate size with cpu {self.cpu}: allowed "
                f"{describe_allowed_memory(self.cpu)}",
            ))
        spike = self.alarms.task_count_spike
        if spike is not None and self.scaling.enabled and spike >= self.scaling.max:
            problems.append((
                "alarms.taskCountSpike",
                f"{spike} is not below scaling.max {self.scaling.max}: the service can never "
                f"run more than {self.scaling.max} tasks, so the alarm could never fire",
            ))
        if self.load_balancer is not None and self.container_port is None:
            problems.append(("loadBalancer", "needs containerPort: set the port the container "
                             "listens on"))
        problems.extend(self._import_problems())
        _raise_problems(problems)
        return self

    def _import_problems(self) -> list[tuple[str, str]]:
        """Import ids that could not name what this service creates (cluster-free checks)."""
        ids = self.import_ids
        problems = []
        expected_names = {
            "cpuAlarm": (ids.cpu_alarm, self.alarm_name("cpu"), self.alarms.cpu_high,
                         "alarms.cpuHigh"),
            "memoryAlarm": (ids.memory_alarm, self.alarm_name("memory"),
                            self.alarms.memory_high, "alarms.memoryHigh"),
            "spikeAlarm": (ids.spike_alarm, self.alarm_name("spike"),
                           self.alarms.task_count_spike, "alarms.taskCountSpike"),
        }
        for key, (given, expected, threshold, setting) in expected_names.items():
            if given is None:
                continue
            if threshold is None:
                problems.append((f"importIds.{key}", f"{given!r} adopts an alarm this service "
                                 f"does not have: set {setting} or drop the import id"))
            elif given != expected:
                problems.append((f"importIds.{key}", f"{given!r} must be {expected!r}, the "
                                 "name the program gives this alarm (an alarm imports by name)"))
        for key, given, metric in (("cpuPolicy", ids.cpu_policy, "cpu"),
                                   ("memoryPolicy", ids.memory_policy, "memory")):
            if given is None:
                continue
            if not self.scaling.enabled:
                problems.append((f"importIds.{key}", f"{given!r} adopts a scaling policy, but "
                                 "scaling.enabled is false"))
            elif not given.endswith("/" + self.policy_name(metric)):
                problems.append((f"importIds.{key}", f"{given!r} must end with "
                                 f"'/{self.policy_name(metric)}', the name the program gives "
                                 "this policy"))
        if ids.scalable_target is not None and not self.scaling.enabled:
            problems.append(("importIds.scalableTarget", f"{ids.scalable_target!r} adopts a "
                             "scalable target, but scaling.enabled is false"))
        if ids.log_group is not None and ids.log_group != self.log_group_name:
            problems.append(("importIds.logGroup", f"{ids.log_group!r} must be "
                             f"{self.log_group_name!r}, the name the program gives the log "
                             "group"))
        if ids.task_definition is not None and not ids.task_definition.rsplit("/", 1)[-1] \
                .startswith(f"{self.family}:"):
            problems.append(("importIds.taskDefinition", f"{ids.task_definition!r} is not a "
                             f"revision of family {self.family!r}"))
        return problems

    def alarm_name(self, kind: str) -> str:
        """CloudWatch name of this service's alarm `kind` (cpu, memory, spike)."""
        return f"{self.name_prefix}{ALARM_SUFFIXES[kind]}"

    def policy_name(self, metric: str) -> str:
        """Name of this service's target-tracking policy on `metric` (cpu, memory)."""
        return f"{self.name_prefix}{POLICY_SUFFIXES[metric]}"

    @property
    def log_group_name(self) -> str:
        return f"/ecs/{self.family}"

    @property
    def execution_role_name(self) -> str:
        return f"{self.family}{EXECUTION_ROLE_SUFFIX}"

    def scaling_resource_id(self, cluster_name: str) -> str:
        """Application Auto Scaling's id of this service: `service/<cluster>/<service>`."""
        return f"service/{cluster_name}/{self.service_name}"

    @property
    def effective_min(self) -> int:
        """Fewest tasks that can run: the scaling floor, or the fixed count."""
        if not self.scaling.enabled:
            return self.desired_count
        return self.scaling.hold_at if self.scaling.hold_at is not None else self.scaling.min

    @property
    def effective_max(self) -> int:
        """Most tasks that can run: the scaling ceiling, or the fixed count."""
        if not self.scaling.enabled:
            return self.desired_count
        return self.scaling.hold_at if self.scaling.hold_at is not None else self.scaling.max


class ClusterConfig(_Model):
    name: str
    """ECS cluster name."""
    container_insights: bool = True
    """RunningTaskCount (the spike alarm's metric) exists only with Container Insights."""
    import_id: str | None = None
    """Name of an existing cluster to adopt."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _ECS_NAME.fullmatch(value):
            raise ValueError(
                f"{_format_value(value)} is not a valid cluster name: 1 to 255 letters, "
                "digits, '-' or '_'"
            )
        return value

    @model_validator(mode="after")
    def _import(self) -> ClusterConfig:
        if self.import_id is not None and self.import_id != self.name:
            _raise_problems([("importId", f"{self.import_id!r} must be the cluster's name "
                              f"{self.name!r}: an ECS cluster is imported by its name")])
        return self


class AlertsConfig(_Model):
    topic_name: str
    """SNS topic that alarms and budgets publish to."""
    emails: Annotated[list[str], Field(min_length=1, max_length=10)]
    """Recipients; each must confirm the subscription email."""
    import_topic_arn: str | None = None
    """ARN of an existing topic to adopt."""

    @field_validator("topic_name")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not _SNS_TOPIC_NAME.fullmatch(value):
            raise ValueError(
                f"{_format_value(value)} is not an SNS topic name: 1 to 256 letters, digits, "
                "'-' or '_' (no spaces)"
            )
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        seen = set()
        for email in value:
            if not _EMAIL.fullmatch(email):
                raise ValueError(f"{email!r} is not an email address")
            if email.lower() in seen:
                raise ValueError(f"{email!r} is listed twice")
            seen.add(email.lower())
        return value


class BudgetConfig(_Model):
    name: str
    """Budget name (unique in the account; 1 to 100 characters, no ':' or '\\')."""
    monthly_limit: Annotated[float, Field(gt=0)]
    """USD a month the budget tracks."""
    alert_amounts: Annotated[list[float], Field(min_length=1)]
    """Actual spend (USD) at which the recipients are told; AWS allows 10 notifications."""
    import_id: str | None = None
    """`<account id>:<budget name>` of an existing budget to adopt."""

    @field_validator("name")
    @classmethod
    def _budget_name(cls, value: str) -> str:
        if not 1 <= len(value) <= BUDGET_NAME_MAX:
            raise ValueError(f"{_format_value(value)} is {len(value)} characters: AWS Budgets "
                             f"allows 1 to {BUDGET_NAME_MAX}")
        if ":" in value or "\\" in value:
            raise ValueError(f"{value!r}: budget names may not contain ':' or '\\'")
        return value

    @field_validator("alert_amounts")
    @classmethod
    def _amounts(cls, value: list[float]) -> list[float]:
        if len(value) > MAX_BUDGET_NOTIFICATIONS:
            raise ValueError(
                f"{len(value)} alert amounts: AWS Budgets allows at most "
                f"{MAX_BUDGET_NOTIFICATIONS} notifications per budget"
            )
        for amount in value:
            if amount <= 0:
                raise ValueError(f"alert amount {amount:g} must be above 0 (USD of actual spend)")
        duplicates = sorted({a for a in value if value.count(a) > 1})
        if duplicates:
            raise ValueError(
                f"alert amounts {', '.join(f'{a:g}' for a in duplicates)} are listed more than "
                "once: each amount sends one notification"
            )
        return value


class CostBreakerConfig(_Model):
    enabled: bool = False
    """Lower max capacities automatically when spend crosses the threshold."""
    threshold_percent: Annotated[float, Field(gt=0, le=1000)] = 80.0
    """Percent of the budget limit that trips the breaker."""
    notification_type: Literal["ACTUAL", "FORECASTED"] = "FORECASTED"
    """Trip on actual spend, or on AWS's forecast of the month's spend."""
    emergency_ceilings: dict[str, Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)]] = {}
    """Service key -> max capacity while tripped."""
    default_emergency_ceiling: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 2
    """Max capacity while tripped, for services not listed."""
    burn_rate: BurnRateConfig | None = None
    """Trip within minutes on Fargate's dollars per hour, not only on the budget."""


class StackConfig(_Model):
    account_id: Annotated[str, Field(pattern=r"^\d{12}$")]
    """From aws:allowedAccountIds, which must name exactly one account."""
    region: Literal["us-east-1"]
    """From aws:region; the prices in policies/guardrails/fargate.py are us-east-1's."""
    environment: Literal["staging", "beta"]
    protect: bool = False
    clusters: dict[str, ClusterConfig]
    services: dict[str, ServiceConfig]
    alerts: AlertsConfig
    budget: BudgetConfig | None = None
    cost_breaker: CostBreakerConfig | None = None
    dashboard: bool = True

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        problems: list[tuple[str, str]] = []
        for key, service in self.services.items():
            if service.cluster not in self.clusters:
                problems.append((
                    f"services.{key}.cluster",
                    f"{service.cluster!r} is not a key of clusters "
                    f"(allowed: {', '.join(sorted(self.clusters))})",
                ))
        for attribute, label in (("family", "family"), ("service_name", "serviceName"),
                                 ("name_prefix", "namePrefix")):
            owners: dict[str, list[str]] = {}
            for key, service in self.services.items():
                owners.setdefault(getattr(service, attribute), []).append(key)
            for value, keys in owners.items():
                if len(keys) > 1:
                    problems.append((
                        f"services.{{{','.join(keys)}}}.{label}",
                        f"{value!r} is used by {len(keys)} services; each needs its own",
                    ))
        cluster_names: dict[str, list[str]] = {}
        for key, cluster in self.clusters.items():
            cluster_names.setdefault(cluster.name, []).append(key)
        for value, keys in cluster_names.items():
            if len(keys) > 1:
                problems.append((f"clusters.{{{','.join(keys)}}}.name",
                                 f"{value!r} is used twice; each cluster needs its own name"))
        if self.cost_breaker is not None and self.cost_breaker.enabled:
            if self.budget is None:
                problems.append(("costBreaker.enabled",
                                 "true, but the breaker needs a budget in this stack"))
            for key in self.cost_breaker.emergency_ceilings:
                if key not in self.services:
                    problems.append((
                        f"costBreaker.emergencyCeilings.{key}",
                        f"not a service key (allowed: {', '.join(sorted(self.services))})",
                    ))
                elif not self.services[key].scaling.enabled:
                    problems.append((
                        f"costBreaker.emergencyCeilings.{key}",
                        f"services.{key} has scaling off, so it has no max capacity to lower; "
                        "remove the ceiling or turn scaling on",
                    ))
            # The breaker adds one notification of its own to the budget.
            if self.budget is not None and \
                    len(self.budget.alert_amounts) + 1 > MAX_BUDGET_NOTIFICATIONS:
                problems.append((
                    "budget.alertAmounts",
                    f"{len(self.budget.alert_amounts)} amounts plus the cost breaker's "
                    f"notification exceed the {MAX_BUDGET_NOTIFICATIONS} notifications AWS "
                    f"Budgets allows per budget; list at most {MAX_BUDGET_NOTIFICATIONS - 1}",
                ))
        problems.extend(self._import_problems())
        _raise_problems(problems)
        return self

    def _import_problems(self) -> list[tuple[str, str]]:
        """Import ids that name something other than what the program creates."""
        problems = []
        for key, service in self.services.items():
            cluster = self.clusters.get(service.cluster)
            if cluster is None:
                continue
            ids = service.import_ids
            target_id = (f"ecs/{service.scaling_resource_id(cluster.name)}/"
                         f"{SCALABLE_DIMENSION}")
            expected = {
                "service": (ids.service, f"{cluster.name}/{service.service_name}"),
                "scalableTarget": (ids.scalable_target, target_id),
                "cpuPolicy": (ids.cpu_policy, f"{target_id}/{service.policy_name('cpu')}"),
                "memoryPolicy": (ids.memory_policy,
                                 f"{target_id}/{service.policy_name('memory')}"),
            }
            for field, (given, wanted) in expected.items():
                # Policy names and a disabled scaling are the service's own checks.
                if given is None or given == wanted:
                    continue
                if field.endswith("Policy") and (
                    not service.scaling.enabled
                    or not given.endswith("/" + service.policy_name(field[:-6]))
                ):
                    continue
                if field == "scalableTarget" and not service.scaling.enabled:
                    continue
                problems.append((
                    f"services.{key}.importIds.{field}",
                    f"{given!r} must be {wanted!r}: cluster {cluster.name!r} and service "
                    f"{service.service_name!r} are the names this service has",
                ))
            arn = ids.task_definition
            prefix = f"arn:aws:ecs:{self.region}:{self.account_id}:task-definition/"
            if arn is not None and _IMPORT_FORMATS["task_definition"][0].fullmatch(arn) \
                    and not arn.startswith(prefix):
                problems.append((
                    f"services.{key}.importIds.taskDefinition",
                    f"{arn!r} is not in this stack's account and region (must start {prefix!r})",
                ))
        topic_arn = self.alerts.import_topic_arn
        wanted_topic = f"arn:aws:sns:{self.region}:{self.account_id}:{self.alerts.topic_name}"
        if topic_arn is not None and topic_arn != wanted_topic:
            problems.append(("alerts.importTopicArn", f"{topic_arn!r} must be {wanted_topic!r}: "
                             "a topic imports by its ARN, in this stack's account and region"))
        if self.budget is not None and self.budget.import_id is not None:
            wanted_budget = f"{self.account_id}:{self.budget.name}"
            if self.budget.import_id != wanted_budget:
                problems.append(("budget.importId", f"{self.budget.import_id!r} must be "
                                 f"{wanted_budget!r} ('<account id>:<budget name>')"))
        return problems


# --- loading -----------------------------------------------------------------------------


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _has_path(data: Any, path: tuple[Any, ...]) -> bool:
    for part in path:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        else:
            return False
    return True


def _field_aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_for(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that owns the mapping at `path` (for 'did you mean' suggestions)."""
    model: type[BaseModel] = StackConfig
    parts = list(path)
    while parts:
        part = parts.pop(0)
        if model is StackConfig and part in ("services", "clusters") and parts:
            parts.pop(0)
            model = ServiceConfig if part == "services" else ClusterConfig
            continue
        field = next(
            (f for n, f in model.model_fields.items() if (f.alias or n) == part), None
        )
        if field is None:
            return None
        annotation = field.annotation
        candidates = [a for a in getattr(annotation, "__args__", (annotation,))]
        sub = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if sub is None:
            return None
        model = sub
    return model


def _format_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _yaml_kind(value: Any) -> str:
    """What YAML made of a value, in the words of a stack file."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# pydantic error type -> what the key must be, for wrong YAML types.
_EXPECTED_TYPE = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
}


def _describe(error: Mapping[str, Any], path: str, path_parts: tuple[Any, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        parent = _model_for(path_parts[:-1])
        unknown = str(path_parts[-1])
        allowed = _field_aliases(parent) if parent else []
        hint = difflib.get_close_matches(unknown, allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"{path}: unknown key{suggestion} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind in _EXPECTED_TYPE:
        unquote = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            unquote = " (remove the quotes)"
        return (f"{path}: {_format_value(value)} is {_yaml_kind(value)}; must be "
                f"{_EXPECTED_TYPE[kind]}{unquote}")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if kind in ("value_error", "assertion_error"):
        # Our own validators name the value in their message.
        return f"{path}: {message}" if path else message
    for wordy, plain in (("Input should be", "must be"), ("String should", "must"),
                         ("List should", "must"), ("Dictionary should", "must")):
        if message.startswith(wordy):
            message = plain + message[len(wordy):]
    message = message.replace(" after validation", "")
    return f"{path}: {_format_value(value)} is not allowed: {message}"


def _expand(error: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """One (key path, error) per problem: a model validator may report several at once."""
    loc = tuple(
        p for p in error["loc"]
        if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
    )
    message = error.get("msg", "")
    if error["type"] != "value_error" or _PATH_MARK not in message:
        return [(loc, dict(error))]
    message = message.removeprefix("Value error, ")
    expanded = []
    for line in message.split("\n"):
        relative, _, text = line.partition(_PATH_MARK)
        parts = tuple(relative.split(".")) if relative else ()
        # `services.{web,queue}.family` names several services: keep it whole.
        if relative.startswith("services.{"):
            parts = ("services", relative[len("services."):].split(".", 1)[0],
                     *relative.split(".", 2)[2:])
        expanded.append((loc + parts, {**error, "msg": text}))
    return expanded


def _validate_defaults(defaults: Any) -> list[str]:
    """Check `serviceDefaults` on its own, so a bad default is reported once, at its path,
    even when every service overrides it."""
    if not isinstance(defaults, Mapping):
        return [f"serviceDefaults: {_format_value(defaults)} is {_yaml_kind(defaults)}; must be "
                "a mapping (key: value)"]
    problems = []
    by_alias = {(f.alias or n): f for n, f in ServiceConfig.model_fields.items()}
    for key, value in defaults.items():
        if key not in by_alias:
            hint = difflib.get_close_matches(key, list(by_alias), n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(
                f"serviceDefaults.{key}: unknown key{suggestion} (allowed: {', '.join(by_alias)})"
            )
            continue
        field = by_alias[key]
        try:
            annotation: Any = (
                Annotated[(field.annotation, *field.metadata)] if field.metadata
                else field.annotation
            )
            TypeAdapter(annotation).validate_python(value, strict=True)
        except ValidationError as exc:
            for error in exc.errors():
                # A default may be partial (network without subnets): services complete it.
                if error["type"] == "missing":
                    continue
                for loc, item in _expand(error):
                    path_parts = ("serviceDefaults", key, *loc)
                    problems.append(_describe(item, ".".join(map(str, path_parts)), path_parts))
    return problems


def _aws_settings(aws_config: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """aws:region and aws:allowedAccountIds, checked here so messages name those keys."""
    settings: dict[str, Any] = {}
    region = aws_config.get("region")
    if region != SUPPORTED_REGION:
        problems.append(
            f"aws:region: {_format_value(region)} is not allowed: must be {SUPPORTED_REGION!r} "
            "(the Fargate prices the program and policies use are that region's)"
        )
    else:
        settings["region"] = region
    accounts = aws_config.get("allowedAccountIds")
    if (
        not isinstance(accounts, list)
        or len(accounts) != 1
        or not isinstance(accounts[0], str)
        or not re.fullmatch(r"\d{12}", accounts[0])
    ):
        problems.append(
            f"aws:allowedAccountIds: {_format_value(accounts)} is not allowed: must list exactly "
            "one 12-digit account id, as a string"
        )
    else:
        settings["accountId"] = accounts[0]
    return settings


def load_stack_config(
    raw: Mapping[str, Any], aws_config: Mapping[str, Any] | None = None
) -> StackConfig:
    """Validate the project's config values; raise ConfigError with every problem found.

    `raw` holds the `z360-ecs:` keys without their namespace; `aws_config` the `aws:` keys
    (region, allowedAccountIds) likewise.
    """
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise ConfigError([f"configuration must be a mapping, got {_format_value(raw)}"])
    aws_settings = _aws_settings(aws_config or {}, problems)
    raw = {k: v for k, v in raw.items() if v is not None}
    for key in raw:
        if key not in CONFIG_KEYS:
            hint = difflib.get_close_matches(key, CONFIG_KEYS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(
                f"{PROJECT}:{key}: unknown config key{suggestion} (allowed: {', '.join(CONFIG_KEYS)})"
            )
    defaults = raw.get("serviceDefaults", {})
    problems.extend(_validate_defaults(defaults))
    if not isinstance(defaults, Mapping):
        defaults = {}
    services_raw = raw.get("services")
    merged_services: Any = services_raw
    if isinstance(services_raw, Mapping):
        merged_services = {}
        # Only keys a service has are inherited; unknown defaults are reported on their own.
        service_keys = _service_aliases()
        inherited = {k: v for k, v in defaults.items() if k in service_keys}
        for key, service in services_raw.items():
            if not isinstance(key, str) or not _SERVICE_KEY.fullmatch(key):
                problems.append(
                    f"services.{key}: service keys are 1 to 32 lowercase letters, digits or '-', "
                    "starting with a letter"
                )
            if isinstance(service, Mapping):
                merged_services[key] = _deep_merge(inherited, service)
            else:
                merged_services[key] = service
        if not services_raw:
            problems.append("services: at least one service is required")
    document = {k: v for k, v in raw.items() if k in CONFIG_KEYS and k != "serviceDefaults"}
    document.update(aws_settings)
    if merged_services is not None:
        document["services"] = merged_services
    for optional in ("budget", "costBreaker"):
        if document.get(optional) == {}:
            del document[optional]
    try:
        config = StackConfig.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            for loc, item in _expand(error):
                loc = _blame_default(loc, item, services_raw, defaults)
                if loc and loc[0] in ("accountId", "region"):
                    continue  # reported by _aws_settings under its aws: key
                problems.append(_describe(item, ".".join(str(p) for p in loc), loc))
        raise ConfigError(_unique(problems)) from None
    if problems:
        raise ConfigError(_unique(problems))
    return config


def _blame_default(
    loc: tuple[Any, ...], error: Mapping[str, Any], services_raw: Any, defaults: Mapping[str, Any]
) -> tuple[Any, ...]:
    """A value a service inherited from serviceDefaults is reported at its serviceDefaults path."""
    if (
        len(loc) >= 3
        and loc[0] == "services"
        and isinstance(services_raw, Mapping)
        and isinstance(services_raw.get(loc[1]), Mapping)
        and not _has_path(services_raw[loc[1]], loc[2:])
        and _has_path(defaults, loc[2:])
        and error["type"] != "missing"
    ):
        return ("serviceDefaults",) + loc[2:]
    return loc


def _unique(problems: list[str]) -> list[str]:
    """Each problem once, in the order found (a default shared by six services is one problem)."""
    return list(dict.fromkeys(problems))


def _service_aliases() -> set[str]:
    return set(_field_aliases(ServiceConfig))


def read_pulumi_config(config: pulumi.Config | None = None) -> StackConfig:
    """Read every `z360-ecs:` key from Pulumi config and validate it."""
    config = config or pulumi.Config(PROJECT)
    raw: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        text = config.get(key)
        if text is None:
            continue
        # The CLI hands every value over as text: objects, arrays, numbers and booleans as
        # JSON, plain strings as themselves.
        try:
            raw[key] = json.loads(text)
        except ValueError:
            raw[key] = text
    aws_config = pulumi.Config("aws")
    aws_raw = {
        "region": aws_config.get("region"),
        "allowedAccountIds": aws_config.get_object("allowedAccountIds"),
    }
    return load_stack_config(raw, aws_raw)
