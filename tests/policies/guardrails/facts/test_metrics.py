"""The one rule for alarm periods (policies/guardrails/facts/metrics.py), which the pack's two
period rules and the stack config call: a period is filled when it is a multiple of the
resolution; without one, the namespace's finest (AWS/ECS 20 s)."""

from __future__ import annotations

from policies.guardrails.facts.metrics import alarm_period_problem


def test_validator_alarm_period():
    assert alarm_period_problem("AWS/ECS", 60) is None
    assert alarm_period_problem("AWS/ECS", 120) is None
    assert alarm_period_problem("AWS/ECS", 20) is None  # some resolution fills it
    assert "arrive every 20 s at best" in alarm_period_problem("AWS/ECS", 30)
    assert "arrive every 20 s at best" in alarm_period_problem("AWS/ECS", 10)
    assert "arrive every 60 s" in alarm_period_problem("AWS/ECS", 30, resolution=60)
    assert "arrive every 60 s" in alarm_period_problem("AWS/ECS", 20, resolution=60)
    assert alarm_period_problem("AWS/ECS", 20, resolution=20) is None
    assert "one datapoint or none" in alarm_period_problem("AWS/ECS", 30, resolution=20)
    assert "arrive every 60 s" in alarm_period_problem("ECS/ContainerInsights", 20)
    assert alarm_period_problem("Custom/HighRes", 10) is None
