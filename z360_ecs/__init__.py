"""z360-ecs tooling: preview, check and cost the stacks with no cloud; watch them live with one.

Layout: cli.py (the `z360-ecs` command), common.py (the project, found as `pulumi` finds it;
stack arguments, the stack-file reader, the SPEC resolver), engine/ (the mock engine and the
policy pack's analyzer client), models/ (pure cost and scaling models), commands/ (need no
cloud), live/ (need a network or AWS).

Imports go one way, down: cli > commands | live > engine | models > common; commands and live
never import each other, nor engine and models, and nothing imports round a cycle
(`lint-imports` checks both, .importlinter). Below them all lie the stack model (stack_model/)
and the facts (policies/guardrails/facts/). models/ never import a component: they read the
stack as data (stack_model/pricing.py prices it), not the program's resources.
"""

from pathlib import Path

# The checkout this package was imported from. The tests and benchmarks use it to mean "this
# repository"; no command does: a command's project is the nearest Pulumi.yaml at or above the
# working directory, or --project-dir (common.find_project), so a second checkout never reads,
# or writes, this one's stack files.
PROJECT_DIR = Path(__file__).resolve().parent.parent
