"""The z360-ecs guardrails policy pack.

Pulumi loads and publishes this folder on its own: nothing in it imports the program. The
program imports the shared facts from `policies.guardrails.fargate_facts` and
`policies.guardrails.conventions`.
"""
