"""Guardrail rules, one module per AWS area, and the facts they share with the program
(facts/: the floor the program, the breaker and the tools share)."""
