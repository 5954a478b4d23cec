"""Loading (stack_model/config/load.py) across providers: `aws-native:region` agrees with
`aws:region`, on each path that reads config (the tools' load, the program's
read_pulumi_config, the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stack_model.config import ConfigError, load_stack_config
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    load,
    refusal_params,
    split,
    top,
)
from tests.support.runs import stack_document
from z360_ecs.cli import main
from z360_ecs.engine.program import run_program

NATIVE_REGION = "aws-native:region"


def _unset(document: dict[str, Any]) -> None:
    del document["config"][NATIVE_REGION]


CASES: list[RefusalCase] = [
    ("native-region-differs", "beta", top(NATIVE_REGION, "eu-west-1"),
     ("aws-native:region: 'eu-west-1' differs from aws:region 'us-east-1'",
      "metricResolution: 20 would be managed in 'eu-west-1'")),
    ("native-region-unset-with-native-services", "beta", _unset,
     ("aws-native:region: unset, but services gateway, voice, web have metricResolution: 20",
      "AWS_REGION or AWS_DEFAULT_REGION", "'us-east-1'")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_providers_in_two_regions_are_refused_naming_both_keys(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_stack_without_native_services_needs_no_native_region() -> None:
    assert load("staging", lambda document: None).environment == "staging"


def test_a_caller_that_reads_no_native_config_compares_nothing() -> None:
    raw, aws, _ = split(stack_document("beta"))
    assert load_stack_config(raw, aws, None).region == "us-east-1"
    with pytest.raises(ConfigError, match="aws-native:region: unset"):
        load_stack_config(raw, aws, {})


def test_the_program_reads_the_native_region_as_the_tools_do(
    write_stack: Callable[[dict[str, Any]], Any]
) -> None:
    document = stack_document("beta")
    top(NATIVE_REGION, "us-west-2")(document)
    with pytest.raises(ConfigError, match="aws-native:region: 'us-west-2' differs"):
        run_program("beta", stack_file=write_stack(document))


def test_the_cli_refuses_it_in_one_line(
    write_stack: Callable[[dict[str, Any]], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    document = stack_document("beta")
    top(NATIVE_REGION, "us-west-2")(document)
    assert main(["cost", "beta", "--stack-file", str(write_stack(document))]) == 2
    err = capsys.readouterr().err
    assert "aws-native:region: 'us-west-2' differs from aws:region" in err
    assert "Traceback" not in err
