"""ScalableService: one right-sized Fargate service with target-tracking auto-scaling and alarms.

Creates, as children: a CloudWatch log group; an execution role allowed only to pull the image,
read the service's own secrets and write its own logs; a Fargate task definition (kept on
replacement, so `family:N` rollbacks keep working; containers that may run on Fargate Spot
get stopTimeout 120 s); the ECS service (circuit breaker with rollback, on a launch type or a
capacity provider strategy; tagged when it is not interruptible), through pulumi-aws, or
through pulumi-aws-native when it publishes 20-second metrics: one description of it
(stack_model/ecs_service.py), two emitters that only spell it for their provider; and, when
scaling is on, a scalable target with CPU and memory target-tracking policies. Alarms (CPU
high, memory high, RunningTaskCount spike) are created only where the service config sets a
threshold; all notify the alert topic.

The caller supplies the validated `ServiceConfig`, the cluster's ARN and name, the alert topic
ARN and the stack's environment. With scaling on, the service ignores `desiredCount` so a
`pulumi up` never resets what auto-scaling chose; `applyDesiredCount` pushes it through on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws_native as aws_native

from components.deployment_alarms import create_deployment_alarms
from components.scaling_signals import backlog_tracking, calls_tracking, requests_tracking
from components.task_protection import protect_tasks
from policies.guardrails.facts.cloudwatch import (
    CPU_METRIC_NAME,
    MEMORY_METRIC_NAME,
    RUNNING_TASK_COUNT,
    SERVICE_METRIC_NAMES,
    metric_type,
)
from policies.guardrails.facts.conventions import INTERRUPTIBLE_TAG, NOT_INTERRUPTIBLE
from policies.guardrails.facts.ecs import SERVICE_ROLE_PROPERTY
from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE, ECS_SERVICE_NAMESPACE
from policies.guardrails.facts.secrets import VIA_SERVICE, secret_resource_arn, via_service_endpoints
from policies.guardrails.facts.types import NATIVE_SERVICE_TYPE, SCALABLE_SERVICE_COMPONENT
from policies.guardrails.facts.wafv2 import WEB_ACL_TAG
from stack_model.config import ServiceConfig
from stack_model.ecs_service import ServiceDescription, describe_service
from stack_model.naming import (
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    ecr_repository_arn,
    log_group_arn,
    native_service_import_id,
    service_import_id,
    service_tags,
)
from stack_model.schedule_actions import scheduled_actions, target_ignore_changes

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)"
)


@dataclass
class ScalableServiceArgs:
    key: str
    """Service key in the stack config (web, queue, ...); tagged as z360:service."""
    config: ServiceConfig
    """The validated service settings."""
    environment: str
    """Stack environment (staging, beta); tagged as z360:environment."""
    cluster_arn: pulumi.Input[str]
    """ARN of the cluster the service runs in."""
    cluster_name: pulumi.Input[str]
    """Name of that cluster: scaling resource ids and alarm dimensions use it."""
    alert_topic_arn: pulumi.Input[str]
    """SNS topic every alarm notifies."""
    account_id: str
    """AWS account the stack deploys to (aws:allowedAccountIds)."""
    region: str
    """AWS region (aws:region)."""
    protect: bool = False
    """Protect the ECS service itself from deletion (never its scaling children)."""
    held_max: int | None = None
    """Max capacity a tripped cost breaker holds; kept instead of the configured max."""
    service_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What the ECS service must wait for: its cluster and the cluster's capacity providers."""


def _ecr_repository_arn(image: str) -> str | None:
    match = _ECR_IMAGE.match(image)
    if not match:
        return None
    return ecr_repository_arn(match["region"], match["account"], match["repo"])


