"""CostBudget: the account's monthly cost budget with alerts at fixed amounts.

Creates one `aws.budgets.Budget` (COST, MONTHLY, USD) with an ACTUAL, absolute-value
notification per alert amount, each to the alert topic only: the topic's email subscribers are
the recipients, so naming them on the budget as well sent every alert twice. The topic is the
one path because it is where alarms go too: one list of recipients (alerts.emails), each
confirmed once, and any later subscriber (chat, pager) gets budget alerts as well. A budget alerts;
it caps nothing (see the CostBreaker for a response that acts). Budgets are account-wide:
declare one in a single stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.types import COST_BUDGET_COMPONENT
from stack_model.config import BudgetConfig
from stack_model.naming import environment_tags


@dataclass
class CostBudgetArgs:
    config: BudgetConfig
    """Name, limit, alert amounts, and an optional budget to adopt."""
    environment: str
    """Stack environment, for tags."""
    account_id: str
    """AWS account the stack deploys to."""
    alert_topic_arn: pulumi.Input[str]
    """SNS topic told at each alert amount; its subscribers are the recipients."""
    protect: bool = False
    """Protect the budget itself from deletion."""
    extra_notifications: list[dict[str, Any]] = field(default_factory=list)
    """Further notification blocks, as `aws.budgets.Budget` takes them (the CostBreaker's)."""


def plain_amount(value: Decimal) -> str:
    """A USD amount as Budgets takes it: a plain decimal string, never an exponent.

    botocore's budgets model gives Spend.Amount the shape NumericValue, pattern
    `([0-9]*\\.)?[0-9]+`: 1234567 is "1234567" (`:g` made it "1.23457e+06", which the API
    refuses) and 0.001 is "0.001" (`.2f` made it "0.00")."""
    text = format(value.normalize(), "f")
    return text


class CostBudget(pulumi.ComponentResource):
    """Monthly cost budget; see the module docstring."""

    budget_name: pulumi.Output[str]
    limit_amount: pulumi.Output[str]

    def __init__(
        self, name: str, args: CostBudgetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(COST_BUDGET_COMPONENT, name, None, opts)
        config = args.config
        budget = aws.budgets.Budget(
            f"{name}-budget",
            name=config.name,
            account_id=args.account_id,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=plain_amount(config.monthly_limit),
            limit_unit="USD",
            notifications=[
                {
                    "comparison_operator": "GREATER_THAN",
                    "notification_type": "ACTUAL",
                    # Threshold is a double in the Budgets API (NotificationThreshold).
                    "threshold": float(amount),
                    "threshold_type": "ABSOLUTE_VALUE",
                    "subscriber_sns_topic_arns": [args.alert_topic_arn],
                }
                for amount in sorted(config.alert_amounts)
            ] + list(args.extra_notifications),
            tags=environment_tags(args.environment),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, import_=config.import_id
            ),
        )
        self.budget_name = budget.name
        self.limit_amount = budget.limit_amount
        self.register_outputs({
            "budget_name": self.budget_name,
            "limit_amount": self.limit_amount,
        })
