"""The one set of reading rules (stack_model/config/source.py), on both carriers: a stack file
read by the tools and a config value handed to the program as JSON."""

from __future__ import annotations

import pytest

from stack_model.config import ConfigError
from stack_model.config.source import (
    MAX_ALIASES,
    SourceError,
    parse_yaml,
    read_config_json,
)
from tests.support.runs import stack_document
from z360_ecs.common import load_stack_settings
from z360_ecs.engine.program import run_program


@pytest.mark.parametrize("text, words", [
    ("cpu: 0400", "ambiguous: a YAML 1.1 octal"),
    ("scaleInCooldown: 10:00", "base-60"),
    ("assignPublicIp: on", "YAML 1.1 boolean"),
    ("cpuTarget: .inf", "not a finite number"),
    ("cpuTarget: .nan", "not a finite number"),
    ("max: 1e999", "too large"),
    ("a: 1\na: 2", "appears twice"),
    ("a: !!binary aGVsbG8=", "explicit tag"),
    ("<<: {a: 1}", "merge keys"),
])
def test_forms_parsers_disagree_on_are_refused_at_their_key(text, words):
    with pytest.raises(SourceError, match=words) as refused:
        parse_yaml(text)
    assert refused.value.path[:1] in ((text.split(":")[0],), ())


@pytest.mark.parametrize("text, value", [
    ("a: 400", 400), ("a: 0o17", 15), ("a: 0x1F", 31), ("a: 1.5", 1.5), ("a: true", True),
    ("a: '0400'", "0400"), ("a: \"10:00\"", "10:00"), ("a: ~", None), ("a: 0", 0),
])
def test_the_yaml_1_2_core_schema_otherwise(text, value):
    assert parse_yaml(text) == {"a": value}


def test_aliases_are_bounded():
    uses = ", ".join(["*x"] * (MAX_ALIASES + 1))
    with pytest.raises(SourceError, match="alias uses"):
        parse_yaml(f"a: &x 1\nb: [{uses}]")
    assert parse_yaml("a: &x [1, 2]\nb: *x") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("text, words", [
    ('{"a": 1, "a": 2}', "appears twice"), ("NaN", "not a finite"), ("[Infinity]", "not a finite"),
    ("1e400", "not a finite"),
])
def test_the_program_carrier_follows_the_same_rules(text, words):
    with pytest.raises(SourceError, match=words):
        read_config_json(text, "services")


def test_the_program_refuses_an_undeclared_key_in_its_namespace():
    """Whatever the CLI lets through, the program reads every key of its namespace."""
    settings = load_stack_settings("beta")
    settings.config["z360-ecs:protcet"] = True
    with pytest.raises(ConfigError, match=r"z360-ecs:protcet: unknown config key; did you mean 'protect'"):
        run_program("beta", settings_override=settings)


def test_the_program_refuses_nan_handed_over_as_json():
    settings = load_stack_settings("beta")
    settings.config["z360-ecs:dashboard"] = float("nan")
    with pytest.raises(ConfigError, match="dashboard: NaN is not a finite number"):
        run_program("beta", settings_override=settings)


@pytest.mark.parametrize("key, value, words", [
    ("z360-ecs:protcet", True, "protcet: unknown config key; did you mean 'protect'"),
    ("z360-ecs:protect", "yes", "Pulumi.yaml declares it as boolean"),
    ("z360-ecs:environment", 5, "Pulumi.yaml declares it as string"),
])
def test_the_offline_engine_refuses_what_the_cli_refuses(write_stack, key, value, words):
    document = stack_document("beta")
    document["config"][key] = value
    from z360_ecs.common import StackFileError

    with pytest.raises(StackFileError, match=words):
        load_stack_settings("beta", stack_file=write_stack(document))
