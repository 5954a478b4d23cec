"""ServiceDashboard: one CloudWatch dashboard showing every service of a stack, a row each.

Creates a single `aws.cloudwatch.Dashboard`. Each service row has three widgets:
- CPU and memory utilisation (namespace AWS/ECS, dimensions ClusterName + ServiceName), with
  horizontal annotations at the scaling targets when target tracking is on;
- RunningTaskCount and DesiredTaskCount (namespace ECS/ContainerInsights: they exist only with
  Container Insights on the cluster), with an annotation at the maximum task count;
- an alarm status widget of the alarms the service's ScalableService created (left out when
  the service has none: the widget takes 1 to 100 alarm ARNs).
Below the rows: the burn rate, and the Fargate Spot interruptions when a service may run on Spot.

The body follows CloudWatch's "Dashboard body structure and syntax" (API reference). The caller
supplies the validated ServiceConfig, the cluster and service names and the alarm names of each
service (Outputs are fine), plus the stack's environment, account and region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.burn_rate import burn_rate_widget
from policies.guardrails.facts.cloudwatch import (
    CPU_METRIC_NAME,
    DESIRED_TASK_COUNT,
    MEMORY_METRIC_NAME,
    RUNNING_TASK_COUNT,
)
from policies.guardrails.facts.metrics import (
    CONTAINER_INSIGHTS_NAMESPACE,
    ECS_SERVICE_NAMESPACE,
    EVENTS_NAMESPACE,
    MATCHED_EVENTS,
)
from policies.guardrails.facts.types import SERVICE_DASHBOARD_COMPONENT
from stack_model.config import ServiceConfig
from stack_model.naming import alarm_arn, dashboard_name
from stack_model.pricing import BurnRateFigures

# CloudWatch's dashboard grid is 24 columns wide; a service's three widgets fill a row.
GRID_COLUMNS = 24
WIDGET_WIDTH = GRID_COLUMNS // 3
WIDGET_HEIGHT = 6
# ECS publishes AWS/ECS and Container Insights metrics once a minute.
METRIC_PERIOD_SECONDS = 60
SPOT_INTERRUPTION_PERIOD_SECONDS = 300
# The alarm status widget accepts at most this many alarm ARNs.
MAX_ALARMS_PER_WIDGET = 100


@dataclass
class DashboardService:
    key: str
    """Service key in the stack config (web, queue, ...)."""
    config: ServiceConfig
    """The validated service settings: scaling targets and task count limits."""
    cluster_name: pulumi.Input[str]
    """Name of the cluster the service runs in (metric dimension ClusterName)."""
    service_name: pulumi.Input[str]
    """ECS service name (metric dimension ServiceName)."""
    alarm_names: pulumi.Input[list[str]]
    """Names of the alarms the service's ScalableService created; may be empty."""


@dataclass
class ServiceDashboardArgs:
    environment: str
    """Stack environment (staging, beta): names the dashboard and titles the widgets."""
    account_id: str
    """AWS account the alarms live in, for their ARNs."""
    region: str
    """AWS region of the metrics and alarms."""
    services: list[DashboardService]
    """One row per service, in this order."""
    burn_rate: BurnRateFigures | None = None
    """A last, full-width row: the stack's Fargate $ per hour; none when None."""
    spot_interruption_rule: str | None = None
    """Name of the Spot interruption rule (components/spot_interruptions.py): a full-width row
    counting its matched events; none when None."""


def _utilisation_widget(
    key: str, config: ServiceConfig, cluster: str, service: str, environment: str, region: str,
    y: int,
) -> dict[str, Any]:
    dimensions = ["ClusterName", cluster, "ServiceName", service]
    properties: dict[str, Any] = {
        "title": f"{environment} {key}: CPU and memory utilisation (%)",
        "view": "timeSeries",
        "region": region,
        "stat": "Average",
        "period": METRIC_PERIOD_SECONDS,
        "metrics": [
            [ECS_SERVICE_NAMESPACE, CPU_METRIC_NAME, *dimensions, {"label": "CPU"}],
            [ECS_SERVICE_NAMESPACE, MEMORY_METRIC_NAME, *dimensions, {"label": "memory"}],
        ],
        "yAxis": {"left": {"min": 0, "max": 100}},
    }
    if config.scaling.enabled:
        properties["annotations"] = {"horizontal": [
            {"label": f"CPU target {config.scaling.cpu_target:g}%",
             "value": config.scaling.cpu_target},
            {"label": f"memory target {config.scaling.memory_target:g}%",
             "value": config.scaling.memory_target},
        ]}
    return {"type": "metric", "x": 0, "y": y, "width": WIDGET_WIDTH, "height": WIDGET_HEIGHT,
            "properties": properties}


