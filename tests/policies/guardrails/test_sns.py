"""SNS rules (policies/guardrails/sns.py): an email subscription's name through the SDK's real
Analyze path, a budget alert's single path through its AnalyzeStack path, and the validators on
their own. Each policy has compliant, non-compliant and not-applicable cases (`policy_case`
marks, tests/policies/conftest.py)."""

from __future__ import annotations

import pytest

from policies.guardrails import sns
from policies.guardrails.facts.types import BUDGET_TYPE, TOPIC_SUBSCRIPTION_TYPE
from tests.support.policy_resources import ALERTS_ARN as TOPIC
from tests.support.policy_resources import email_subscription as subscription
from tests.support.policy_sdk import sdk_analyze, sdk_analyze_stack


def test_validator_address_key_and_duplicates():
    assert sns.address_key("Ops:Team@Z360.biz") == "ops%3Ateam@z360.biz"
    notification = {"subscriberEmailAddresses": ["Ansar@z360.biz"],
                    "subscriberSnsTopicArns": [TOPIC]}
    assert sns.duplicate_recipients(notification, {TOPIC: {"ansar@z360.biz"}}) == [
        "ansar@z360.biz"]
    assert sns.duplicate_recipients({"subscriberSnsTopicArns": [TOPIC]},
                                    {TOPIC: {"ansar@z360.biz"}}) == []


# --- email-subscription-keyed-by-address ----------------------------------------------------------


@pytest.mark.policy_case("non-compliant", "email-subscription-keyed-by-address")
def test_sdk_subscription_named_by_position_is_advisory():
    outcome = sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE, subscription(),
                          name="alerts-email-0")
    assert outcome.levels("email-subscription-keyed-by-address") == {"advisory"}
    assert "not named after its address" in outcome.messages(
        "email-subscription-keyed-by-address")[0]


@pytest.mark.policy_case("compliant", "email-subscription-keyed-by-address")
@pytest.mark.policy_case("not-applicable", "email-subscription-keyed-by-address")
def test_sdk_subscription_named_by_address_is_compliant_and_https_not_applicable():
    assert sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE, subscription(),
                       name="alerts-email-ansar@z360.biz").violations == []
    outcome = sdk_analyze(sns.POLICIES, TOPIC_SUBSCRIPTION_TYPE,
                          subscription("https://hooks.example", "https"), name="hook")
    assert "email-subscription-keyed-by-address" in outcome.not_applicable


# --- budget-alert-single-path (stack) -------------------------------------------------------------


def budget_stack(emails):
    """A budget notifying the alerts topic (and `emails` directly), and the topic's email
    subscription of ansar@z360.biz."""
    notification = {"threshold": 500, "notificationType": "ACTUAL",
                    "subscriberSnsTopicArns": [TOPIC]}
    if emails:
        notification["subscriberEmailAddresses"] = emails
    return [(BUDGET_TYPE, "monthly-budget", {"name": "z360", "notifications": [notification]}),
            (TOPIC_SUBSCRIPTION_TYPE, "alerts-email-ansar@z360.biz", subscription())]


@pytest.mark.policy_case("non-compliant", "budget-alert-single-path")
def test_sdk_budget_mailing_a_topic_subscriber_directly_is_advisory():
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, budget_stack(["ansar@z360.biz"]))
    assert outcome.levels("budget-alert-single-path") == {"advisory"}
    assert "mails ansar@z360.biz directly and through a topic" in outcome.messages(
        "budget-alert-single-path")[0]


@pytest.mark.policy_case("compliant", "budget-alert-single-path")
@pytest.mark.policy_case("not-applicable", "budget-alert-single-path")
def test_sdk_budget_single_path_compliant_and_not_applicable():
    assert sdk_analyze_stack(sns.STACK_POLICIES, budget_stack([])).violations == []
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, budget_stack([])[1:])
    assert "budget-alert-single-path" in outcome.not_applicable


@pytest.mark.parametrize("notifications", ["x", [None, "x"], 3])
def test_sdk_malformed_budget_notifications_are_skipped_not_raised(notifications):
    resources = budget_stack(["ansar@z360.biz"])
    resources[0] = (BUDGET_TYPE, "monthly-budget", {"name": "z360",
                                                    "notifications": notifications})
    outcome = sdk_analyze_stack(sns.STACK_POLICIES, resources)
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]
