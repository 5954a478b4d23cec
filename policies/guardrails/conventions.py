"""Facts the program and the policy pack share: tags, metric names, quotas. Pure data, stdlib only.

The program imports these from here (the pack must not import the program), so each fact has
one home.
"""

# Tags every taggable resource of a service carries; policies identify services by them.
SERVICE_TAG = "z360:service"
ENVIRONMENT_TAG = "z360:environment"

# Application Auto Scaling's predefined target-tracking metrics for an ECS service.
CPU_METRIC = "ECSServiceAverageCPUUtilization"
MEMORY_METRIC = "ECSServiceAverageMemoryUtilization"

# RunningTaskCount and DesiredTaskCount exist only in Container Insights' namespace.
CONTAINER_INSIGHTS_NAMESPACE = "ECS/ContainerInsights"

# ECS's default quota of tasks per service (1,000 with Service Connect or service discovery).
MAX_TASKS_PER_SERVICE = 5000

# Environment variable names that look like credentials: their values belong in `secrets`.
SECRET_NAME_PATTERN = (
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)"
)
