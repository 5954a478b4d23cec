"""z360-ecs: Z360's ECS Fargate estate for one stack (staging or beta).

Reads the stack config once into a validated StackConfig (nothing is created when it is
invalid), then builds the alert channel, the clusters, one ScalableService per service, the
budget and the optional cost breaker and dashboard, and exports a per-service summary.
"""

import pulumi

from components.stack import build_stack
from stack_model.config import read_pulumi_config

stack_config = read_pulumi_config()
outputs = build_stack(stack_config)
for name, value in outputs.items():
    pulumi.export(name, value)
