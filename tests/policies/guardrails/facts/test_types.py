"""facts/types.py: every AWS type token names a resource the installed provider SDKs register,
and the program's own component tokens follow `<package>:<module>:<Type>`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from policies.guardrails.facts import types

TOKENS = {name: value for name, value in vars(types).items()
          if name.endswith("_TYPE") and isinstance(value, str)}
COMPONENTS = {name: value for name, value in vars(types).items()
              if name.endswith("_COMPONENT") and isinstance(value, str)}


def _sdk_module_dir(token: str) -> Path:
    """The folder of the provider SDK module that registers `token` (`aws:ecs/service:Service`
    -> pulumi_aws/ecs, `aws-native:ecs:Service` -> pulumi_aws_native/ecs)."""
    provider, module = token.split(":")[:2]
    package = {"aws": "pulumi_aws", "aws-native": "pulumi_aws_native"}[provider]
    module = module.split("/")[0]
    module = f"{module}_" if module == "lambda" else module
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, package
    return Path(spec.origin).parent / module


@pytest.mark.parametrize("name", sorted(TOKENS))
def test_each_token_is_registered_by_its_provider_sdk(name):
    token = TOKENS[name]
    folder = _sdk_module_dir(token)
    quoted = re.compile(rf"""['"]{re.escape(token)}['"]""")
    assert any(quoted.search(path.read_text()) for path in folder.glob("*.py")), (
        f"{name} = {token!r} is not registered anywhere in {folder}")


def test_a_look_alike_token_is_not_found():
    # The check above can fail: a token with the wrong case is registered nowhere.
    folder = _sdk_module_dir("aws:ecs/service:Service")
    assert not any("'aws:ecs/Service:Service'" in p.read_text() for p in folder.glob("*.py"))


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_component_tokens_are_three_segments_with_an_aws_service_module(name):
    package, module, type_name = COMPONENTS[name].split(":")
    assert package == "z360" and module in {"ecs", "budgets", "cloudwatch", "wafv2", "sns", "events"}
    assert re.fullmatch(r"[A-Z][A-Za-z]+", type_name)


def test_every_token_is_written_once():
    values = [*TOKENS.values(), *COMPONENTS.values()]
    assert len(values) == len(set(values))
