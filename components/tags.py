"""Tags every taggable resource carries, so policies and cost reports tell services apart."""

SERVICE_TAG = "z360:service"
ENVIRONMENT_TAG = "z360:environment"


def environment_tags(environment: str) -> dict[str, str]:
    return {ENVIRONMENT_TAG: environment, "managed-by": "pulumi:z360-ecs"}


def service_tags(service_key: str, environment: str) -> dict[str, str]:
    return {SERVICE_TAG: service_key, **environment_tags(environment)}
