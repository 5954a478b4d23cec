"""`alerts` (stack_model/config/alerts.py): the topic's name and who is told."""

from __future__ import annotations

import pytest

from stack_model.config import AlertsConfig
from tests.support.config_mutations import (
    ALERTS,
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("invalid-email", "beta", setter("emails", value=["ansar@z360.biz", "x@"], stack_key=ALERTS),
     ("alerts.emails:", "'x@'", "not an email address")),
    ("duplicate-email", "beta",
     setter("emails", value=["ops@z360.biz", "OPS@z360.biz"], stack_key=ALERTS),
     ("alerts.emails:", "'OPS@z360.biz'", "listed twice")),
    ("topic-name-with-space", "beta", setter("topicName", value="beta alerts", stack_key=ALERTS),
     ("alerts.topicName:", "'beta alerts'", "no spaces")),
    ("topic-name-too-long", "beta", setter("topicName", value="t" * 257, stack_key=ALERTS),
     ("alerts.topicName:", "1 to 256 letters")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_alert_channel_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_a_topic_name_of_256_characters_is_accepted() -> None:
    alerts = AlertsConfig.model_validate({"topicName": "t" * 256, "emails": ["ops@z360.biz"]})
    assert len(alerts.topic_name) == 256
