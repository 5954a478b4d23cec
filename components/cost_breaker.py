"""CostBreaker: an automatic, reversible response to runaway spend.

A budget only sends mail. The breaker acts: when the monthly budget crosses `thresholdPercent`
(ACTUAL or FORECASTED), AWS Budgets publishes to the breaker's own SNS topic, which invokes a
Lambda function (the `breaker` package) that lowers each scalable target's max capacity to its
emergency ceiling, records what it changed in an SSM parameter, and tells the alert topic.
An operator undoes it with one command (`restore_command`).

Creates, as children: the breaker topic with a policy letting this account's budgets publish;
the record parameter (created with an empty record; the function owns its value afterwards);
the lock parameter that serialises trip and restore (see breaker/lock.py); the function's
log group; an execution role with a least-privilege inline policy; the function, packaged from
the whole breaker package and the facts it imports (`lambda_code`); its asynchronous-invocation
config, whose on-failure destination is the
alert topic; the permission letting the topic invoke it; and the subscription. The caller
supplies the validated config, the budget it watches, the scalable targets (resource ids) with
their ceilings, and the alert topic; it must add `budget_notification` to that budget's
notifications (a budget notification is not a resource of its own in pulumi-aws, only a block
of `aws.budgets.Budget`).

What the component and the function both write or read (environment names, the record and its
tier, the lock, the restore command) is breaker/contract.py, which imports no boto3: the program
never loads the function's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from breaker.contract import (
    EMPTY_RECORD_VALUE,
    FREE_LOCK,
    FUNCTION_TIMEOUT_SECONDS,
    HANDLER,
    IMPORTED_FACTS,
    RECORD_TIER,
    RUNTIME,
    function_environment,
    lock_parameter_name,
    parameter_folder,
    parse_record,
    restore_command,
    target_entry,
)
from policies.guardrails.facts.burn_rate import COST_BREAKER_TAG
from policies.guardrails.facts.types import COST_BREAKER_COMPONENT
from stack_model.config import BudgetConfig, CostBreakerConfig, StackConfig
from stack_model.naming import (
    ENVIRONMENT_TAG,
    SCALABLE_DIMENSION,
    SCALING_NAMESPACE,
    alarm_arn,
    cost_breaker_names,
    ecs_arn,
    environment_tags,
    log_group_arn,
    scalable_target_arn_pattern,
    sns_topic_arn,
    ssm_parameter_arn,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BREAKER_PACKAGE = PROJECT_ROOT / "breaker"
# Lambda's default for asynchronous invocations, stated so the preview shows it: "Lambda
# retries the function twice more", then sends the event to the on-failure destination
# (AWS Lambda Developer Guide, "Asynchronous invocation" and "Capturing records of Lambda
# asynchronous invocations").
ASYNC_RETRY_ATTEMPTS = 2
LOG_RETENTION_DAYS = 90  # trips are rare: keep the evidence for a quarter


@dataclass
class BreakerTarget:
    service: str
    """Service key in the stack config (web, queue, ...)."""
    resource_id: pulumi.Input[str]
    """Scalable target resource id, `service/<cluster>/<service>`."""
    ceiling: int
    """Max capacity while the breaker is tripped."""


@dataclass
class CostBreakerArgs:
    config: CostBreakerConfig
    """Threshold, notification type and ceilings (already validated)."""
    budget: BudgetConfig
    """The budget whose notification trips the breaker."""
    environment: str
    """Stack environment: names, tags and the scalable-target tag the role is limited to."""
    account_id: str
    """AWS account the stack deploys to; the only account whose budget and alarms the function
    trusts."""
    region: str
    """AWS region (aws:region)."""
    targets: list[BreakerTarget]
    """Scalable targets the breaker may lower, with their ceilings."""
    alert_topic_arn: str
    """Topic the function reports every trip and restore to (known before it exists, so the
    role's policy is known at preview); also where a failed invocation is sent."""
    trip_alarm_names: list[str] = field(default_factory=list)
    """CloudWatch alarms whose ALARM notification, published to the breaker topic, trips it;
    the function is told their ARNs in this account and region, and trusts no other."""


def breaker_targets(
    config: StackConfig, scaling_resource_ids: dict[str, pulumi.Input[str] | None]
) -> list[BreakerTarget]:
    """One target per service whose scaling is on, with its ceiling.

    Only a scalable target can run away: a service with a fixed count has no max to lower.
    StackConfig has already refused ceilings for services without scaling.
    """
    breaker = config.cost_breaker
    assert breaker is not None
    return [
        BreakerTarget(
            service=key,
            resource_id=resource_id,
            ceiling=breaker.emergency_ceilings.get(key, breaker.default_emergency_ceiling),
        )
        for key, resource_id in scaling_resource_ids.items()
        if resource_id is not None
    ]


def first_few(items: list[str], shown: int = 3) -> str:
    """`items` for a one-line message at any estate size: all of them up to `shown` + 1, else
    the first `shown` and how many others ("web, queue, reverb and 3 others")."""
    if len(items) <= shown + 1:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} others"