def execution_role_policy(
    image: str, log_group_arn: str, secret_arns: list[str], kms_key_arns: list[str] | None = None,
    region: str = "us-east-1",
) -> dict:
    """Least-privilege policy for the ECS agent: pull this image, write these logs, read these
    secrets (decrypting them with these customer-managed keys).

    A secret reference (`valueFrom`) is not always the secret's ARN: IAM is granted the
    secret's own ARN (policies/guardrails/facts/secrets.py; ECS developer guide, "Amazon ECS
    task execution IAM role", Secrets Manager permissions)."""
    statements: list[dict[str, Any]] = [
        # GetAuthorizationToken has no resource-level permissions; AWS requires "*".
        {"Sid": "EcrAuth", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"],
         "Resource": "*"},
        {"Sid": "Logs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
    ]
    repository = _ecr_repository_arn(image)
    if repository:
        statements.insert(1, {
            "Sid": "PullImage", "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                       "ecr:GetDownloadUrlForLayer"],
            "Resource": repository,
        })
    resources = {secret_resource_arn(a) for a in secret_arns}
    ssm = sorted(a for a in resources if ":ssm:" in a)
    secrets_manager = sorted(a for a in resources if ":secretsmanager:" in a)
    if ssm:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow",
                           "Action": ["ssm:GetParameters"], "Resource": ssm})
    if secrets_manager:
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": secrets_manager})
    if kms_key_arns and (ssm or secrets_manager):
        # Only through the services that read the secrets, never direct use of the key.
        statements.append({"Sid": "DecryptSecrets", "Effect": "Allow",
                           "Action": ["kms:Decrypt"], "Resource": sorted(kms_key_arns),
                           "Condition": {"StringEquals": {
                               VIA_SERVICE: via_service_endpoints(region)}}})
    return {"Version": "2012-10-17", "Statement": statements}


def ecs_tasks_assume_role(account_id: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }


# --- the ECS service, per provider ---------------------------------------------------------
# Both take one ServiceDescription and only map it to their provider's names and shapes; what
# the service is (count, ignore list, pin, launch, network, load balancers, deployment, what an
# adopted service keeps) is decided in stack_model/ecs_service.py. Every create-only property
# of the provider's type (policies/guardrails/facts/ecs.py CREATE_ONLY_BY_TYPE) is sent,
# ignored, or (pulumi-aws) Optional+Computed and left unset; tests/components/
# test_scalable_service.py holds both emitters to that.


def service_tags_of(service: ServiceDescription, tags: dict[str, str]) -> dict[str, str]:
    """The ECS service's tags: the service's own, the web ACL in front of it, which the pack's
    service-load-balancer-declared rule reads, and `interruptible: false`, which its
    interruptible-not-on-spot rule reads (a resource rule sees one resource)."""
    tagged = dict(tags)
    if service.web_acl is not None:
        tagged[WEB_ACL_TAG] = service.web_acl
    if not service.interruptible:
        tagged[INTERRUPTIBLE_TAG] = NOT_INTERRUPTIBLE
    return tagged


def _kept_as_live(service: ServiceDescription) -> pulumi.ResourceOptions:
    """aws-native ignoreChanges for what the service keeps as AWS has it. An ignored input takes
    the old value (on an import, the value read from AWS: pulumi pkg/resource/deploy/step.go,
    ImportStep.Apply -> processIgnoreChanges), so the create-only role never diffs; on create
    nothing is sent."""
    kept = [SERVICE_ROLE_PROPERTY[NATIVE_SERVICE_TYPE]] if service.keep_live_role else []
    return pulumi.ResourceOptions(ignore_changes=kept)


def _classic_alarms(service: ServiceDescription) -> aws.ecs.ServiceAlarmsArgs | None:
    """Deployment alarms with rollback (pulumi-aws ecs.Service `alarms`, ECS
    DeploymentConfiguration.alarms: alarmNames, enable, rollback)."""
    if not service.deployment_alarms:
        return None
    return aws.ecs.ServiceAlarmsArgs(
        alarm_names=list(service.deployment_alarms), enable=True, rollback=True)


def _native_alarms(
    service: ServiceDescription,
) -> aws_native.ecs.ServiceDeploymentAlarmsArgs | None:
    """The same alarms as AWS::ECS::Service DeploymentConfiguration.Alarms."""
    if not service.deployment_alarms:
        return None
    return aws_native.ecs.ServiceDeploymentAlarmsArgs(
        alarm_names=list(service.deployment_alarms), enable=True, rollback=True)


