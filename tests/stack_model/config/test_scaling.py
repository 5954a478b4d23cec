"""`services.<key>.scaling` (stack_model/config/scaling.py): the range and the emergency floor."""

from __future__ import annotations

import pytest

from stack_model.config import ScalingConfig
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    both,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("min-above-max", "beta", setter("web", "scaling", "min", value=60),
     ("services.web.scaling.min:", "60", "above max 50", "min must be <= max")),
    ("hold-at-above-max", "beta", setter("web", "scaling", "holdAt", value=60),
     ("services.web.scaling.holdAt:", "60", "outside min 1 .. max 50")),
    ("hold-at-below-min", "beta",
     both(setter("web", "scaling", "min", value=2), setter("web", "scaling", "holdAt", value=1)),
     ("services.web.scaling.holdAt:", "1", "outside min 2 .. max 50")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_bad_range_or_floor_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_defaults_leave_scaling_off_at_one_task() -> None:
    scaling = ScalingConfig()
    assert (scaling.enabled, scaling.min, scaling.max, scaling.hold_at) == (False, 1, 1, None)


@pytest.mark.parametrize("hold_at", [1, 3, 5])
def test_a_floor_anywhere_in_the_range_is_accepted(hold_at: int) -> None:
    scaling = ScalingConfig.model_validate({"enabled": True, "min": 1, "max": 5, "holdAt": hold_at})
    assert scaling.hold_at == hold_at


# --- queueBacklog and requestsPerTarget ---------------------------------------------------------

BACKLOG = {"queueName": "z360-beta-jobs", "acceptableLatency": 60, "secondsPerJob": 0.5}

BACKLOG_CASES: list[RefusalCase] = [
    ("latency-under-one-job", "beta",
     setter("queue", "scaling", "queueBacklog", value={**BACKLOG, "acceptableLatency": 0.4}),
     ("services.queue.scaling.queueBacklog.acceptableLatency:", "0.4 s is shorter than "
      "secondsPerJob 0.5 s", "0.80 jobs")),
    ("queue-url-not-name", "beta",
     setter("queue", "scaling", "queueBacklog",
            value={**BACKLOG, "queueName": "https://sqs.us-east-1.amazonaws.com/1/jobs"}),
     ("services.queue.scaling.queueBacklog.queueName:",)),
    ("unknown-connection", "beta",
     setter("queue", "scaling", "queueBacklog", value={**BACKLOG, "connection": "database"}),
     ("services.queue.scaling.queueBacklog.connection:", "database")),
    ("backlog-from-zero", "beta", setter("queue", "scaling", "min", value=0),
     ("services.queue.scaling.min:", "never scale out of 0")),
    ("backlog-behind-load-balancer", "beta",
     setter("web", "scaling", "queueBacklog", value=BACKLOG),
     ("services.web.scaling.queueBacklog:", "queue worker's signal")),
    ("requests-without-throughput", "beta",
     setter("gateway", "waf", "taskRequestsPerSecond", value=None),
     ("services.gateway.waf.taskRequestsPerSecond:", "scaling.requestsPerTarget derives")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(BACKLOG_CASES))
def test_an_unreachable_or_misplaced_backlog_is_refused(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


@pytest.mark.parametrize("latency, job, target", [(60, 0.5, 120), (0.5, 0.5, 1), (300, 2, 150)])
def test_backlog_target_is_latency_over_job_time(latency: float, job: float, target: float):
    config = ScalingConfig.model_validate({"enabled": True, "queueBacklog": {
        **BACKLOG, "acceptableLatency": latency, "secondsPerJob": job}})
    assert config.queue_backlog is not None
    assert config.queue_backlog.target_backlog_per_task == target


def test_queue_backlog_needs_container_insights_on_its_cluster() -> None:
    def insights_off(document):
        document["config"]["z360-ecs:clusters"]["app"]["containerInsights"] = False
        for key in ("web",):  # web's spike alarm reads it too: leave only the backlog
            document["config"]["z360-ecs:services"][key]["alarms"].pop("taskCountSpike")

    from stack_model.config import ConfigError
    from tests.support.config_mutations import load
    with pytest.raises(ConfigError) as refused:
        load("beta", insights_off)
    (problem,) = [p for p in refused.value.problems if "containerInsights" in p]
    assert "services.queue.scaling.queueBacklog" in problem
