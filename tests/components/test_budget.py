"""CostBudget under Pulumi mocks."""

import pulumi

from components.budget import CostBudget, CostBudgetArgs
from stack_model.config import BudgetConfig

ACCOUNT = "108782097218"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"


def _assert_equal(actual, expected):
    assert actual == expected, f"{actual!r} != {expected!r}"


@pulumi.runtime.test
def test_budget_limit_is_a_string_without_decimals(pulumi_mocks):
    budget = CostBudget("monthly", CostBudgetArgs(
        config=BudgetConfig.model_validate({"name": "z360-test", "monthlyLimit": 2500,
                                            "alertAmounts": [500, 1000, 2000]}),
        environment="test", account_id=ACCOUNT, alert_topic_arn=TOPIC,
    ))
    return pulumi.Output.all(budget.limit_amount, budget.budget_name).apply(
        lambda v: _assert_equal(v, ["2500", "z360-test"]))
