"""Facts the program and the policy pack share: tags, quotas, secret names. Pure data, stdlib only.
Metric names and namespaces live in cloudwatch_facts.py and metric_facts.py.

The program imports these from here (the pack must not import the program), so each fact has
one home.
"""

# Tags every taggable resource of a service carries; policies identify services by them.
SERVICE_TAG = "z360:service"
ENVIRONMENT_TAG = "z360:environment"

# ECS's default quota of tasks per service (1,000 with Service Connect or service discovery).
MAX_TASKS_PER_SERVICE = 5000

# Environment variable names that look like credentials: their values belong in `secrets`.
SECRET_NAME_PATTERN = (
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)"
)

# Tag on an ECS service whose config says `interruptible: false`: its value is "false". A
# resource rule sees one resource, so the pack reads the rule from the service itself and
# refuses a FARGATE_SPOT strategy on it (policies/guardrails/ecs.py, interruptible-not-on-spot).
INTERRUPTIBLE_TAG = "z360:interruptible"
NOT_INTERRUPTIBLE = "false"