def emit_classic_service(
    name: str,
    service: ServiceDescription,
    *,
    cluster_arn: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    task_definition_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ecs.Service:
    """`service` as pulumi-aws's ecs.Service.

    ForceNew in terraform-provider-aws (internal/service/ecs/service.go): name, cluster,
    launch_type, scheduling_strategy and deployment_controller.type are sent. iam_role is kept
    as AWS has it by leaving it unset: it is Optional+Computed there, so an unset value takes
    the live one and never diffs (facts/ecs.py CLASSIC_SERVICE_KEPT_WHEN_UNSET); stating it
    could only replace the service (an import reads it back as a name cut from the ARN,
    resourceServiceRead, which loses a role's path: terraform-provider-aws#30161)."""
    del cluster_name  # the ARN: see `cluster` below
    return aws.ecs.Service(
        name,
        name=service.name,
        # The ARN, the form an import reads back: importing `<cluster>/<service>` sets cluster
        # to the cluster's ARN (resourceServiceImport), and a name there would replace the
        # service (terraform-provider-aws#41994, pulumi-aws#3373).
        cluster=cluster_arn,
        task_definition=task_definition_arn,
        desired_count=service.desired_count,
        launch_type=service.launch_type,
        scheduling_strategy=service.scheduling_strategy,
        deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(
            type=service.deployment_controller
        ),
        capacity_provider_strategies=[aws.ecs.ServiceCapacityProviderStrategyArgs(
            capacity_provider=item.capacity_provider, weight=item.weight, base=item.base,
        ) for item in service.capacity_provider_strategy] or None,
        # pulumi-aws refuses a strategy change on a live service without it (see
        # docs/aws-checks.md, "Launch configuration").
        force_new_deployment=True if service.force_new_deployment else None,
        platform_version=service.platform_version,
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=list(service.subnets),
            security_groups=list(service.security_groups),
            assign_public_ip=service.assign_public_ip,
        ),
        load_balancers=[aws.ecs.ServiceLoadBalancerArgs(
            target_group_arn=lb.target_group_arn,
            container_name=lb.container_name,
            container_port=lb.container_port,
        ) for lb in service.load_balancers] or None,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
            enable=service.circuit_breaker, rollback=service.rollback_on_failure
        ),
        alarms=_classic_alarms(service),
        deployment_minimum_healthy_percent=service.minimum_healthy_percent,
        deployment_maximum_percent=service.maximum_percent,
        propagate_tags=service.propagate_tags,
        enable_ecs_managed_tags=service.enable_ecs_managed_tags,
        wait_for_steady_state=False,
        tags=service_tags_of(service, tags),
        opts=opts,
    )


