"""Subcommands that need no cloud account: preview, check, cost, report, simulate."""
