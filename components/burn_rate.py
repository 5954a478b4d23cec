"""BurnRateAlarms: the stack's Fargate spend in dollars per hour, watched minute by minute.

The rate is a CloudWatch metric-math expression over the auto-scaled services:
`FILL(m1,0)*<web's hourly task price> + FILL(m2,0)*<...> + ...`, where each `m` is the
service's RunningTaskCount (ECS/ContainerInsights, ClusterName + ServiceName, Maximum over 60 s)
and the prices are the task list prices (policies/guardrails/facts/fargate.py) as the one
pricing of a stack config gives them (stack_model/pricing.py), written into the expression at
preview. A task on FARGATE_SPOT is priced at the on-demand list price too: Spot has no fixed
price and costs less, so on a stack with Spot the rate reads high and the alarms trip early
(the safe side), never late. Expression and limits: policies/guardrails/facts/burn_rate.py.

Creates, as children, per group of up to 10 services (one metric-math alarm references at most
10 metrics; a stack with more is split and the thresholds shared out, see
`facts/burn_rate.py`, `split_threshold`):
- a warning alarm, rate above `warnPerHour` for one minute -> the alert topic (and back to OK);
  its missing data stays `missing` and INSUFFICIENT_DATA is sent to the alert topic too: no
  datapoint at all means Container Insights went quiet, and the fast path is then blind;
- a trip alarm, rate above `tripPerHour` for `tripMinutes` consecutive minutes -> the cost
  breaker's topic (which invokes the breaker) and the alert topic. Missing data is
  `notBreaching`: the breaker never lowers capacity on an absence of data.
Every alarm carries the tag `z360:burn-rate` = `trip` or `warn`; the policy pack finds them by it.

The caller supplies the validated burn-rate config, the scaled services with their cluster and
service names, the alert topic, and the breaker topic's ARN (built from its name, so it is known
at preview and the pack can check the wiring in CI).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.guardrails.facts.burn_rate import (
    BURN_RATE_TAG,
    METRIC_PERIOD_SECONDS,
    METRIC_STAT,
    RATE_ID,
    TRIP,
    WARN,
    baseline_rate,
    chunks,
    max_rate,
    metric_id,
    price_literal,
    rate_expression,
    split_threshold,
)
from policies.guardrails.facts.cloudwatch import RUNNING_TASK_COUNT
from policies.guardrails.facts.metrics import CONTAINER_INSIGHTS_NAMESPACE
from policies.guardrails.facts.types import BURN_RATE_ALARMS_COMPONENT
from stack_model.config import BurnRateConfig, ServiceConfig
from stack_model.naming import burn_rate_alarm_name, environment_tags
from stack_model.pricing import BurnRateFigures, priced

THRESHOLD_PLACES = Decimal("0.0001")


@dataclass
class BurnRateService:
    key: str
    """Service key in the stack config (web, queue, ...)."""
    config: ServiceConfig
    """The validated service: task size (its price) and min/max capacity."""
    cluster_name: pulumi.Input[str]
    """Metric dimension ClusterName."""
    service_name: pulumi.Input[str]
    """Metric dimension ServiceName."""


@dataclass
class BurnRateAlarmsArgs:
    config: BurnRateConfig
    """Thresholds in USD per hour and the trip's minutes (already validated)."""
    environment: str
    """Stack environment: alarm names and tags."""
    services: list[BurnRateService]
    """The auto-scaled services, in stack-file order; at least one."""
    alert_topic_arn: pulumi.Input[str]
    """Where warnings, and every trip, are told."""
    breaker_topic_arn: str
    """The cost breaker's topic: the trip alarm's action."""


def metric_queries(
    group: list[BurnRateService], prices: list[Decimal], label: str
) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict]:
    """The alarm's Metrics: one RunningTaskCount per service, then the priced sum."""
    queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] = [
        {
            "id": metric_id(position),
            "metric": {
                "namespace": CONTAINER_INSIGHTS_NAMESPACE,
                "metric_name": RUNNING_TASK_COUNT,
                "dimensions": {"ClusterName": s.cluster_name, "ServiceName": s.service_name},
                "period": METRIC_PERIOD_SECONDS,
                "stat": METRIC_STAT,
            },
            "return_data": False,
        }
        for position, s in enumerate(group)
    ]
    queries.append({
        "id": RATE_ID, "expression": rate_expression(prices), "label": label,
        "return_data": True,
    })
    return queries


def _dollars(amount: Decimal) -> float:
    return float(amount.quantize(THRESHOLD_PLACES))


