"""Stack configs loaded from the real stack files, optionally changed first."""

from __future__ import annotations

from stack_model.config import StackConfig, load_stack_config
from tests.support.runs import stack_document


def beta_config(mutate=None) -> StackConfig:
    document = stack_document("beta")["config"]
    if mutate:
        mutate(document)
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    aws_raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws_raw)
