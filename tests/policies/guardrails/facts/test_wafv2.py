"""facts/wafv2.py: the WAFv2 API bounds the pack and the program share equal botocore's wafv2 model,
and the managed rule groups fit the capacity WAF includes."""

from __future__ import annotations

import re

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel

from policies.guardrails.facts import wafv2 as wafv2_facts
from policies.guardrails.facts.wafv2 import (
    DEFAULT_EVALUATION_WINDOW_S,
    EVALUATION_WINDOWS_S,
    MANAGED_RULE_GROUPS,
    RATE_BASED_RULE_WCU,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
    WCU_INCLUDED,
)


@pytest.fixture(scope="module")
def wafv2_model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("wafv2", "service-2"), "wafv2")


def test_rate_limit_bounds_equal_the_wafv2_model(wafv2_model):
    shape = wafv2_model.shape_for("RateLimit")
    assert (shape.metadata["min"], shape.metadata["max"]) == (RATE_LIMIT_MIN, RATE_LIMIT_MAX)


def test_evaluation_windows_equal_the_wafv2_model(wafv2_model):
    member = wafv2_model.shape_for("RateBasedStatement").members["EvaluationWindowSec"]
    text = re.sub(r"<[^>]+>", "", member.documentation)
    valid = re.search(r"Valid settings are ([\d, and]+)\.", text)
    assert valid, text
    assert tuple(int(n) for n in re.findall(r"\d+", valid[1])) == EVALUATION_WINDOWS_S
    assert f"Default: {DEFAULT_EVALUATION_WINDOW_S} " in text
    assert "checks the rate about every 10 seconds" in text
    assert wafv2_facts.RATE_CHECK_INTERVAL_S == 10


def test_aggregate_key_and_scope_are_model_values(wafv2_model):
    assert "IP" in wafv2_model.shape_for("RateBasedStatementAggregateKeyType").enum
    assert "REGIONAL" in wafv2_model.shape_for("Scope").enum


def test_every_managed_rule_group_and_the_rate_rule_fit_the_included_capacity():
    total = sum(wcu for _, wcu in MANAGED_RULE_GROUPS.values()) + RATE_BASED_RULE_WCU
    assert total == 927 and total <= WCU_INCLUDED
