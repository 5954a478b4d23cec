"""The z360-ecs guardrails policy pack.

Pulumi loads and publishes this folder on its own: nothing in it imports the program. The
program imports the shared facts from `policies.guardrails.facts.fargate` and
`policies.guardrails.facts.conventions`.
"""
