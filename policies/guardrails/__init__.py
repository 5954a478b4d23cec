"""Guardrail rules and the Fargate facts they share with the program."""
