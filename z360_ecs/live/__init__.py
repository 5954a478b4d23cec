"""Subcommands that need a network or AWS credentials: loadtest (a live URL), scaling and adopt
(AWS, read-only)."""