def held_maxima(environment: str, services: list[str]) -> dict[str, int]:
    """Service key -> the max capacity a tripped breaker holds, read from its record.

    Without this, a `pulumi up` while the breaker is tripped sends every configured max
    capacity again (whenever the scalable target is updated for any reason, or after a refresh
    has learned the lowered max), silently undoing the trip. The program keeps each recorded
    `newMax` instead, until a deliberate restore empties the record.

    Read with the provider's GetParametersByPath on the breaker's folder, which answers an empty
    list, not an error, when the record does not exist yet (first `up`): a missing record
    means not tripped. The deploying identity needs ssm:GetParametersByPath on
    /z360/<env>/cost-breaker. Under the mock engine the invoke has no provider to answer it
    (no `names` at all): the preview then says what it would do instead.
    """
    names = cost_breaker_names(environment)
    folder = parameter_folder(names["parameter"])
    answer = aws.ssm.get_parameters_by_path(path=folder, recursive=False)
    if answer.names is None:
        # A warning so that the offline preview prints it; a real provider always answers.
        pulumi.log.warn(
            f"cost breaker: record {names['parameter']} not read (no provider answered: "
            "offline); with credentials, a tripped breaker's max capacities are kept for "
            f"{first_few(services) or 'no service'} until a restore."
        )
        return {}
    values = dict(zip(answer.names, answer.values or [], strict=False))
    if names["parameter"] not in values:
        return {}
    record, problems = parse_record(values[names["parameter"]])
    for problem in problems:
        pulumi.log.warn(f"cost breaker record: {problem}")
    if not record["tripped"] and not record["changes"]:
        return {}
    held = {c["service"]: c["newMax"] for c in record["changes"] if c["service"] in services}
    pulumi.log.warn(
        f"cost breaker is TRIPPED ({record.get('reason', 'no reason recorded')}): max capacity "
        + first_few([f"{key} {value}" for key, value in sorted(held.items())])
        + " kept as the breaker set it; restore with the costBreakerRestoreCommand output, "
        "then run up again"
    )
    return held


def lambda_files() -> dict[str, Path]:
    """Archive path -> file of the function's code: every module of the breaker package, and
    each first-party module it imports from outside it (contract.IMPORTED_FACTS) with its
    parent packages, all at their repository paths, so that the imports that work here work in
    Lambda (whose runtime adds only boto3)."""
    files = {f"breaker/{path.name}": path for path in BREAKER_PACKAGE.glob("*.py")}
    for module in IMPORTED_FACTS:
        parts = module.split(".")
        for depth in range(1, len(parts)):
            package = "/".join(parts[:depth]) + "/__init__.py"
            files[package] = PROJECT_ROOT / package
        files["/".join(parts) + ".py"] = PROJECT_ROOT.joinpath(*parts[:-1], parts[-1] + ".py")
    return dict(sorted(files.items()))


