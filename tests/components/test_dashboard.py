"""The stack's CloudWatch dashboard: one row per service, built from the real stack files."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.dashboard import DashboardService, ServiceDashboard, ServiceDashboardArgs
from policies.guardrails.facts.types import (
    DASHBOARD_TYPE,
    METRIC_ALARM_TYPE,
)
from stack_model.config import load_stack_config
from stack_model.config.source import read_stack_yaml
from stack_model.naming import alarm_arn
from z360_ecs.common import PROJECT_DIR
from z360_ecs.engine.program import COMPUTED


def _beta_config():
    document = read_stack_yaml(PROJECT_DIR / "Pulumi.beta.yaml")["config"]
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    aws_config = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws_config)


def _body(run) -> dict[str, Any]:
    dashboards = run.by_type(DASHBOARD_TYPE)
    assert len(dashboards) == 1, [r.urn for r in dashboards]
    text = dashboards[0].inputs["dashboardBody"]
    assert text is not COMPUTED, "the body must be known at preview"
    return json.loads(text)


def _widgets_titled(body: dict[str, Any], fragment: str) -> list[dict[str, Any]]:
    return [w for w in body["widgets"] if fragment in w["properties"].get("title", "")]


def test_beta_dashboard_has_utilisation_with_scaling_target_annotations(run_stack):
    run = run_stack("beta")
    body = _body(run)
    config = _beta_config()
    for key, service in config.services.items():
        cluster = config.clusters[service.cluster].name
        (widget,) = _widgets_titled(body, f"beta {key}: CPU and memory")
        properties = widget["properties"]
        assert widget["type"] == "metric"
        dims = ["ClusterName", cluster, "ServiceName", service.service_name]
        assert properties["metrics"][0][:6] == ["AWS/ECS", "CPUUtilization", *dims]
        assert properties["metrics"][1][:6] == ["AWS/ECS", "MemoryUtilization", *dims]
        values = [a["value"] for a in properties["annotations"]["horizontal"]]
        assert values == [service.scaling.cpu_target, service.scaling.memory_target], key


def test_beta_dashboard_task_counts_come_from_container_insights_with_max_annotation(run_stack):
    body = _body(run_stack("beta"))
    config = _beta_config()
    for key, service in config.services.items():
        (widget,) = _widgets_titled(body, f"beta {key}: running and desired")
        metrics = widget["properties"]["metrics"]
        assert [m[:2] for m in metrics] == [
            ["ECS/ContainerInsights", "RunningTaskCount"],
            ["ECS/ContainerInsights", "DesiredTaskCount"],
        ]
        assert metrics[0][5] == service.service_name
        (annotation,) = widget["properties"]["annotations"]["horizontal"]
        assert annotation["value"] == service.effective_max, key


def test_beta_alarm_widgets_list_exactly_the_alarms_each_service_creates(run_stack):
    run = run_stack("beta")
    body = _body(run)
    alarms_by_service: dict[str, set[str]] = {}
    for alarm in run.by_type(METRIC_ALARM_TYPE):
        owner = run.named(alarm.parent.rsplit("::", 1)[-1])
        alarms_by_service.setdefault(owner.name, set()).add(alarm.inputs["name"])
    config = _beta_config()
    for key in config.services:
        widgets = _widgets_titled(body, f"beta {key}: alarms")
        expected = alarms_by_service.get(key, set())
        if not expected:
            assert widgets == [], f"{key} has no alarms, so no alarm widget"
            continue
        (widget,) = widgets
        assert widget["type"] == "alarm"
        arns = set(widget["properties"]["alarms"])
        assert arns == {alarm_arn(config.region, config.account_id, n) for n in expected}


def test_widgets_fit_the_24_column_grid_without_overlap(run_stack):
    body = _body(run_stack("beta"))
    cells = set()
    for widget in body["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24
        for column in range(widget["x"], widget["x"] + widget["width"]):
            for row in range(widget["y"], widget["y"] + widget["height"]):
                assert (column, row) not in cells, widget["properties"]["title"]
                cells.add((column, row))


def test_dashboard_false_creates_no_dashboard(run_stack):
    def switch_off(document):
        document["config"]["z360-ecs:dashboard"] = False

    run = run_stack("beta", mutate=switch_off)
    assert run.by_type(DASHBOARD_TYPE) == []
    assert run.by_type("z360:cloudwatch:ServiceDashboard") == []


@pulumi.runtime.test
def test_component_resolves_output_names_into_the_body(pulumi_mocks, monkeypatch):
    sent: list[dict[str, Any]] = []
    original = pulumi_mocks.new_resource

    def record(args):
        if args.typ == DASHBOARD_TYPE:
            sent.append(args.inputs)
        return original(args)

    monkeypatch.setattr(pulumi_mocks, "new_resource", record)
    config = _beta_config()
    dashboard = ServiceDashboard("test", ServiceDashboardArgs(
        environment="beta", account_id="108782097218", region="us-east-1",
        services=[
            DashboardService("web", config.services["web"], pulumi.Output.from_input("cluster-a"),
                             pulumi.Output.from_input("web-svc"),
                             pulumi.Output.from_input(["web-high-cpu"])),
            DashboardService("queue", config.services["queue"], "cluster-a", "queue-svc", []),
        ],
    ))

    def check(values):
        name, arn = values
        assert name == "z360-beta-services"
        assert arn.startswith("arn:aws:cloudwatch::108782097218:dashboard/"), arn
        (inputs,) = sent
        body = json.loads(inputs["dashboardBody"])
        (cpu,) = _widgets_titled(body, "beta web: CPU")
        assert cpu["properties"]["metrics"][0][2:6] == [
            "ClusterName", "cluster-a", "ServiceName", "web-svc"]
        (alarms,) = _widgets_titled(body, "beta web: alarms")
        assert alarms["properties"]["alarms"] == [
            "arn:aws:cloudwatch:us-east-1:108782097218:alarm:web-high-cpu"]
        assert _widgets_titled(body, "beta queue: alarms") == []

    return pulumi.Output.all(dashboard.dashboard_name, dashboard.dashboard_arn).apply(check)
