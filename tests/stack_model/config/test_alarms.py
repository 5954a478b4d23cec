"""`services.<key>.alarms` (stack_model/config/alarms.py): datapoints, periods, and how far back
an alarm may look (CloudWatch's limit, policies/guardrails/facts/metrics.py)."""

from __future__ import annotations

from typing import get_args

import botocore.session
import pytest

from policies.guardrails.facts.metrics import (
    MAX_EVALUATION_SECONDS,
    MAX_EVALUATION_SECONDS_SUB_HOUR,
    max_evaluation_seconds,
)
from stack_model.config import AlarmsConfig
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

CLOUDWATCH = botocore.session.get_session().get_service_model("cloudwatch")

CASES: list[RefusalCase] = [
    ("datapoints-above-evaluation-periods", "beta",
     setter("web", "alarms", "datapointsToAlarm", value=5),
     ("services.web.alarms.datapointsToAlarm:", "5", "must be <= evaluationPeriods")),
    ("alarm-period-not-allowed", "beta", setter("web", "alarms", "period", value=45),
     ("services.web.alarms.period:", "45", "10, 20, 30, 60")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_alarm_setting_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_the_evaluation_span_limit_is_cloudwatchs() -> None:
    period = CLOUDWATCH.operation_model("PutMetricAlarm").input_shape.members["Period"]
    assert "can't be more than 604,800 seconds" in period.documentation
    assert "less than one hour (3,600 seconds)" in period.documentation
    assert "can't be longer than one day (86,400 seconds)" in period.documentation
    assert (MAX_EVALUATION_SECONDS, MAX_EVALUATION_SECONDS_SUB_HOUR) == (604_800, 86_400)
    assert [max_evaluation_seconds(p) for p in (60, 3_599, 3_600, 86_400)] == [
        86_400, 86_400, 604_800, 604_800]


def test_every_period_and_count_the_config_allows_fits_the_span() -> None:
    # The check in AlarmsConfig guards the bounds below: widen them and this fails first.
    periods = get_args(AlarmsConfig.model_fields["period"].annotation)
    most = next(m.le for m in AlarmsConfig.model_fields["evaluation_periods"].metadata
                if getattr(m, "le", None) is not None)
    assert periods and most == 60
    too_long = [p for p in periods if p * most > max_evaluation_seconds(p)]
    assert not too_long, too_long


def test_defaults_judge_three_minutes() -> None:
    alarms = AlarmsConfig()
    assert (alarms.period, alarms.evaluation_periods, alarms.datapoints_to_alarm) == (60, 3, 3)
    assert (alarms.cpu_high, alarms.memory_high, alarms.task_count_spike) == (None, None, None)