def lambda_code() -> pulumi.AssetArchive:
    """The function's code archive; Lambda imports contract.HANDLER's module from its root."""
    # Absolute paths: the CLI runs the program from the project folder, tests do not.
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(path)) for name, path in lambda_files().items()})


def breaker_topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowThisAccountsBudgetsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": "SNS:Publish",
            "Resource": topic_arn,
            # Only this account's budgets (confused deputy).
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }, {
            # The burn-rate trip alarm (components/burn_rate.py) publishes as CloudWatch.
            "Sid": "AllowThisAccountsAlarmsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "SNS:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }


def lambda_assume_role() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    }


def breaker_role_policy(
    *,
    account_id: str,
    region: str,
    environment: str,
    service_resource_ids: list[str],
    alert_topic_arn: str,
    parameter_name: str,
    log_group_arn: str,
    lock_parameter_name: str | None = None,
) -> dict[str, Any]:
    """Least privilege for the function: read and lower these targets, write its record and
    its lock, tell the alert topic (its reports, and Lambda's on-failure destination, which
    publishes with the execution role), write its own logs. No wildcard action anywhere."""
    parameter_arns = [ssm_parameter_arn(region, account_id, name)
                      for name in (parameter_name, lock_parameter_name) if name]
    service_arns = sorted(ecs_arn(region, account_id, rid) for rid in service_resource_ids)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Describe* actions have no resource-level permissions: AWS requires "*".
                "Sid": "ReadScalableTargets",
                "Effect": "Allow",
                "Action": ["application-autoscaling:DescribeScalableTargets"],
                "Resource": "*",
            },
            {
                # Scalable-target ARNs carry a random id that the service component does not
                # expose, so the statement names the ARN pattern and narrows it by condition:
                # ECS desired-count targets tagged with this stack's environment only. The same
                # action suspends and resumes their scheduled scaling (RegisterScalableTarget
                # SuspendedState): nothing more is needed for it.
                "Sid": "LowerAndRestoreMaxCapacity",
                "Effect": "Allow",
                "Action": ["application-autoscaling:RegisterScalableTarget"],
                "Resource": scalable_target_arn_pattern(region, account_id),
                "Condition": {
                    "StringEquals": {
                        "application-autoscaling:service-namespace": SCALING_NAMESPACE,
                        "application-autoscaling:scalable-dimension": SCALABLE_DIMENSION,
                        f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment,
                    }
                },
            },
            {
                # Application Auto Scaling checks that the caller of RegisterScalableTarget
                # may itself describe and update the ECS service it scales.
                "Sid": "ScaledServicesPermissionCheck",
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
                "Resource": service_arns,
            },
            {
                # Also the on-failure destination: Lambda sends a failed asynchronous
                # invocation's record to it with the function's execution role.
                "Sid": "ReportToAlertTopic",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": alert_topic_arn,
            },
            {
                "Sid": "OwnRecord",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:PutParameter"],
                "Resource": parameter_arns[0] if len(parameter_arns) == 1 else parameter_arns,
            },
            {
                "Sid": "OwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
        ],
    }


