"""Stack configs loaded from the real stack files, optionally changed first, and a service
config built from scratch."""

from __future__ import annotations

from typing import Any

from stack_model.config import ServiceConfig, StackConfig, load_stack_config
from tests.support.runs import stack_document

ACCOUNT = "108782097218"


def beta_config(mutate=None) -> StackConfig:
    document = stack_document("beta")["config"]
    if mutate:
        mutate(document)
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    aws_raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws_raw)


def service_config(**changes: Any) -> ServiceConfig:
    """A valid web service (1 vCPU, scaling 1 to 50, three alarms, one secret); `changes`
    replace whole top-level keys, by their stack-file names."""
    document: dict[str, Any] = {
        "cluster": "app", "family": "z360-test-web", "serviceName": "z360-test-web",
        "namePrefix": "z360-test-web",
        "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/z360-web:1.0", "containerPort": 80,
        "cpu": 1024, "memory": 2048,
        "network": {"subnets": ["subnet-0123456789abcdef0"],
                    "securityGroups": ["sg-0123456789abcdef0"]},
        "scaling": {"enabled": True, "min": 1, "max": 50, "cpuTarget": 60, "memoryTarget": 70},
        "alarms": {"cpuHigh": 85, "memoryHigh": 85, "taskCountSpike": 10},
        "secrets": {"DB_PASSWORD": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/db-password"},
    }
    document.update(changes)
    return ServiceConfig.model_validate(document)