class BurnRateAlarms(pulumi.ComponentResource):
    """Warning and trip alarms on the stack's Fargate dollars per hour; see the module
    docstring."""

    trip_alarm_names: pulumi.Output[list[str]]
    warn_alarm_names: pulumi.Output[list[str]]
    expressions: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: BurnRateAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(BURN_RATE_ALARMS_COMPONENT, name, None, opts)
        if not args.services:
            raise ValueError("BurnRateAlarms needs at least one auto-scaled service")
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        by_key = {s.key: s for s in args.services}
        groups = chunks([priced(s.key, s.config) for s in args.services])
        warn_shares = split_threshold(config.warn_per_hour, groups)
        trip_shares = split_threshold(config.trip_per_hour, groups)
        trips: list[aws.cloudwatch.MetricAlarm] = []
        warns: list[aws.cloudwatch.MetricAlarm] = []
        expressions: list[str] = []
        for index, group in enumerate(groups):
            members = [by_key[p.key] for p in group]
            prices = [p.hourly_price for p in group]
            expressions.append(rate_expression(prices))
            scope = ", ".join(p.key for p in group)
            # Every task at its on-demand list price, Spot tasks too: Spot costs less, so
            # with Spot the alarms fire early, the safe side (docs/costs.md#fargate-spot).
            span = (f"on-demand list price, Spot tasks too: baseline "
                    f"${baseline_rate(group):.2f}/h, all at max ${max_rate(group):.2f}/h")
            warns.append(self._alarm(
                name, WARN, index, len(groups), members, prices, warn_shares[index], 1,
                f"{args.environment} Fargate burn rate ({scope}) above "
                f"${warn_shares[index]:.2f}/h ({span}); look before the breaker trips",
                args, child,
            ))
            trips.append(self._alarm(
                name, TRIP, index, len(groups), members, prices, trip_shares[index],
                config.trip_minutes,
                f"{args.environment} Fargate burn rate ({scope}) above "
                f"${trip_shares[index]:.2f}/h for {config.trip_minutes} min ({span}): trips "
                "the cost breaker",
                args, child,
            ))
        self.trip_alarm_names = pulumi.Output.all(*[a.name for a in trips])
        self.warn_alarm_names = pulumi.Output.all(*[a.name for a in warns])
        self.expressions = pulumi.Output.from_input(expressions)
        self.register_outputs({
            "trip_alarm_names": self.trip_alarm_names,
            "warn_alarm_names": self.warn_alarm_names,
            "expressions": self.expressions,
        })

    def _alarm(
        self,
        name: str,
        kind: str,
        group: int,
        groups: int,
        members: list[BurnRateService],
        prices: list[Decimal],
        threshold: Decimal,
        minutes: int,
        description: str,
        args: BurnRateAlarmsArgs,
        child: pulumi.ResourceOptions,
    ) -> aws.cloudwatch.MetricAlarm:
        alerts = [args.alert_topic_arn]
        suffix = f"-{group + 1}" if groups > 1 else ""
        if kind == TRIP:
            actions: dict[str, Any] = {
                "alarm_actions": [args.breaker_topic_arn, args.alert_topic_arn],
                # Never OK or INSUFFICIENT_DATA to the breaker: only ALARM trips it.
                "ok_actions": alerts,
                "treat_missing_data": "notBreaching",
            }
        else:
            actions = {
                "alarm_actions": alerts,
                "ok_actions": alerts,
                "insufficient_data_actions": alerts,
                "treat_missing_data": "missing",
            }
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{kind}{suffix}",
            name=burn_rate_alarm_name(args.environment, kind, group, groups),
            alarm_description=description,
            metric_queries=metric_queries(members, prices, "Fargate USD per hour"),
            threshold=_dollars(threshold),
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            tags={**environment_tags(args.environment), BURN_RATE_TAG: kind},
            opts=child,
            **actions,
        )


# --- dashboard ------------------------------------------------------------------------------


def burn_rate_widget(
    figures: BurnRateFigures,
    rows: list[tuple[str, str, str]],
    environment: str,
    region: str,
    y: int,
    width: int,
    height: int,
) -> dict[str, Any]:
    """A full-width metric widget: the stack's Fargate USD per hour (one expression over every
    scaled service; a graph has no 10-metric limit), with lines at the budget's rate, the
    warning, the trip and the all-at-max rate. `rows` are (key, cluster, service) resolved."""
    metrics: list[list[Any]] = []
    prices = figures.prices
    priced_rows = [(k, c, s) for k, c, s in rows if k in prices]
    terms = []
    for position, (key, cluster, service) in enumerate(priced_rows):
        ident = f"m{position + 1}"
        metrics.append([CONTAINER_INSIGHTS_NAMESPACE, RUNNING_TASK_COUNT, "ClusterName",
                        cluster, "ServiceName", service,
                        {"id": ident, "visible": False, "label": key}])
        terms.append(f"FILL({ident},0)*{price_literal(prices[key])}")
    metrics.insert(0, [{"expression": "+".join(terms), "id": RATE_ID,
                        "label": "Fargate $ per hour"}])
    lines: list[dict[str, Any]] = []
    if figures.budget_per_hour is not None:
        lines.append({"label": f"budget's rate ${figures.budget_per_hour:.2f}/h (limit / 730 h)",
                      "value": float(figures.budget_per_hour.quantize(THRESHOLD_PLACES)),
                      "color": "#ff7f0e"})
    if figures.warn_per_hour is not None:
        lines.append({"label": f"warning ${figures.warn_per_hour:.2f}/h",
                      "value": _dollars(figures.warn_per_hour), "color": "#bcbd22"})
    if figures.trip_per_hour is not None:
        lines.append({"label": f"breaker trips ${figures.trip_per_hour:.2f}/h",
                      "value": _dollars(figures.trip_per_hour), "color": "#d62728"})
    lines.append({"label": f"all at max ${figures.max_per_hour:.2f}/h",
                  "value": float(figures.max_per_hour.quantize(THRESHOLD_PLACES))})
    return {
        "type": "metric", "x": 0, "y": y, "width": width, "height": height,
        "properties": {
            "title": f"{environment}: Fargate $ per hour (running tasks x list price)",
            "view": "timeSeries",
            "region": region,
            "stat": METRIC_STAT,
            "period": METRIC_PERIOD_SECONDS,
            "metrics": metrics,
            "yAxis": {"left": {"min": 0, "label": "USD per hour"}},
            "annotations": {"horizontal": lines},
        },
    }

