"""The typed stack configuration: one pydantic model per stack-file mapping, with every check
that needs only the values themselves.

Models are strict and frozen, keyed by the stack file's camelCase names. A validator reports
every problem it finds at once, each at the key that is wrong (see errors.py); checks of import
ids against the names the program gives live in adoption.py, run from StackConfig.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from policies.guardrails.facts.cloudwatch import HIGH_RESOLUTION
from policies.guardrails.facts.conventions import MAX_TASKS_PER_SERVICE
from policies.guardrails.facts.ecs import (
    FARGATE_CAPACITY_PROVIDERS,
    MAX_CAPACITY_PROVIDERS_PER_CLUSTER,
)
from policies.guardrails.facts.fargate import allowed_memory, describe_allowed_memory, is_valid_size
from policies.guardrails.facts.metrics import ECS_SERVICE_NAMESPACE, alarm_period_problem
from stack_model import naming
from stack_model.config.adoption import import_problems
from stack_model.config.base import ConfigModel, Money, NoBool
from stack_model.config.burn_rate import BurnRateConfig
from stack_model.config.errors import KeyPath, format_value, raise_problems
from stack_model.config.limits import (
    ACCOUNT_ID,
    BUDGET_NAME_MAX,
    CONTAINER_IMAGE,
    ECS_NAME,
    EMAIL,
    ENV_VAR_NAME,
    IAM_ROLE_ARN,
    IMPORT_FORMATS,
    KMS_KEY_ARN,
    MAX_BUDGET_NOTIFICATIONS,
    MAX_ENVIRONMENT_BYTES,
    MAX_FAMILY,
    MAX_NAME_PREFIX,
    MAX_TASK_DEFINITION_REVISION,
    SECRET_ARN,
    SECRET_LOOKING_NAME,
    SECURITY_GROUP_ID,
    SNS_TOPIC_NAME,
    SUBNET_ID,
    TARGET_GROUP_ARN,
    Region,
)
from stack_model.config.waf import WafConfig, waf_problems

_Model = ConfigModel


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
        problems: list[tuple[KeyPath, str]] = []
        if self.min > self.max:
            problems.append(
                (("min",), f"{self.min} is above max {self.max}: min must be <= max")
            )
        elif self.hold_at is not None and not (self.min <= self.hold_at <= self.max):
            problems.append((
                ("holdAt",),
                f"{self.hold_at} lies outside min {self.min} .. max {self.max}: an emergency "
                "floor must be a count the service may run (raise max first if you need more)",
            ))
        raise_problems(problems)
        return self


class AlarmsConfig(_Model):
    cpu_high: Percent | None = None
    """Alarm when average CPU (%) stays above this; unset means no alarm."""
    memory_high: Percent | None = None
    """Alarm when average memory (%) stays above this; unset means no alarm."""
    task_count_spike: Annotated[int, Field(ge=1, le=MAX_TASKS_PER_SERVICE)] | None = None
    """Alarm when RunningTaskCount exceeds this many tasks; unset means no alarm."""
    period: Annotated[Literal[10, 20, 30, 60, 120, 300, 600, 900, 3600],
                      NoBool] = 60
    """Seconds per datapoint: 60 or more, or 20 on a service with metricResolution: 20 (10 and
    30 s periods are never filled by AWS/ECS metrics)."""
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 3
    """Datapoints looked at; 3 x 60 s rides out a single busy minute."""
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=60)] = 3
    """Of those, how many must breach."""

    @model_validator(mode="after")
    def _datapoints(self) -> AlarmsConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.datapoints_to_alarm > self.evaluation_periods:
            problems.append((
                ("datapointsToAlarm",),
                f"{self.datapoints_to_alarm} exceeds evaluationPeriods "
                f"{self.evaluation_periods}: it must be <= evaluationPeriods",
            ))
        # The service's CPU and memory alarms read AWS/ECS: here, a period no resolution fills;
        # the service (ServiceConfig) judges it against its own metricResolution.
        unfilled = alarm_period_problem(ECS_SERVICE_NAMESPACE, self.period)
        if unfilled is not None:
            problems.append((("period",), f"{self.period} s: {unfilled} (20 only with "
                             "metricResolution: 20)"))
        limit = 86_400 if self.period < 3600 else 604_800
        if self.period * self.evaluation_periods > limit:
            problems.append((
                ("evaluationPeriods",),
                f"{self.evaluation_periods} x period {self.period} s = "
                f"{self.period * self.evaluation_periods} s exceeds CloudWatch's {limit} s",
            ))
        raise_problems(problems)
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
            if not SUBNET_ID.fullmatch(subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-<8 to 17 hex digits>)")
        return value

    @field_validator("security_groups")
    @classmethod
    def _sg_ids(cls, value: list[str]) -> list[str]:
        for group in value:
            if not SECURITY_GROUP_ID.fullmatch(group):
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
        if not TARGET_GROUP_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an elasticloadbalancing target group ARN")
        return value



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
    """Capacity provider strategy the tasks run on; FARGATE_SPOT may be interrupted. Not with
    launchType."""
    launch_type: Literal["FARGATE"] | None = None
    """Run on the FARGATE launch type instead of a capacity provider strategy: state it for a
    live service made that way (CloudFormation's default), or AWS and the provider see a
    change. Not with capacityProvider."""
    migrate_launch_configuration: bool = False
    """Move between launchType and capacityProvider in this one update (sets the service's
    forceNewDeployment, which pulumi-aws requires for a strategy change and which moves the
    running tasks on a metricResolution 20 service); then set back to false."""
    desired_count: Annotated[int, Field(ge=0, le=MAX_TASKS_PER_SERVICE)] = 1
    """Baseline task count; with scaling on, applied only when the service is created or
    when applyDesiredCount is true."""
    apply_desired_count: bool = False
    """With scaling on, push desiredCount to AWS in this one update (then set back to false)."""
    task_definition_revision: Annotated[
        int, Field(ge=1, le=MAX_TASK_DEFINITION_REVISION)
    ] | None = None
    """Pin the service to an existing revision `family:N` (rollback)."""
    metric_resolution: Annotated[Literal[20, 60], NoBool] = 60
    """Seconds between the service's CPUUtilization/MemoryUtilization datapoints (ECS
    `monitoring.metricConfigurations[].resolutionSeconds`: 20 or 60). At 20 its target
    tracking uses the HighResolution metric types and its alarms may use 20 s periods; the
    ECS service is then managed through aws-native (docs/metrics-resolution.md)."""
    scaling: ScalingConfig = ScalingConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    network: NetworkConfig
    load_balancer: LoadBalancerConfig | None = None
    waf: WafConfig = WafConfig()
    """WAF web ACL with a per-client-IP rate limit on the service's load balancer (docs/waf.md)."""
    environment: dict[str, str] = {}
    """Plain environment variables; never credentials."""
    secrets: dict[str, str] = {}
    """Environment variables read at start from SSM Parameter Store or Secrets Manager ARNs
    (a Secrets Manager ARN may end in `:json-key:version-stage:version-id`)."""
    secrets_kms_key_arns: list[str] = []
    """Customer-managed KMS keys (ARNs) that encrypt this service's secrets: the execution role
    gets kms:Decrypt on them. Unset for secrets under AWS-managed keys."""
    task_role_arn: str | None = None
    """IAM role the application itself assumes; unset for none."""
    log_retention_days: Annotated[Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365],
                                  NoBool] = 30
    """Days CloudWatch keeps the container logs."""
    import_ids: ImportIds = ImportIds()

    @field_validator("family", "service_name", "name_prefix")
    @classmethod
    def _ecs_name(cls, value: str) -> str:
        if not ECS_NAME.fullmatch(value):
            length = f" ({len(value)} characters)" if len(value) > 255 else ""
            raise ValueError(
                f"{format_value(value)}{length} is not a valid name: 1 to 255 letters, "
                "digits, '-' or '_'"
            )
        return value

    @field_validator("family")
    @classmethod
    def _family_length(cls, value: str) -> str:
        if len(value) > MAX_FAMILY:
            raise ValueError(
                f"{format_value(value)} is {len(value)} characters: at most {MAX_FAMILY}, so "
                f"that the execution role '<family>{naming.EXECUTION_ROLE_SUFFIX}' fits IAM's 64"
            )
        return value

    @field_validator("name_prefix")
    @classmethod
    def _prefix_length(cls, value: str) -> str:
        if len(value) > MAX_NAME_PREFIX:
            raise ValueError(
                f"{format_value(value)} is {len(value)} characters: at most {MAX_NAME_PREFIX}, "
                "so that alarm names like '<namePrefix>-task-count-spike' fit CloudWatch's 255"
            )
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not CONTAINER_IMAGE.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not a container image: 1 to 255 letters, digits, "
                "'-', '_', ':', '.', '/', '@' or '#' (ECS ContainerDefinition.image), e.g. "
                "<account>.dkr.ecr.us-east-1.amazonaws.com/web:1.2.3"
            )
        return value

    @field_validator("task_role_arn")
    @classmethod
    def _task_role(cls, value: str | None) -> str | None:
        if value is not None and not IAM_ROLE_ARN.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not an IAM role ARN "
                "(arn:aws:iam::<12-digit account>:role/<name>)"
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
            raise_problems([
                ((str(name),), "a `secure:` value cannot sit inside a service: the engine "
                 "decrypts top-level config keys only. Store it in SSM Parameter Store or "
                 "Secrets Manager and list its ARN under `secrets`")
                for name, item in value.items()
                if isinstance(item, Mapping) and "secure" in item
            ])
        return value

    @field_validator("environment")
    @classmethod
    def _plain_environment(cls, value: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[KeyPath, str]] = []
        for name in value:
            if not ENV_VAR_NAME.fullmatch(name):
                problems.append(((name,), f"{name!r} is not an environment variable name "
                                 "(letters, digits and '_', not starting with a digit)"))
            elif SECRET_LOOKING_NAME.search(name):
                # The value is never echoed: it may be a live credential.
                problems.append(((name,), "looks like a credential, and plain `environment` "
                                 "values are stored and shown in clear: move it to `secrets` "
                                 "as an SSM parameter or Secrets Manager ARN"))
        raise_problems(problems)
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_arns(cls, value: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[KeyPath, str]] = []
        for name, arn in value.items():
            if not ENV_VAR_NAME.fullmatch(name):
                problems.append(((name,), f"{name!r} is not an environment variable name "
                                 "(letters, digits and '_', not starting with a digit)"))
            elif not SECRET_ARN.fullmatch(arn):
                shown = format_value(arn) if arn.startswith("arn:") else "the value"
                problems.append(((name,), f"{shown} is not an SSM parameter or Secrets Manager "
                                 "secret ARN (arn:aws:ssm:<region>:<account>:parameter/... or "
                                 "arn:aws:secretsmanager:<region>:<account>:secret:...)"))
        raise_problems(problems)
        return value

    @field_validator("secrets_kms_key_arns")
    @classmethod
    def _kms_keys(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not KMS_KEY_ARN.fullmatch(arn):
                raise ValueError(f"{format_value(arn)} is not a KMS key ARN "
                                 "(arn:aws:kms:<region>:<account>:key/<key id>)")
        if len(set(value)) != len(value):
            raise ValueError("a key is listed twice")
        return value

    @model_validator(mode="after")
    def _consistency(self) -> ServiceConfig:
        problems: list[tuple[KeyPath, str]] = []
        problems.extend(self._launch_configuration_problems())
        if allowed_memory(self.cpu) and not is_valid_size(self.cpu, self.memory):
            problems.append((
                ("memory",),
                f"{self.memory} is not a Fargate size with cpu {self.cpu}: allowed "
                f"{describe_allowed_memory(self.cpu)}",
            ))
        problems.extend(self._count_problems())
        size = sum(len(json.dumps({"name": k, "value": v})) + 2
                   for k, v in (*self.environment.items(), *self.secrets.items()))
        if size > MAX_ENVIRONMENT_BYTES:
            problems.append((
                ("environment",),
                f"{len(self.environment)} variables and {len(self.secrets)} secrets take "
                f"{size:,} bytes of the task definition; at most {MAX_ENVIRONMENT_BYTES:,} "
                "(ECS refuses a task definition over 64 KiB)",
            ))
        unfilled = alarm_period_problem(
            ECS_SERVICE_NAMESPACE, self.alarms.period, self.metric_resolution
        )
        if unfilled is not None:
            problems.append((("alarms", "period"), f"{self.alarms.period} s: {unfilled}, or set "
                             f"metricResolution: {HIGH_RESOLUTION}"))
        if self.load_balancer is not None and self.container_port is None:
            problems.append((("loadBalancer",), "needs containerPort: set the port the container "
                             "listens on"))
        raise_problems(problems)
        return self

    def _count_problems(self) -> list[tuple[KeyPath, str]]:
        """Task counts against the capacity in force: the scaling range, the emergency floor
        (holdAt) or the fixed count. The alarm fires when RunningTaskCount > taskCountSpike."""
        problems: list[tuple[KeyPath, str]] = []
        scaling, spike = self.scaling, self.alarms.task_count_spike
        # Below min is harmless when only a new service starts with it (auto-scaling raises
        # it at once); pushed on purpose (applyDesiredCount) it is undone at once. Above max,
        # ECS starts every one of those tasks before auto-scaling removes them.
        if scaling.enabled and scaling.min <= scaling.max and (
            self.desired_count > scaling.max
            or (self.apply_desired_count and self.desired_count < scaling.min)
        ):
            problems.append((
                ("desiredCount",),
                f"{self.desired_count} lies outside scaling.min {scaling.min} .. scaling.max "
                f"{scaling.max}: ECS would run that many tasks until auto-scaling moves the "
                "count back into the range; set it within min..max",
            ))
        if spike is None:
            return problems
        if not scaling.enabled:
            problems.append((
                ("alarms", "taskCountSpike"),
                f"{spike} is set but scaling is off: the service runs a fixed "
                f"{self.desired_count} task(s), so a scale-out spike cannot happen; remove it "
                "or turn scaling on",
            ))
        elif spike >= scaling.max:
            problems.append((
                ("alarms", "taskCountSpike"),
                f"{spike} is not below scaling.max {scaling.max}: the service can never "
                f"run more than {scaling.max} tasks, so the alarm could never fire",
            ))
        elif spike < self.effective_min:
            floor = (f"scaling.holdAt {scaling.hold_at}" if scaling.hold_at is not None
                     else f"scaling.min {scaling.min}")
            problems.append((
                ("alarms", "taskCountSpike"),
                f"{spike} is below {floor}: the service always runs more tasks than that, so "
                "the alarm fires all the time; raise it",
            ))
        return problems

    def _launch_configuration_problems(self) -> list[tuple[KeyPath, str]]:
        """launchType and capacityProvider exclude each other (ECS CreateService: with a
        capacityProviderStrategy the launchType must be omitted); an adopted service states
        which one it runs on; a migration is never part of an adoption."""
        problems: list[tuple[KeyPath, str]] = []
        stated = self.model_fields_set
        if self.launch_type is not None and "capacity_provider" in stated:
            problems.append((
                ("launchType",),
                f"{self.launch_type!r} together with capacityProvider "
                f"{self.capacity_provider!r}: a service runs on a launch type or on a capacity "
                "provider strategy, not both; keep one of launchType and capacityProvider",
            ))
        if self.import_ids.service is not None:
            if self.launch_type is None and "capacity_provider" not in stated:
                problems.append((
                    ("launchType",),
                    "unset, and so is capacityProvider, on a service adopted through "
                    "importIds.service: state how the live service runs (launchType: FARGATE "
                    "for a service CloudFormation made with a launch type, or capacityProvider: "
                    "FARGATE|FARGATE_SPOT), or the first `up` changes it",
                ))
            if self.migrate_launch_configuration:
                problems.append((
                    ("migrateLaunchConfiguration",),
                    "true while importIds.service adopts the service: adopt it as it runs "
                    "first, then migrate in a later update",
                ))
        return problems

    @property
    def uses_capacity_provider_strategy(self) -> bool:
        """True when tasks run on the capacityProvider strategy, False on launchType."""
        return self.launch_type is None

    def alarm_name(self, kind: str) -> str:
        """CloudWatch name of this service's alarm `kind` (cpu, memory, spike)."""
        return naming.alarm_name(self.name_prefix, kind)

    def policy_name(self, metric: str) -> str:
        """Name of this service's target-tracking policy on `metric` (cpu, memory)."""
        return naming.policy_name(self.name_prefix, metric)

    @property
    def log_group_name(self) -> str:
        return naming.log_group_name(self.family)

    @property
    def execution_role_name(self) -> str:
        return naming.execution_role_name(self.family)

    def scaling_resource_id(self, cluster_name: str) -> str:
        """Application Auto Scaling's id of this service: `service/<cluster>/<service>`."""
        return naming.scaling_resource_id(cluster_name, self.service_name)

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


class CapacityProviderStrategyItem(_Model):
    capacity_provider: str
    """A provider the cluster associates (capacityProviders)."""
    weight: Annotated[int, Field(ge=0, le=1000)] = 0
    """Relative share of tasks placed on this provider."""
    base: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Tasks placed on this provider first; one provider per strategy may set it."""


class ClusterConfig(_Model):
    name: str
    """ECS cluster name."""
    container_insights: bool = True
    """RunningTaskCount (the spike alarm's metric) exists only with Container Insights."""
    import_id: str | None = None
    """Name of an existing cluster to adopt."""
    capacity_providers: list[str] | None = None
    """Every capacity provider the cluster has associated (FARGATE, FARGATE_SPOT, or an Auto
    Scaling group provider's name). PutClusterCapacityProviders replaces the whole list, so an
    adopted cluster must list all it has today; a created cluster defaults to the providers its
    services name."""
    default_capacity_provider_strategy: list[CapacityProviderStrategyItem] = []
    """The cluster's default strategy, for tasks started with neither a launch type nor a
    strategy; replaced together with the list, so an adopted cluster restates its own."""

    @field_validator("capacity_providers")
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        for provider in value:
            if not ECS_NAME.fullmatch(provider):
                raise ValueError(f"{format_value(provider)} is not a capacity provider name "
                                 f"({', '.join(FARGATE_CAPACITY_PROVIDERS)} or an Auto Scaling "
                                 "group provider's name)")
        duplicates = sorted({p for p in value if value.count(p) > 1})
        if duplicates:
            raise ValueError(f"{', '.join(duplicates)} listed more than once")
        if len(value) > MAX_CAPACITY_PROVIDERS_PER_CLUSTER:
            raise ValueError(f"{len(value)} providers: a cluster takes at most "
                             f"{MAX_CAPACITY_PROVIDERS_PER_CLUSTER}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ECS_NAME.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not a valid cluster name: 1 to 255 letters, "
                "digits, '-' or '_'"
            )
        return value

    @model_validator(mode="after")
    def _import(self) -> ClusterConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.import_id is not None and self.import_id != self.name:
            problems.append((("importId",), f"{self.import_id!r} must be the cluster's name "
                             f"{self.name!r}: an ECS cluster is imported by its name"))
        if self.import_id is not None and self.capacity_providers is None:
            problems.append((("capacityProviders",), "unset on an adopted cluster: list every "
                             "capacity provider it has associated today (aws ecs "
                             "describe-clusters), [] for none; the program replaces the whole "
                             "list and would drop any left out"))
        listed = self.capacity_providers
        for position, item in enumerate(self.default_capacity_provider_strategy):
            if listed is not None and item.capacity_provider not in listed:
                problems.append((
                    ("defaultCapacityProviderStrategy", str(position), "capacityProvider"),
                    f"{item.capacity_provider!r} is not in capacityProviders "
                    f"({', '.join(listed) or 'none'}): a default strategy may only name "
                    "associated providers",
                ))
        if sum(1 for item in self.default_capacity_provider_strategy if item.base) > 1:
            problems.append((("defaultCapacityProviderStrategy",), "more than one provider "
                             "sets base: ECS allows a base on one provider only"))
        raise_problems(problems)
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
        if not SNS_TOPIC_NAME.fullmatch(value):
            raise ValueError(
                f"{format_value(value)} is not an SNS topic name: 1 to 256 letters, digits, "
                "'-' or '_' (no spaces)"
            )
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        seen = set()
        for email in value:
            if not EMAIL.fullmatch(email):
                raise ValueError(f"{email!r} is not an email address")
            if email.lower() in seen:
                raise ValueError(f"{email!r} is listed twice")
            seen.add(email.lower())
        return value


class BudgetConfig(_Model):
    name: str
    """Budget name (unique in the account; 1 to 100 characters, no ':' or '\\')."""
    monthly_limit: Annotated[Money, Field(gt=0)]
    """USD a month the budget tracks."""
    alert_amounts: Annotated[list[Money], Field(min_length=1)]
    """Actual spend (USD) at which the recipients are told; AWS allows 10 notifications."""
    import_id: str | None = None
    """`<account id>:<budget name>` of an existing budget to adopt."""

    @field_validator("name")
    @classmethod
    def _budget_name(cls, value: str) -> str:
        if not 1 <= len(value) <= BUDGET_NAME_MAX:
            raise ValueError(f"{format_value(value)} is {len(value)} characters: AWS Budgets "
                             f"allows 1 to {BUDGET_NAME_MAX}")
        if ":" in value or "\\" in value:
            raise ValueError(f"{value!r}: budget names may not contain ':' or '\\'")
        return value

    @field_validator("alert_amounts")
    @classmethod
    def _amounts(cls, value: list[Decimal]) -> list[Decimal]:
        if len(value) > MAX_BUDGET_NOTIFICATIONS:
            raise ValueError(
                f"{len(value)} alert amounts: AWS Budgets allows at most "
                f"{MAX_BUDGET_NOTIFICATIONS} notifications per budget"
            )
        for amount in value:
            if amount <= 0:
                raise ValueError(f"alert amount {amount} must be above 0 (USD of actual spend)")
        duplicates = sorted({a for a in value if value.count(a) > 1})
        if duplicates:
            raise ValueError(
                f"alert amounts {', '.join(str(a) for a in duplicates)} are listed more than "
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
    account_id: Annotated[str, Field(pattern=rf"^{ACCOUNT_ID.pattern}$")]
    """From aws:allowedAccountIds, which must name exactly one account."""
    region: Region
    """From aws:region; the prices in policies/guardrails/facts/fargate.py are us-east-1's."""
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
        problems: list[tuple[KeyPath, str]] = []
        for key, service in self.services.items():
            if service.cluster not in self.clusters:
                problems.append((
                    ("services", key, "cluster"),
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
                        ("services", f"{{{','.join(keys)}}}", label),
                        f"{value!r} is used by {len(keys)} services; each needs its own",
                    ))
        problems.extend(self._capacity_provider_problems())
        cluster_names: dict[str, list[str]] = {}
        for key, cluster in self.clusters.items():
            cluster_names.setdefault(cluster.name, []).append(key)
        for value, keys in cluster_names.items():
            if len(keys) > 1:
                problems.append((("clusters", f"{{{','.join(keys)}}}", "name"),
                                 f"{value!r} is used twice; each cluster needs its own name"))
        if self.cost_breaker is not None and self.cost_breaker.enabled:
            if self.budget is None:
                problems.append((("costBreaker", "enabled"),
                                 "true, but the breaker needs a budget in this stack"))
            for key in self.cost_breaker.emergency_ceilings:
                if key not in self.services:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"not a service key (allowed: {', '.join(sorted(self.services))})",
                    ))
                elif not self.services[key].scaling.enabled:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"services.{key} has scaling off, so it has no max capacity to lower; "
                        "remove the ceiling or turn scaling on",
                    ))
                elif self.cost_breaker.emergency_ceilings[key] > self.services[key].scaling.max:
                    problems.append((
                        ("costBreaker", "emergencyCeilings", key),
                        f"{self.cost_breaker.emergency_ceilings[key]} is above services.{key}."
                        f"scaling.max {self.services[key].scaling.max}: the breaker only lowers "
                        "max, so tripping would leave this service at full capacity; set it "
                        "at most max",
                    ))
            # The breaker adds one notification of its own to the budget.
            if self.budget is not None and \
                    len(self.budget.alert_amounts) + 1 > MAX_BUDGET_NOTIFICATIONS:
                problems.append((
                    ("budget", "alertAmounts"),
                    f"{len(self.budget.alert_amounts)} amounts plus the cost breaker's "
                    f"notification exceed the {MAX_BUDGET_NOTIFICATIONS} notifications AWS "
                    f"Budgets allows per budget; list at most {MAX_BUDGET_NOTIFICATIONS - 1}",
                ))
        problems.extend(import_problems(self))
        problems.extend(waf_problems(self))
        raise_problems(problems)
        return self

    def _strategy_users(self, cluster_key: str) -> dict[str, list[str]]:
        """Capacity provider -> the service keys whose strategy names it, on one cluster."""
        users: dict[str, list[str]] = {}
        for key, service in self.services.items():
            if service.cluster == cluster_key and service.uses_capacity_provider_strategy:
                users.setdefault(service.capacity_provider, []).append(key)
        return users

    def _capacity_provider_problems(self) -> list[tuple[KeyPath, str]]:
        """ECS refuses a service whose strategy names a provider its cluster has not associated
        ("The specified capacity provider strategy cannot contain a capacity provider that is
        not associated with the cluster", CreateService InvalidParameterException)."""
        problems: list[tuple[KeyPath, str]] = []
        for cluster_key, cluster in self.clusters.items():
            listed = cluster.capacity_providers
            if listed is None:
                continue  # derived from the services: complete by construction
            for provider, keys in sorted(self._strategy_users(cluster_key).items()):
                if provider not in listed:
                    problems.append((
                        ("clusters", cluster_key, "capacityProviders"),
                        f"[{', '.join(listed)}] lacks {provider}, which services "
                        f"{', '.join(keys)} run on: ECS refuses a strategy naming a provider "
                        f"the cluster has not associated; add {provider}",
                    ))
        return problems

    def cluster_capacity_providers(self, cluster_key: str) -> list[str] | None:
        """The full list of providers to associate with a cluster, or None to leave the
        cluster's associations alone (a created cluster none of whose services uses a
        strategy)."""
        listed = self.clusters[cluster_key].capacity_providers
        if listed is not None:
            return list(listed)
        used = sorted(self._strategy_users(cluster_key))
        return used or None
