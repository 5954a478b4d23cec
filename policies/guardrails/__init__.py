"""Guardrail rules, one module per AWS area, and the facts they share with the program
(fargate_facts, conventions)."""
