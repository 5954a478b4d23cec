"""Tags every taggable resource carries, so policies and cost reports tell services apart."""

from policies.guardrails.conventions import ENVIRONMENT_TAG, SERVICE_TAG


def environment_tags(environment: str) -> dict[str, str]:
    return {ENVIRONMENT_TAG: environment, "managed-by": "pulumi:z360-ecs"}


def service_tags(service_key: str, environment: str) -> dict[str, str]:
    return {SERVICE_TAG: service_key, **environment_tags(environment)}
