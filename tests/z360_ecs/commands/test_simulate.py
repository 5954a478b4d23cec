"""`z360-ecs simulate`: the target-tracking model on a real stack, its JSON and its SVG chart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from z360_ecs.cli import main
from z360_ecs.common import read_stack_config


def test_beta_web_ten_x_step_is_not_instant(capsys, tmp_path):
    chart = tmp_path / "web.svg"
    assert main(["simulate", "beta", "web", "--load", "step:10x@5", "--minutes", "60",
                 "--json", "--chart", str(chart)]) == 0
    document = json.loads(capsys.readouterr().out)
    web = read_stack_config("beta").services["web"]
    summary = document["summary"]
    # web publishes 20 s metrics: three 20 s datapoints, their publishing delay and the
    # scaling action put the first new tasks about 109 s after the step (AWS's measurement,
    # see tests/z360_ecs/models/test_calibration.py), not 0 s. Before the recalibration this
    # read 180 s: 60 s metrics with no delays.
    assert summary["metricResolutionSeconds"] == 20
    assert 90 <= summary["secondsToFirstScaleOut"] <= 125
    assert document["service"]["max_capacity"] == web.scaling.max
    assert 1 < summary["peakDesired"] <= web.scaling.max
    root = ET.fromstring(chart.read_text())
    assert root.tag.endswith("svg") and len(root.findall("{http://www.w3.org/2000/svg}path")) >= 3


def test_cli_rejects_unknown_service_and_fixed_count_service(capsys):
    assert main(["simulate", "beta", "nope", "--load", "flat:1x"]) == 2
    assert "services.nope" in capsys.readouterr().err
    assert main(["simulate", "staging", "web", "--load", "flat:1x"]) == 2
    assert "scaling.enabled is false" in capsys.readouterr().err
    assert main(["simulate", "beta", "web", "--load", "step:lots"]) == 2
    assert "step:lots" in capsys.readouterr().err


def test_beta_queue_drains_10000_jobs_in_minutes_on_its_backlog_and_hours_on_cpu(capsys):
    assert main(["simulate", "beta", "queue", "--load", "backlog:10000@5", "--minutes", "120",
                 "--json"]) == 0
    after = json.loads(capsys.readouterr().out)["summary"]
    assert main(["simulate", "beta", "queue", "--load", "backlog:10000@5", "--minutes", "120",
                 "--json", "--cpu-tracking"]) == 0
    before = json.loads(capsys.readouterr().out)["summary"]
    assert (after["signal"], before["signal"]) == ("backlog per task", "CPU")
    assert after["minutesToDrain"] < 15 < 80 < before["minutesToDrain"]
    assert (after["peakDesired"], before["peakDesired"]) == (20, 1)


def test_a_backlog_needs_a_job_time(capsys):
    assert main(["simulate", "beta", "web", "--load", "backlog:100@1"]) == 2
    assert "services.web.scaling.queueBacklog is unset" in capsys.readouterr().err
