"""AlertChannel under Pulumi mocks: the topic, its subscriptions and who may publish."""

import pulumi

from components.alerts import AlertChannel, AlertChannelArgs, topic_policy
from stack_model.config import AlertsConfig

ACCOUNT = "108782097218"


@pulumi.runtime.test
def test_alert_channel_lets_cloudwatch_and_budgets_publish(pulumi_mocks):
    channel = AlertChannel("alerts", AlertChannelArgs(
        config=AlertsConfig.model_validate({"topicName": "z360-test-alerts",
                                            "emails": ["a@z360.biz", "b@z360.biz"]}),
        environment="test", account_id=ACCOUNT,
    ))

    def check(values):
        arn, emails = values
        assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-test-alerts"
        assert emails == ["a@z360.biz", "b@z360.biz"]

    return pulumi.Output.all(channel.topic_arn, channel.subscriber_emails).apply(check)


def test_topic_policy_is_limited_to_this_account():
    policy = topic_policy("arn:topic", ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"],
                          ACCOUNT)
    (statement,) = policy["Statement"]
    assert statement["Principal"]["Service"] == ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
    assert statement["Action"] == "SNS:Publish"
    assert statement["Resource"] == "arn:topic"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
