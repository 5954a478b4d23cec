"""services.<key>.schedule (stack_model/config/schedule.py): refused at its key path with the
value and what is allowed; a stack-wide default in serviceDefaults, a service opting out."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from stack_model.config import ConfigError, load_stack_config

ROOT = Path(__file__).resolve().parents[3]


def _staging() -> tuple[dict, dict]:
    document = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    aws = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("aws:")}
    return raw, aws


def test_staging_sleeps_out_of_working_hours_by_its_service_defaults():
    raw, aws = _staging()
    config = load_stack_config(raw, aws)
    assert all(s.scheduled for s in config.services.values())
    assert config.services["web"].schedule.wake == "cron(0 8 ? * MON-FRI *)"


def test_a_service_opts_out_of_the_stack_wide_schedule():
    raw, aws = _staging()
    raw = copy.deepcopy(raw)
    raw["services"]["voice"]["schedule"] = {"enabled": False}
    config = load_stack_config(raw, aws)
    assert not config.services["voice"].scheduled and config.services["web"].scheduled
    assert config.services["voice"].on_fraction == 1


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("timezone", "Europe/Londres", "services.web.schedule.timezone: 'Europe/Londres' is not an "
     "IANA time zone"),
    ("wake", "cron(0 8 * * MON-FRI *)", "services.web.schedule.wake: 'cron(0 8 * * MON-FRI *)' "
     "needs '?'"),
    ("sleep", "cron(0 8 1 * ? *)", "services.web.schedule.sleep: 'cron(0 8 1 * ? *)' does not "
     "repeat weekly"),
    ("sleep", "cron(0 8 ? * MON *)", "services.web.schedule.sleep: 'cron(0 8 ? * MON *)' fires "
     "in a minute"),
])
def test_a_bad_schedule_is_refused_at_its_key(key, value, expected):
    raw, aws = _staging()
    raw = copy.deepcopy(raw)
    raw["services"]["web"]["schedule"] = {key: value}
    with pytest.raises(ConfigError) as error:
        load_stack_config(raw, aws)
    assert expected in str(error.value)


def test_a_schedule_that_wakes_a_service_to_zero_tasks_is_refused():
    raw, aws = _staging()
    raw = copy.deepcopy(raw)
    raw["services"]["web"]["desiredCount"] = 0
    with pytest.raises(ConfigError) as error:
        load_stack_config(raw, aws)
    assert "services.web.desiredCount: 0 while schedule.wake wakes the service to it" in \
        str(error.value)