def _task_count_widget(
    key: str, config: ServiceConfig, cluster: str, service: str, environment: str, region: str,
    y: int,
) -> dict[str, Any]:
    dimensions = ["ClusterName", cluster, "ServiceName", service]
    maximum = config.effective_max
    return {
        "type": "metric", "x": WIDGET_WIDTH, "y": y,
        "width": WIDGET_WIDTH, "height": WIDGET_HEIGHT,
        "properties": {
            "title": f"{environment} {key}: running and desired tasks",
            "view": "timeSeries",
            "region": region,
            "stat": "Maximum",
            "period": METRIC_PERIOD_SECONDS,
            "metrics": [
                [CONTAINER_INSIGHTS_NAMESPACE, RUNNING_TASK_COUNT, *dimensions, {"label": "running"}],
                [CONTAINER_INSIGHTS_NAMESPACE, DESIRED_TASK_COUNT, *dimensions, {"label": "desired"}],
            ],
            "yAxis": {"left": {"min": 0}},
            "annotations": {"horizontal": [
                {"label": f"max capacity {maximum}", "value": maximum, "color": "#d62728"},
            ]},
        },
    }


def _alarm_widget(
    key: str, environment: str, region: str, account_id: str, alarm_names: list[str], y: int
) -> dict[str, Any]:
    return {
        "type": "alarm", "x": 2 * WIDGET_WIDTH, "y": y,
        "width": WIDGET_WIDTH, "height": WIDGET_HEIGHT,
        "properties": {
            "title": f"{environment} {key}: alarms",
            "alarms": [alarm_arn(region, account_id, name)
                       for name in alarm_names[:MAX_ALARMS_PER_WIDGET]],
            # ALARM first, then INSUFFICIENT_DATA, then OK.
            "sortBy": "stateUpdatedTimestamp",
        },
    }


def spot_interruptions_widget(
    rule_name: str, environment: str, region: str, y: int
) -> dict[str, Any]:
    """Spot interruptions per 5 minutes: the rule's MatchedEvents (AWS/Events, dimension
    RuleName; facts/metrics.py)."""
    return {
        "type": "metric", "x": 0, "y": y, "width": GRID_COLUMNS, "height": WIDGET_HEIGHT,
        "properties": {
            "title": f"{environment}: Fargate Spot interruptions (tasks, per 5 minutes)",
            "view": "timeSeries",
            "region": region,
            "stat": "Sum",
            "period": SPOT_INTERRUPTION_PERIOD_SECONDS,
            "metrics": [[EVENTS_NAMESPACE, MATCHED_EVENTS, "RuleName", rule_name,
                         {"label": "interrupted tasks"}]],
            "yAxis": {"left": {"min": 0}},
        },
    }


def dashboard_body(
    environment: str,
    region: str,
    account_id: str,
    rows: list[tuple[str, ServiceConfig, str, str, list[str]]],
    burn_rate: BurnRateFigures | None = None,
    spot_interruption_rule: str | None = None,
) -> dict[str, Any]:
    """The dashboard body for resolved values: (key, config, cluster, service, alarm names)."""
    widgets: list[dict[str, Any]] = []
    for index, (key, config, cluster, service, alarm_names) in enumerate(rows):
        y = index * WIDGET_HEIGHT
        widgets.append(_utilisation_widget(key, config, cluster, service, environment, region, y))
        widgets.append(_task_count_widget(key, config, cluster, service, environment, region, y))
        if alarm_names:
            widgets.append(_alarm_widget(key, environment, region, account_id, alarm_names, y))
    if burn_rate is not None:
        widgets.append(burn_rate_widget(
            burn_rate, [(key, cluster, service) for key, _, cluster, service, _ in rows],
            environment, region, len(rows) * WIDGET_HEIGHT, GRID_COLUMNS, WIDGET_HEIGHT,
        ))
    if spot_interruption_rule is not None:
        y = (len(rows) + (burn_rate is not None)) * WIDGET_HEIGHT
        widgets.append(spot_interruptions_widget(spot_interruption_rule, environment, region, y))
    return {"widgets": widgets}


class ServiceDashboard(pulumi.ComponentResource):
    """A CloudWatch dashboard of a stack's services; see the module docstring."""

    dashboard_name: pulumi.Output[str]
    dashboard_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceDashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(SERVICE_DASHBOARD_COMPONENT, name, None, opts)
        services = list(args.services)

        def body(resolved: list[Any]) -> dict[str, Any]:
            rows = []
            for index, service in enumerate(services):
                cluster, service_name, alarm_names = resolved[3 * index: 3 * index + 3]
                rows.append((service.key, service.config, cluster, service_name,
                             list(alarm_names or [])))
            return dashboard_body(args.environment, args.region, args.account_id, rows,
                                  args.burn_rate, args.spot_interruption_rule)

        resolved = pulumi.Output.all(*[
            value
            for service in services
            for value in (service.cluster_name, service.service_name, service.alarm_names)
        ])
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=dashboard_name(args.environment),
            dashboard_body=pulumi.Output.json_dumps(resolved.apply(body)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_arn = dashboard.dashboard_arn
        self.register_outputs({
            "dashboard_name": self.dashboard_name,
            "dashboard_arn": self.dashboard_arn,
        })