def emit_native_service(
    name: str,
    service: ServiceDescription,
    *,
    cluster_arn: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    task_definition_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws_native.ecs.Service:
    """`service` as AWS::ECS::Service through Cloud Control, publishing CPU and memory at its
    resolution: pulumi-aws 7.x's ecs.Service has no `monitoring` (terraform-provider-aws
    #48669), pulumi-aws-native's has (ServiceMonitoringConfiguration). Adopting a live service:
    import id `<service ARN>|<cluster name>` (the schema's primaryIdentifier ServiceArn,
    Cluster); docs/metrics-resolution.md has the steps.

    Create-only (AWS::ECS::Service createOnlyProperties): serviceName, cluster and
    schedulingStrategy are sent, launchType (conditionally create-only) whenever the service
    runs on one; role is ignored (facts/ecs.py SERVICE_ROLE_PROPERTY)."""
    del cluster_arn  # the name: see `cluster` below
    ecs = aws_native.ecs
    return ecs.Service(
        name,
        service_name=service.name,
        # The name, the form the import id gives Cluster (primaryIdentifier ServiceArn|Cluster,
        # stack_model/naming.py native_service_import_id): a read returns the identifier's
        # values as given, and the schema has no propertyTransform for Cluster (it has for Role
        # and TaskDefinition, the two it reads back as ARNs), so a name read back compared with
        # an ARN sent would be a change of a create-only property: a replace. Unverified
        # offline; `aws cloudcontrol get-resource --type-name AWS::ECS::Service --identifier
        # '<service ARN>|<cluster name>'` shows the form.
        cluster=cluster_name,
        task_definition=task_definition_arn,
        desired_count=service.desired_count,
        launch_type=ecs.ServiceLaunchType(service.launch_type) if service.launch_type else None,
        scheduling_strategy=ecs.ServiceSchedulingStrategy(service.scheduling_strategy),
        capacity_provider_strategy=[ecs.ServiceCapacityProviderStrategyItemArgs(
            capacity_provider=item.capacity_provider, weight=item.weight, base=item.base,
        ) for item in service.capacity_provider_strategy] or None,
        # Cloud Control updates a strategy in place without it (launchType and
        # capacityProviderStrategy are not createOnly in the schema), but UpdateService
        # moves no running task ("This parameter doesn't trigger a new service
        # deployment", botocore ecs UpdateServiceRequest.capacityProviderStrategy): the
        # migration forces the deployment that moves them.
        force_new_deployment=ecs.ServiceForceNewDeploymentArgs(
            enable_force_new_deployment=True
        ) if service.force_new_deployment else None,
        platform_version=service.platform_version,
        network_configuration=ecs.ServiceNetworkConfigurationArgs(
            awsvpc_configuration=ecs.ServiceAwsVpcConfigurationArgs(
                subnets=list(service.subnets),
                security_groups=list(service.security_groups),
                assign_public_ip=(
                    ecs.ServiceAwsVpcConfigurationAssignPublicIp.ENABLED
                    if service.assign_public_ip
                    else ecs.ServiceAwsVpcConfigurationAssignPublicIp.DISABLED
                ),
            ),
        ),
        load_balancers=[ecs.ServiceLoadBalancerArgs(
            target_group_arn=lb.target_group_arn,
            container_name=lb.container_name,
            container_port=lb.container_port,
        ) for lb in service.load_balancers] or None,
        deployment_configuration=ecs.ServiceDeploymentConfigurationArgs(
            deployment_circuit_breaker=ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=service.circuit_breaker, rollback=service.rollback_on_failure
            ),
            alarms=_native_alarms(service),
            minimum_healthy_percent=service.minimum_healthy_percent,
            maximum_percent=service.maximum_percent,
        ),
        # High-resolution metrics need the ECS (rolling update) deployment controller
        # (ECS developer guide, "Faster auto scaling with high-resolution metrics",
        # considerations): set it explicitly so the pack can see it.
        deployment_controller=ecs.ServiceDeploymentControllerArgs(
            type=ecs.ServiceDeploymentControllerType(service.deployment_controller)
        ),
        monitoring=ecs.ServiceMonitoringConfigurationArgs(metric_configurations=[
            ecs.ServiceMetricConfigurationArgs(
                metric_names=[
                    ecs.ServiceMetricConfigurationMetricNamesItem(metric)
                    for metric in SERVICE_METRIC_NAMES
                ],
                resolution_seconds=service.metric_resolution,
            ),
        ]),
        propagate_tags=ecs.ServicePropagateTags(service.propagate_tags),
        enable_ecs_managed_tags=service.enable_ecs_managed_tags,
        tags=[aws_native.TagArgs(key=k, value=v)
              for k, v in sorted(service_tags_of(service, tags).items())],
        opts=pulumi.ResourceOptions.merge(opts, _kept_as_live(service)),
    )


