"""The mock engine's answers: unknown at a first preview, realistic ARNs otherwise, the live id
for an import."""

from __future__ import annotations

import pulumi

from policies.guardrails.facts.types import NATIVE_SERVICE_TYPE, SERVICE_TYPE, TASK_DEFINITION_TYPE
from z360_ecs.engine.mocks import ACCOUNT, REGION, Z360Mocks

CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/z360-beta"


def args(typ: str, name: str, inputs: dict, resource_id: str = "") -> pulumi.runtime.MockResourceArgs:
    return pulumi.runtime.MockResourceArgs(typ=typ, name=name, inputs=inputs, provider="",
                                           resource_id=resource_id, custom=True)


def test_a_first_preview_leaves_computed_outputs_unknown():
    resource_id, outputs = Z360Mocks(preview=True).new_resource(
        args(SERVICE_TYPE, "web-service", {"name": "z360-beta-web", "cluster": CLUSTER_ARN}))
    assert resource_id == "" and "arn" not in outputs and outputs["name"] == "z360-beta-web"


def test_an_update_gets_the_arns_aws_would_give():
    mocks = Z360Mocks(preview=False)
    _, service = mocks.new_resource(
        args(SERVICE_TYPE, "web-service", {"name": "z360-beta-web", "cluster": CLUSTER_ARN}))
    assert service["arn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/z360-beta/z360-beta-web"
    _, task = mocks.new_resource(args(TASK_DEFINITION_TYPE, "web-task", {"family": "z360-beta-web"}))
    assert task["revision"] == 1 and task["arn"].endswith("task-definition/z360-beta-web:1")


def test_an_aws_native_service_is_identified_by_its_arn_and_cluster():
    resource_id, outputs = Z360Mocks(preview=False).new_resource(
        args(NATIVE_SERVICE_TYPE, "web-service", {"serviceName": "z360-beta-web",
                                                  "cluster": "z360-beta"}))
    assert resource_id == f"{outputs['serviceArn']}|z360-beta"


def test_an_import_keeps_its_id_even_at_preview():
    live = "z360-beta/z360-beta-web"
    resource_id, outputs = Z360Mocks(preview=True).new_resource(
        args(SERVICE_TYPE, "web-service", {"name": "z360-beta-web", "cluster": CLUSTER_ARN}, live))
    assert resource_id == live and outputs["arn"].endswith("service/z360-beta/z360-beta-web")