class CostBreaker(pulumi.ComponentResource):
    """Budget notification -> topic -> function that lowers max capacities; see the module
    docstring."""

    budget_notification: dict[str, Any]
    """The notification the caller adds to the budget it watches (not an output)."""
    function_name: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    state_parameter_name: pulumi.Output[str]
    lock_parameter_name: pulumi.Output[str]
    restore_command: pulumi.Output[str]

    def __init__(
        self, name: str, args: CostBreakerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(COST_BREAKER_COMPONENT, name, None, opts)
        self._name = name
        self._args = args
        self._names = cost_breaker_names(args.environment)
        self._lock_name = lock_parameter_name(self._names["parameter"])
        self._tags = environment_tags(args.environment)
        child = pulumi.ResourceOptions(parent=self)

        topic = self._topic(child)
        parameter = self._parameter(child)
        log_group = self._log_group(child)
        role, role_policy = self._role(parameter, log_group, child)
        lock = self._lock(child)
        function = self._function(role, role_policy, parameter, log_group, child)
        self._failure_destination(function, role_policy, child)
        self._subscription(topic, function, child)

        config = args.config
        self.budget_notification: dict[str, Any] = {
            "comparison_operator": "GREATER_THAN",
            "notification_type": config.notification_type,
            "threshold": config.threshold_percent,
            "threshold_type": "PERCENTAGE",
            "subscriber_sns_topic_arns": [topic.arn],
        }

        self.function_name = function.name
        self.topic_arn = topic.arn
        self.state_parameter_name = parameter.name
        self.lock_parameter_name = lock.name
        self.restore_command = function.name.apply(restore_command)
        self.register_outputs({
            "function_name": self.function_name,
            "topic_arn": self.topic_arn,
            "state_parameter_name": self.state_parameter_name,
            "lock_parameter_name": self.lock_parameter_name,
            "restore_command": self.restore_command,
        })

    # --- builders ------------------------------------------------------------------------

    def _topic(self, child: pulumi.ResourceOptions) -> aws.sns.Topic:
        topic = aws.sns.Topic(
            f"{self._name}-topic", name=self._names["topic"],
            tags={**self._tags, COST_BREAKER_TAG: "topic"}, opts=child,
        )
        aws.sns.TopicPolicy(
            f"{self._name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                topic.arn.apply(lambda arn: breaker_topic_policy(arn, self._args.account_id))
            ),
            opts=child,
        )
        return topic

    def _parameter(self, child: pulumi.ResourceOptions) -> aws.ssm.Parameter:
        return aws.ssm.Parameter(
            f"{self._name}-state",
            name=self._names["parameter"],
            type="String",
            value=EMPTY_RECORD_VALUE,
            # The function writes with the same tier (Advanced only for a record over 4 KB;
            # see breaker/contract.py). Downgrading Advanced to Standard recreates the
            # parameter, which would lose the record.
            tier=RECORD_TIER,
            description="CostBreaker record: the max capacities it lowered and their originals",
            tags=self._tags,
            # The function owns the value once created; an update must never reset a record
            # that holds original maxima.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["value", "tier"])
            ),
        )

    def _lock(self, child: pulumi.ResourceOptions) -> aws.ssm.Parameter:
        # Created free; the function claims and releases it by writing new versions, and
        # never deletes it (a recreated parameter restarts at version 1).
        return aws.ssm.Parameter(
            f"{self._name}-lock",
            name=self._lock_name,
            type="String",
            value=json.dumps(FREE_LOCK),
            description="CostBreaker lock: serialises trip and restore (version compare-and-swap)",
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["value"])
            ),
        )

    def _log_group(self, child: pulumi.ResourceOptions) -> aws.cloudwatch.LogGroup:
        # Created here, before the function, so Lambda does not create one without retention.
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=self._names["log_group"],
            retention_in_days=LOG_RETENTION_DAYS,
            tags=self._tags,
            opts=child,
        )

    def _role(
        self,
        parameter: aws.ssm.Parameter,
        log_group: aws.cloudwatch.LogGroup,
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-role",
            name=self._names["role"],
            assume_role_policy=pulumi.Output.json_dumps(lambda_assume_role()),
            tags=self._tags,
            opts=child,
        )
        # Built from names, not from the ARNs AWS returns, so the document is known at
        # preview and the policy pack checks it in CI.
        document = pulumi.Output.all(*[t.resource_id for t in args.targets]).apply(
            lambda resource_ids: breaker_role_policy(
                account_id=args.account_id,
                region=args.region,
                environment=args.environment,
                parameter_name=self._names["parameter"],
                lock_parameter_name=self._lock_name,
                log_group_arn=log_group_arn(args.region, args.account_id, self._names["log_group"]),
                alert_topic_arn=args.alert_topic_arn,
                service_resource_ids=list(resource_ids),
            )
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(document),
            # The document names the parameter and log group: create them first.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[parameter, log_group])
            ),
        )
        return role, policy

    def _function(
        self,
        role: aws.iam.Role,
        role_policy: aws.iam.RolePolicy,
        parameter: aws.ssm.Parameter,
        log_group: aws.cloudwatch.LogGroup,
        child: pulumi.ResourceOptions,
    ) -> aws.lambda_.Function:
        args = self._args
        targets = [target_entry(t.service, t.resource_id, t.ceiling) for t in args.targets]
        return aws.lambda_.Function(
            f"{self._name}-function",
            name=self._names["function"],
            description=(
                f"Lowers {args.environment} ECS max capacities when the budget "
                f"{args.budget.name} crosses {args.config.threshold_percent:g}% "
                f"({args.config.notification_type})"
            ),
            runtime=RUNTIME,
            handler=HANDLER,
            code=lambda_code(),
            role=role.arn,
            timeout=FUNCTION_TIMEOUT_SECONDS,
            memory_size=128,
            # No reserved concurrency: PutFunctionConcurrency needs 100 unreserved executions
            # left in the account (AWS Lambda Developer Guide, "Configuring reserved
            # concurrency"). Trip and restore serialise on the lock parameter instead.
            environment={
                "variables": function_environment(
                    targets_json=pulumi.Output.json_dumps(targets),
                    state_parameter=parameter.name,
                    lock_parameter=self._lock_name,
                    # What the function trusts: this account, this budget's exact name, and
                    # these alarms by ARN, so that the same names elsewhere never trip it.
                    account_id=args.account_id,
                    budget_name=args.budget.name,
                    trip_alarm_arns=[alarm_arn(args.region, args.account_id, name)
                                     for name in args.trip_alarm_names],
                    topic_arn=sns_topic_arn(args.region, args.account_id, self._names["topic"]),
                    alert_topic_arn=args.alert_topic_arn,
                    environment=args.environment,
                )
            },
            tags=self._tags,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[log_group, role_policy])
            ),
        )

    def _failure_destination(
        self,
        function: aws.lambda_.Function,
        role_policy: aws.iam.RolePolicy,
        child: pulumi.ResourceOptions,
    ) -> aws.lambda_.FunctionEventInvokeConfig:
        """A trip that still fails after Lambda's two retries reaches the alert topic.

        Without a destination or dead-letter queue Lambda discards the event after the
        retries (AWS Lambda Developer Guide, "Asynchronous invocation": "If the function
        returns an error, Lambda attempts to run it two more times"; "Capturing records of
        Lambda asynchronous invocations": on-failure destinations may be an SNS topic). Budgets
        notifies once per period, so a dropped trip is lost for the month. The record Lambda
        sends names the request, the condition (RetriesExhausted, EventAgeExceeded) and the
        original event, and goes to the same people as every alarm.
        """
        return aws.lambda_.FunctionEventInvokeConfig(
            f"{self._name}-on-failure",
            function_name=function.name,
            maximum_retry_attempts=ASYNC_RETRY_ATTEMPTS,
            destination_config={"on_failure": {"destination": self._args.alert_topic_arn}},
            # The role must be allowed to publish before Lambda checks the destination.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[role_policy])
            ),
        )

    def _subscription(
        self,
        topic: aws.sns.Topic,
        function: aws.lambda_.Function,
        child: pulumi.ResourceOptions,
    ) -> None:
        permission = aws.lambda_.Permission(
            f"{self._name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="sns.amazonaws.com",
            source_arn=topic.arn,
            opts=child,
        )
        aws.sns.TopicSubscription(
            f"{self._name}-subscription",
            topic=topic.arn,
            protocol="lambda",
            endpoint=function.arn,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[permission])
            ),
        )
