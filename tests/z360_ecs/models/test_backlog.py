"""The queue-backlog model (z360_ecs/models/backlog.py): the drain time a hand computation gives
with ideal delays, backlog per task scaling out where CPU tracking of I/O-bound jobs does not,
scale-in only when memory agrees, and the load syntax."""

from __future__ import annotations

from decimal import Decimal

import pytest

from z360_ecs.models.backlog import BacklogLoad, QueueModel, parse_backlog, simulate_backlog
from z360_ecs.models.target_tracking import IDEAL_DELAYS, Assumptions, ProfileError

IDEAL = Assumptions(**IDEAL_DELAYS, task_start_delay_s=0)


def queue(backlog_target: float | None = 120.0, **changes) -> QueueModel:
    fields = dict(name="queue", min_capacity=1, max_capacity=20, seconds_per_job=0.5,
                  scale_out_cooldown_s=0, scale_in_cooldown_s=600, memory_target=70.0,
                  hourly_task_cost=Decimal("0.0123"), backlog_target=backlog_target)
    fields.update(changes)
    return QueueModel(**fields)  # type: ignore[arg-type]


def test_one_task_drains_10000_half_second_jobs_in_5000_seconds():
    # CPU tracking with I/O-bound jobs: a busy task at 10 % CPU never reaches a 70 % target.
    result = simulate_backlog(queue(None), BacklogLoad(10_000, 5), 120, IDEAL)
    summary = result.summary()
    assert (summary["signal"], summary["secondsToDrain"], summary["peakDesired"]) == (
        "CPU", 5000, 1)


def test_backlog_per_task_scales_to_max_and_drains_in_minutes():
    result = simulate_backlog(queue(), BacklogLoad(10_000, 5), 60, IDEAL)
    summary = result.summary()
    assert summary["peakDesired"] == 20
    # Three one-minute datapoints above target (180 s at 2 jobs/s: 360 jobs), then 20 tasks
    # at 40 jobs/s clear the remaining 9,640 in 241 s.
    assert summary["secondsToDrain"] == pytest.approx(180 + 9_640 / 40, abs=2)


def test_scale_in_waits_for_memory_to_agree_and_the_cooldown():
    result = simulate_backlog(queue(), BacklogLoad(10_000, 5), 60, IDEAL)
    scale_ins = [m for m in result.minutes if "scale in" in m.event]
    # 15 datapoints below 90 % of target on both policies, then memory's 40/70 sets the count.
    assert scale_ins and scale_ins[0].event == "scale in 20->12"
    assert all(later.minute - earlier.minute >= 10
               for earlier, later in zip(scale_ins, scale_ins[1:], strict=False))


def test_a_latency_target_below_one_job_per_task_keeps_every_task():
    result = simulate_backlog(queue(0.5), BacklogLoad(10, 1, arrivals_per_s=2), 30, IDEAL)
    assert result.summary()["peakDesired"] == 20


@pytest.mark.parametrize("text, load", [
    ("backlog:10000@5", BacklogLoad(10_000, 5, 0.0)),
    ("backlog:500@0+2.5/s", BacklogLoad(500, 0, 2.5)),
])
def test_backlog_syntax(text: str, load: BacklogLoad):
    assert parse_backlog(text) == load


@pytest.mark.parametrize("text", ["backlog:10k@5", "backlog:10000", "step:10x@5",
                                  "backlog:1000000000@1"])
def test_bad_backlog_syntax_is_refused(text: str):
    with pytest.raises(ProfileError):
        parse_backlog(text)