class ScalableService(pulumi.ComponentResource):
    """A right-sized Fargate service; see the module docstring."""

    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    scaling_resource_id: pulumi.Output[str] | None
    alarm_names: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: ScalableServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SCALABLE_SERVICE_COMPONENT, name, None, opts)
        self._name = name
        self._args = args
        self._config = args.config
        self._tags = service_tags(args.key, args.environment)
        self._description = describe_service(args.key, args.config)
        child = pulumi.ResourceOptions(parent=self)

        log_group = self._log_group(child)
        role = self._execution_role(log_group, child)
        task_role_arn = self._task_role(child)
        task_definition = self._task_definition(log_group, role, task_role_arn, child)
        deployment_alarms = self._deployment_alarms(child)
        service = self._service(task_definition, child, deployment_alarms)
        target = self._scaling(service, child) if self._config.has_scalable_target else None
        alarms = [*self._alarms(service, child), *deployment_alarms]

        self.service_name = self._service_name(service)
        pin = self._description.task_definition_pin
        self.task_definition_arn = (
            pulumi.Output.from_input(pin) if pin else task_definition.arn
        )
        self.scaling_resource_id = target.resource_id if target else None
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.register_outputs({
            "service_name": self.service_name,
            "task_definition_arn": self.task_definition_arn,
            "scaling_resource_id": self.scaling_resource_id,
            "alarm_names": self.alarm_names,
        })

    # --- builders ------------------------------------------------------------------------

    def _import(self, attribute: str) -> pulumi.ResourceOptions:
        import_id = getattr(self._config.import_ids, attribute)
        return pulumi.ResourceOptions(import_=import_id) if import_id else pulumi.ResourceOptions()

    def _log_group(self, child: pulumi.ResourceOptions) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=self._config.log_group_name,
            retention_in_days=self._config.log_retention_days,
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(child, self._import("log_group")),
        )

    def _execution_role(
        self, log_group: aws.cloudwatch.LogGroup, child: pulumi.ResourceOptions
    ) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-execution-role",
            name=self._config.execution_role_name,
            assume_role_policy=pulumi.Output.json_dumps(ecs_tasks_assume_role(self._args.account_id)),
            tags=self._tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-execution-policy",
            # The role's name (its id): known at preview, so the pack joins role and policy.
            role=role.name,
            # Built from known names, not log_group.arn, so the policy is known at preview and
            # the policy pack can check it in CI.
            policy=pulumi.Output.json_dumps(
                execution_role_policy(
                    self._config.image,
                    log_group_arn(
                        self._args.region, self._args.account_id, self._config.log_group_name
                    ),
                    list(self._config.secrets.values()),
                    list(self._config.secrets_kms_key_arns),
                    self._args.region,
                )
            ),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[log_group])
            ),
        )
        return role

    def _container_definitions(self, log_group: aws.cloudwatch.LogGroup) -> pulumi.Output[str]:
        config = self._config
        container: dict[str, Any] = {
            "name": self._args.key,
            "image": config.image,
            "essential": True,
            "environment": [
                {"name": k, "value": v} for k, v in sorted(config.environment.items())
            ],
            "secrets": [
                {"name": k, "valueFrom": v} for k, v in sorted(config.secrets.items())
            ],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": self._args.region,
                    "awslogs-stream-prefix": self._args.key,
                },
            },
        }
        stop_timeout = config.effective_stop_timeout
        if stop_timeout is not None:
            # Fargate Spot warns two minutes before it stops a task (SIGTERM); ECS's default 30 s
            # would kill the container 90 s early (facts/ecs.py SPOT_STOP_TIMEOUT).
            container["stopTimeout"] = stop_timeout
        if config.container_port is not None:
            container["portMappings"] = [
                {"containerPort": config.container_port, "protocol": "tcp"}
            ]
        return pulumi.Output.json_dumps([container])

    def _task_role(self, child: pulumi.ResourceOptions) -> pulumi.Input[str] | None:
        """taskRoleArn, with task scale-in protection granted when taskProtection is on
        (components/task_protection.py)."""
        return protect_tasks(
            self._name, self._config, cluster_name=self._args.cluster_name,
            region=self._args.region, account_id=self._args.account_id,
            assume_role_policy=ecs_tasks_assume_role(self._args.account_id),
            tags=self._tags, opts=child,
        )

    def _deployment_alarms(
        self, child: pulumi.ResourceOptions
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """The alarms a deployment rolls back on (components/deployment_alarms.py)."""
        return create_deployment_alarms(
            self._name, self._config, key=self._args.key, environment=self._args.environment,
            alert_topic_arn=self._args.alert_topic_arn, tags=self._tags, opts=child,
        )

    def _task_definition(
        self,
        log_group: aws.cloudwatch.LogGroup,
        role: aws.iam.Role,
        task_role_arn: pulumi.Input[str] | None,
        child: pulumi.ResourceOptions,
    ) -> aws.ecs.TaskDefinition:
        config = self._config
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=config.family,
            cpu=str(config.cpu),
            memory=str(config.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": config.architecture,
            },
            execution_role_arn=role.arn,
            task_role_arn=task_role_arn,
            container_definitions=self._container_definitions(log_group),
            # Keep every revision registered: rollbacks name `family:N`.
            skip_destroy=True,
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(child, self._import("task_definition")),
        )

    def _service(
        self, task_definition: aws.ecs.TaskDefinition, child: pulumi.ResourceOptions,
        deployment_alarms: list[aws.cloudwatch.MetricAlarm],
    ) -> aws.ecs.Service | aws_native.ecs.Service:
        """The service described once (stack_model/ecs_service.py), emitted through the provider
        that can say it: 20-second metrics only through aws-native."""
        service = self._description
        task_definition_arn = service.task_definition_pin or task_definition.arn
        if service.high_resolution:
            native_import = (
                native_service_import_id(self._args.region, self._args.account_id, *service.adopt)
                if service.adopt else None
            )
            return emit_native_service(
                f"{self._name}-service", service, cluster_arn=self._args.cluster_arn,
                cluster_name=self._args.cluster_name,
                task_definition_arn=task_definition_arn, tags=self._tags,
                opts=self._service_options(child, native_import, deployment_alarms),
            )
        return emit_classic_service(
            f"{self._name}-service", service, cluster_arn=self._args.cluster_arn,
            cluster_name=self._args.cluster_name,
            task_definition_arn=task_definition_arn, tags=self._tags,
            opts=self._service_options(
                child, service_import_id(*service.adopt) if service.adopt else None,
                deployment_alarms,
            ),
        )

    def _service_options(
        self, child: pulumi.ResourceOptions, import_id: str | None,
        deployment_alarms: list[aws.cloudwatch.MetricAlarm],
    ) -> pulumi.ResourceOptions:
        """The service's options, the same for both providers but the import id's form. The
        service waits for the alarms its deployments watch (it names them)."""
        return pulumi.ResourceOptions.merge(
            child,
            pulumi.ResourceOptions(
                ignore_changes=list(self._description.ignore_changes),
                protect=self._args.protect,
                import_=import_id,
                depends_on=[*self._args.service_depends_on, *deployment_alarms],
            ),
        )

    def _service_name(
        self, service: aws.ecs.Service | aws_native.ecs.Service
    ) -> pulumi.Output[str]:
        """The service's name, known at preview for both kinds (aws-native's `name` is an
        output AWS fills in; its input `serviceName` is the same name)."""
        if isinstance(service, aws_native.ecs.Service):
            name = self._config.service_name
            return service.service_name.apply(lambda _: name)
        return service.name

    def _scaling(
        self, service: aws.ecs.Service | aws_native.ecs.Service, child: pulumi.ResourceOptions
    ) -> aws.appautoscaling.Target:
        """The scalable target, its target-tracking policies when scaling is on, and its
        working hours when a schedule applies (a schedule-only target has no policy)."""
        target = self._scalable_target(service, child)
        if self._config.scaling.enabled:
            self._tracking_policies(target, service, child)
        if self._config.scheduled:
            self._schedule(target, child)
        return target

    def _scalable_target(
        self, service: aws.ecs.Service | aws_native.ecs.Service, child: pulumi.ResourceOptions
    ) -> aws.appautoscaling.Target:
        config = self._config
        return aws.appautoscaling.Target(
            f"{self._name}-scaling-target",
            service_namespace=SCALING_NAMESPACE,
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=pulumi.Output.concat(
                "service/", self._args.cluster_name, "/", self._service_name(service)
            ),
            min_capacity=config.effective_min,
            max_capacity=(
                config.effective_max if self._args.held_max is None
                else max(config.effective_min, min(config.effective_max, self._args.held_max))
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions.merge(self._import("scalable_target"), pulumi.ResourceOptions(
                    # The schedule sets min and max (stack_model/schedule_actions.py): an `up`
                    # must not put back the configured ones at night.
                    ignore_changes=list(target_ignore_changes(config)))),
            ),
        )

    def _tracking_policies(
        self, target: aws.appautoscaling.Target,
        service: aws.ecs.Service | aws_native.ecs.Service, child: pulumi.ResourceOptions,
    ) -> None:
        config = self._config
        scaling = config.scaling
        for metric, tracking in self._tracked_signals(service).items():
            aws.appautoscaling.Policy(
                f"{self._name}-{metric}-scaling",
                name=config.policy_name(metric),  # importIds check this name
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=(
                    aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        **tracking,
                        scale_out_cooldown=scaling.scale_out_cooldown,
                        scale_in_cooldown=scaling.scale_in_cooldown,
                        disable_scale_in=False,
                    )),
                opts=pulumi.ResourceOptions.merge(
                    child, self._import(f"{metric}_policy") if metric in ("cpu", "memory")
                    else pulumi.ResourceOptions()),
            )

    def _schedule(
        self, target: aws.appautoscaling.Target, child: pulumi.ResourceOptions
    ) -> list[aws.appautoscaling.ScheduledAction]:
        """Working hours: a `sleep` action setting min = max = 0 and a `wake` action putting
        back the configured min and max (stack_model/schedule_actions.py decides them)."""
        return [
            aws.appautoscaling.ScheduledAction(
                f"{self._name}-{action.role}",
                name=action.name,
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=action.schedule,
                timezone=action.timezone,
                scalable_target_action=aws.appautoscaling.ScheduledActionScalableTargetActionArgs(
                    min_capacity=action.min_capacity, max_capacity=action.max_capacity,
                ),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                    depends_on=[target])),
            )
            for action in scheduled_actions(self._config)
        ]

    def _tracked_signals(
        self, service: aws.ecs.Service | aws_native.ecs.Service
    ) -> dict[str, dict[str, Any]]:
        """Each target-tracking policy's metric and target, by policy kind: CPU (unless a queue
        worker scales on its backlog instead), memory, and the signals of
        components/scaling_signals.py the stack file asks for."""
        config = self._config
        resolution = config.metric_resolution

        def predefined(metric: str, value: float) -> dict[str, Any]:
            return {"predefined_metric_specification": {
                "predefined_metric_type": metric_type(metric, resolution)}, "target_value": value}

        service_name = self._service_name(service)
        signals: dict[str, dict[str, Any] | None] = {
            "cpu": None if config.scaling.queue_backlog is not None
            else predefined(CPU_METRIC_NAME, config.scaling.cpu_target),
            "memory": predefined(MEMORY_METRIC_NAME, config.scaling.memory_target),
            "backlog": backlog_tracking(config, self._args.cluster_name, service_name),
            "requests": requests_tracking(config),
            "calls": calls_tracking(config, self._args.cluster_name, service_name),
        }
        return {kind: tracking for kind, tracking in signals.items() if tracking is not None}

    def _alarms(
        self, service: aws.ecs.Service | aws_native.ecs.Service, child: pulumi.ResourceOptions
    ) -> list[aws.cloudwatch.MetricAlarm]:
        config = self._config
        alarms_config = config.alarms
        topic = [self._args.alert_topic_arn]
        dimensions = {
            "ClusterName": self._args.cluster_name, "ServiceName": self._service_name(service),
        }
        alarms = []
        for role, kind, metric, threshold, import_attr in (
            ("high-cpu", "cpu", CPU_METRIC_NAME, alarms_config.cpu_high, "cpu_alarm"),
            ("high-memory", "memory", MEMORY_METRIC_NAME, alarms_config.memory_high,
             "memory_alarm"),
        ):
            if threshold is None:
                continue
            alarms.append(aws.cloudwatch.MetricAlarm(
                f"{self._name}-{role}",
                name=config.alarm_name(kind),
                alarm_description=(
                    f"{self._args.environment} {self._args.key}: average {metric} above "
                    f"{threshold:g}% for {alarms_config.datapoints_to_alarm} of "
                    f"{alarms_config.evaluation_periods} periods of {alarms_config.period} s"
                ),
                namespace=ECS_SERVICE_NAMESPACE,
                metric_name=metric,
                dimensions=dimensions,
                statistic="Average",
                period=alarms_config.period,
                evaluation_periods=alarms_config.evaluation_periods,
                datapoints_to_alarm=alarms_config.datapoints_to_alarm,
                threshold=threshold,
                comparison_operator="GreaterThanThreshold",
                # No datapoints means no tasks report: not a breach of a utilisation alarm.
                treat_missing_data="missing",
                alarm_actions=topic,
                ok_actions=topic,
                tags=self._tags,
                opts=pulumi.ResourceOptions.merge(child, self._import(import_attr)),
            ))
        spike = alarms_config.task_count_spike
        if spike is not None:
            alarms.append(aws.cloudwatch.MetricAlarm(
                f"{self._name}-task-count-spike",
                name=config.alarm_name("spike"),
                alarm_description=(
                    f"{self._args.environment} {self._args.key}: more than {spike} tasks "
                    "running; unusual traffic or a scaling loop"
                ),
                # RunningTaskCount exists only here, with Container Insights on the cluster;
                # in AWS/ECS this alarm would never fire.
                namespace=CONTAINER_INSIGHTS_NAMESPACE,
                metric_name=RUNNING_TASK_COUNT,
                dimensions=dimensions,
                statistic="Maximum",
                period=60,
                evaluation_periods=1,
                datapoints_to_alarm=1,
                threshold=spike,
                comparison_operator="GreaterThanThreshold",
                # A service at 0 tasks sends no datapoints: that is the opposite of a spike.
                treat_missing_data="notBreaching",
                alarm_actions=topic,
                ok_actions=topic,
                tags=self._tags,
                opts=pulumi.ResourceOptions.merge(child, self._import("spike_alarm")),
            ))
        return alarms
