"""`services.<key>`: one Fargate service (task size, image, count, launch configuration,
environment and secrets) with its sections, each in its own module: scaling, alarms, network
and loadBalancer, importIds, waf.

Checks that need only the service are here; those across services or against clusters run in
StackConfig (stack.py).
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
    FARGATE,
    FARGATE_SPOT,
    MAX_STOP_TIMEOUT,
    MAX_STRATEGY_BASE,
    MIN_STOP_TIMEOUT,
    SPOT_ARCHITECTURES,
    SPOT_STOP_TIMEOUT,
)
from policies.guardrails.facts.fargate import allowed_memory, describe_allowed_memory, is_valid_size
from policies.guardrails.facts.metrics import ECS_SERVICE_NAMESPACE, alarm_period_problem
from stack_model import naming
from stack_model.config.alarms import AlarmsConfig
from stack_model.config.base import ConfigModel, NoBool
from stack_model.config.clusters import CapacityProviderStrategyItem, strategy_problems
from stack_model.config.errors import KeyPath, format_value, raise_problems
from stack_model.config.import_ids import ImportIds
from stack_model.config.limits import (
    CONTAINER_IMAGE,
    ECS_NAME,
    ENV_VAR_NAME,
    IAM_ROLE_ARN,
    KMS_KEY_ARN,
    MAX_ENVIRONMENT_BYTES,
    MAX_FAMILY,
    MAX_NAME_PREFIX,
    MAX_TASK_DEFINITION_REVISION,
    SECRET_ARN,
    SECRET_LOOKING_NAME,
)
from stack_model.config.network import LoadBalancerConfig, NetworkConfig
from stack_model.config.scaling import ScalingConfig
from stack_model.config.schedule import ScheduleConfig
from stack_model.config.signals import DeploymentAlarmsConfig, TaskProtectionConfig, signal_problems
from stack_model.config.waf import WafConfig


class ServiceConfig(ConfigModel):
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
    capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = None
    """Where the tasks run: capacity providers (FARGATE, FARGATE_SPOT) with base and weight, as
    ECS places them: the base first, then the rest by weight. Unset (and no spotFrom): all on
    FARGATE. Not with launchType or spotFrom."""
    spot_from: Annotated[int, Field(ge=1, le=MAX_STRATEGY_BASE + 1)] | None = None
    """Short form of a strategy, as Copilot's `spot_from`: task number N and every later one
    run on FARGATE_SPOT, the first N-1 on FARGATE (FARGATE base N-1 weight 0, FARGATE_SPOT
    weight 1); 1 puts every task on Spot. Not with capacityProviderStrategy or launchType."""
    interruptible: bool = True
    """Whether the service survives a task stopped at two minutes' notice. false forbids
    FARGATE_SPOT in its strategy; the ECS service is tagged so the policy pack refuses it too."""
    stop_timeout: Annotated[int, Field(ge=MIN_STOP_TIMEOUT, le=MAX_STOP_TIMEOUT)] | None = None
    """Seconds the container gets between SIGTERM and a forced stop (ECS
    ContainerDefinition.stopTimeout, 2 to 120 on Fargate). Unset: 120 with taskProtection or
    when any task may run on FARGATE_SPOT (its interruption warning is two minutes), else AWS's
    default 30."""
    launch_type: Literal["FARGATE"] | None = None
    """Run on the FARGATE launch type instead of a capacity provider strategy: state it for a
    live service made that way (CloudFormation's default), or AWS and the provider see a
    change. Not with capacityProviderStrategy or spotFrom."""
    migrate_launch_configuration: bool = False
    """Move between launchType and a strategy, or change the strategy, in this one update (sets
    the service's forceNewDeployment, which pulumi-aws requires for a strategy change and which
    moves the running tasks); then set back to false."""
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
    """The load balancer target group the tasks register with. Required with waf, and for any
    service that runs behind a load balancer live: an `up` without it detaches the service."""
    waf: WafConfig = WafConfig()
    """WAF web ACL with a per-client-IP rate limit on the service's load balancer (docs/waf.md)."""
    task_protection: TaskProtectionConfig = TaskProtectionConfig()
    """ECS task scale-in protection for tasks holding work (calls): docs/operations.md."""
    deployment_alarms: DeploymentAlarmsConfig = DeploymentAlarmsConfig()
    """Roll a deployment back when its target group's 5xx count or p90 response time alarms."""
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
    schedule: ScheduleConfig | None = None
    """Working hours: min and max go to 0 at `sleep` and back at `wake` (schedule.py); a
    stack-wide default is serviceDefaults.schedule."""

    @model_validator(mode="before")
    @classmethod
    def _retired_capacity_provider(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and "capacityProvider" in value:
            provider = value["capacityProvider"]
            raise_problems([(("capacityProvider",), (
                f"{format_value(provider)}: this key is retired; write capacityProviderStrategy:"
                f" [{{capacityProvider: {provider}, weight: 1}}], or spotFrom: 1 for every task "
                "on FARGATE_SPOT"))])
        return value

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
        # Without a port, the waf-without-containerPort problem below says what to fix first.
        if self.waf.enabled and self.load_balancer is None and self.container_port is not None:
            # The web ACL sits on the load balancer that feeds this service: the service is
            # registered with one of its target groups, and an `up` that leaves loadBalancer out
            # detaches it (docs/operations.md, "Adopting the live estate").
            problems.append((("loadBalancer",), "unset while waf.enabled is true: a service "
                             "behind a web ACL sits behind its load balancer; declare the target "
                             "group its tasks register with (loadBalancer: {targetGroupArn: "
                             "arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/"
                             "<id>}; containerPort defaults to the service's), or set "
                             "waf.enabled: false"))
        problems.extend(self._effect_problems())
        problems.extend(self._schedule_problems())
        problems.extend(signal_problems(self))
        raise_problems(problems)
        return self

    def _effect_problems(self) -> list[tuple[KeyPath, str]]:
        """Settings the program would accept and AWS would never act on: each takes effect or
        is refused here."""
        problems: list[tuple[KeyPath, str]] = []
        if self.waf.enabled and self.container_port is None:
            # A web ACL filters the requests its Application Load Balancer forwards (WAFV2
            # AssociateWebACL takes the load balancer's ARN); ECS sends a target group's
            # traffic to a container port (ECS API reference, LoadBalancer.containerPort). A
            # worker that listens on no port receives none of it.
            problems.append((("waf", "enabled"), (
                "true, but the service has no containerPort: a web ACL filters requests its "
                "load balancer forwards to the service's port, and a service that listens on "
                "none receives no requests; remove waf or set containerPort")))
        if self.metric_resolution == HIGH_RESOLUTION and not self._reads_high_resolution():
            # Target tracking reads the 20 s data through the HighResolution metric types, an
            # alarm through a 20 s period (docs/metrics-resolution.md); nothing else does, and
            # each 20 s metric is billed at the custom-metric rate (facts/cloudwatch.py).
            problems.append((("metricResolution",), (
                f"{HIGH_RESOLUTION}, but nothing reads the {HIGH_RESOLUTION}-second metrics: "
                "scaling is off (target tracking reads them) and no cpuHigh or memoryHigh "
                f"alarm has period {HIGH_RESOLUTION}; CloudWatch bills them all the same; set "
                f"metricResolution: 60, or turn scaling on")))
        return problems

    def _schedule_problems(self) -> list[tuple[KeyPath, str]]:
        """Working hours that would never run the service (stack_model/schedule_actions.py:
        the wake action puts back effective min and max)."""
        if not self.scheduled or self.effective_max > 0:
            return []
        path: KeyPath = ("scaling", "max") if self.scaling.enabled else ("desiredCount",)
        return [(path, (
            f"{self.effective_max} while schedule.wake wakes the service to it: it would never "
            "run; set at least 1, or schedule.enabled: false"))]

    def _reads_high_resolution(self) -> bool:
        """Whether anything the program creates for this service reads its 20 s metrics."""
        alarms = self.alarms
        return self.scaling.enabled or (
            alarms.period == HIGH_RESOLUTION
            and (alarms.cpu_high is not None or alarms.memory_high is not None))

    def _count_problems(self) -> list[tuple[KeyPath, str]]:
        """Task counts against the capacity in force: the scaling range, the emergency floor
        (holdAt) or the fixed count. The alarm fires when RunningTaskCount > taskCountSpike."""
        problems: list[tuple[KeyPath, str]] = []
        scaling, spike = self.scaling, self.alarms.task_count_spike
        if not scaling.enabled and scaling.hold_at is not None:
            # The floor is written into the scalable target (min = max = holdAt); with scaling
            # off there is none, and the program would drop the setting silently.
            problems.append((
                ("scaling", "holdAt"),
                f"{scaling.hold_at} is set but scaling is off: the service runs a fixed "
                f"desiredCount {self.desired_count} and has no scalable target to pin; set "
                "desiredCount instead, or turn scaling on",
            ))
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
        """launchType, capacityProviderStrategy and spotFrom exclude each other (ECS
        CreateService: with a capacityProviderStrategy the launchType must be omitted); the
        strategy is one ECS accepts (clusters.strategy_problems); Spot only where an
        interruption is harmless and the task can run there; an adopted service states how it
        runs; a migration is never part of an adoption."""
        problems: list[tuple[KeyPath, str]] = []
        stated = [label for label, value in (
            ("launchType", self.launch_type), ("capacityProviderStrategy",
                                               self.capacity_provider_strategy),
            ("spotFrom", self.spot_from)) if value is not None]
        if len(stated) > 1:
            problems.append(((stated[1],), (
                f"set together with {stated[0]}: a service runs on a launch type or on one "
                "capacity provider strategy (spotFrom is a short form of one); keep one of "
                "launchType, capacityProviderStrategy and spotFrom")))
        if self.capacity_provider_strategy is not None:
            if not self.capacity_provider_strategy:
                problems.append((("capacityProviderStrategy",), (
                    "[] names no provider: list at least one ({capacityProvider: FARGATE, "
                    "weight: 1}), or remove the key for FARGATE")))
            problems.extend((("capacityProviderStrategy", *path), message) for path, message
                            in strategy_problems(self.capacity_provider_strategy))
        problems.extend(self._spot_problems())
        if self.import_ids.service is not None:
            if not stated:
                problems.append((
                    ("launchType",),
                    "unset, and so are capacityProviderStrategy and spotFrom, on a service "
                    "adopted through importIds.service: state how the live service runs "
                    "(launchType: FARGATE for a service CloudFormation made with a launch type, "
                    "or its capacityProviderStrategy), or the first `up` changes it",
                ))
            if self.migrate_launch_configuration:
                problems.append((
                    ("migrateLaunchConfiguration",),
                    "true while importIds.service adopts the service: adopt it as it runs "
                    "first, then migrate in a later update",
                ))
        return problems

    def _spot_problems(self) -> list[tuple[KeyPath, str]]:
        """FARGATE_SPOT where the service says an interruption is not harmless, or where the
        task cannot run (ARM64), and a stopTimeout under the two-minute warning said on purpose
        is fine: only the default follows the strategy."""
        if FARGATE_SPOT not in self.strategy_providers:
            return []
        where = ("spotFrom",) if self.spot_from is not None else ("capacityProviderStrategy",)
        problems: list[tuple[KeyPath, str]] = []
        if not self.interruptible:
            problems.append((where, (
                f"places tasks on {FARGATE_SPOT}, but interruptible is false: Fargate Spot "
                "stops a task at two minutes' notice; run it on FARGATE only (remove "
                f"{where[0]}, or name {FARGATE} alone), or set interruptible: true")))
        if self.architecture not in SPOT_ARCHITECTURES:
            # ECS developer guide, "AWS Fargate capacity providers": Fargate Spot runs X86_64
            # Linux tasks only.
            problems.append((where, (
                f"places tasks on {FARGATE_SPOT}, but architecture is {self.architecture}: "
                f"Fargate Spot runs {', '.join(SPOT_ARCHITECTURES)} Linux tasks only; set "
                f"architecture: X86_64 or run on {FARGATE}")))
        return problems

    @property
    def strategy(self) -> tuple[tuple[str, int, int], ...]:
        """The capacity provider strategy as (provider, base, weight), spotFrom spelled out;
        empty on a launch type. Neither key: FARGATE alone."""
        if self.launch_type is not None:
            return ()
        if self.spot_from is not None:
            on_demand = self.spot_from - 1
            spot = ((FARGATE_SPOT, 0, 1),)
            return ((FARGATE, on_demand, 0), *spot) if on_demand else spot
        if self.capacity_provider_strategy is not None:
            return tuple((item.capacity_provider, item.base, item.weight)
                         for item in self.capacity_provider_strategy)
        return ((FARGATE, 0, 1),)

    @property
    def strategy_providers(self) -> tuple[str, ...]:
        """The providers the strategy may place tasks on (a weight or a base above 0)."""
        return tuple(provider for provider, base, weight in self.strategy if base or weight)

    @property
    def may_run_on_spot(self) -> bool:
        return FARGATE_SPOT in self.strategy_providers

    @property
    def effective_stop_timeout(self) -> int | None:
        """stopTimeout for the container: as set, else 120 with task protection or any task on
        Spot, else unset."""
        if self.stop_timeout is not None:
            return self.stop_timeout
        if self.task_protection.enabled:
            # A deploy or scale-in that does stop a task (after its protection lapses) gives
            # its calls the longest wind-down Fargate allows.
            return MAX_STOP_TIMEOUT
        return SPOT_STOP_TIMEOUT if self.may_run_on_spot else None

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

    @property
    def scheduled(self) -> bool:
        """Whether working hours apply: the service then has a scalable target (even with
        scaling off, pinned at min = max = desiredCount) that two scheduled actions move."""
        return self.schedule is not None and self.schedule.enabled

    @property
    def has_scalable_target(self) -> bool:
        """Whether Application Auto Scaling owns the count: scaling or a schedule is on."""
        return self.scaling.enabled or self.scheduled

    @property
    def on_fraction(self) -> Decimal:
        """Share of the week the service runs: 1, or its schedule's on-hours / 168."""
        return self.schedule.on_fraction if self.schedule is not None and self.scheduled \
            else Decimal(1)
