"""Task scale-in protection for ScalableService: the task role's permission to protect its own
tasks (taskProtection.enabled).

The service's task role is given by ARN (taskRoleArn) and holds the application's other
permissions, which this program does not know: replacing it would drop them. So the program
adds a managed policy and attaches it to that role by name; only when a service has no task
role does it create one (the application needs a role to call the agent at all).

The caller supplies the config, the cluster's name, region and account; the result is the task
role ARN the task definition names.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.scaling import TASK_PROTECTION_ACTIONS, cluster_tasks_arn
from stack_model.config import ServiceConfig
from stack_model.naming import task_protection_policy_name, task_role_name


def task_protection_policy(tasks_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Get and set protection on the cluster's tasks, nothing else. The `task` resource type
    is `task/<cluster>/<task id>` (Service Authorization Reference, Amazon ECS): a task cannot
    name its own id in its role, so the grant is every task of its cluster."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "OwnTaskProtection", "Effect": "Allow",
        "Action": list(TASK_PROTECTION_ACTIONS), "Resource": tasks_arn,
    }]}


def role_name_of(role_arn: str) -> str:
    """The role's name: the ARN's last path segment (arn:aws:iam::<acct>:role/<path/>name);
    RolePolicyAttachment takes the name, without the path."""
    return role_arn.rsplit("/", 1)[-1]


def protect_tasks(
    name: str,
    config: ServiceConfig,
    *,
    cluster_name: pulumi.Input[str],
    region: str,
    account_id: str,
    assume_role_policy: dict[str, Any],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> pulumi.Input[str] | None:
    """The task role ARN, given protection when taskProtection.enabled; else taskRoleArn."""
    if not config.task_protection.enabled:
        return config.task_role_arn
    policy = aws.iam.Policy(
        f"{name}-task-protection",
        name=task_protection_policy_name(config.family),
        description=f"{config.family}: ECS task scale-in protection on its cluster's tasks",
        policy=pulumi.Output.json_dumps(task_protection_policy(
            pulumi.Output.from_input(cluster_name).apply(
                lambda cluster: cluster_tasks_arn(region, account_id, cluster)))),
        tags=tags,
        opts=opts,
    )
    role_arn: pulumi.Input[str]
    if config.task_role_arn is not None:
        role_name: pulumi.Input[str] = role_name_of(config.task_role_arn)
        role_arn = config.task_role_arn
    else:
        role = aws.iam.Role(
            f"{name}-task-role",
            name=task_role_name(config.family),
            assume_role_policy=pulumi.Output.json_dumps(assume_role_policy),
            tags=tags,
            opts=opts,
        )
        role_name, role_arn = role.name, role.arn
    aws.iam.RolePolicyAttachment(
        f"{name}-task-protection-attachment", role=role_name, policy_arn=policy.arn, opts=opts,
    )
    return role_arn
