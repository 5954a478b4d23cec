"""The burn-rate alarms and dashboard row the real program creates under the mock engine: beta,
beta without the config or with a service not scaled, and beta grown past what one alarm may
watch. Each alarm is checked as the PutMetricAlarm request botocore's model accepts."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from components.cost_breaker import breaker_topic_policy
from policies.guardrails.facts import burn_rate as facts
from policies.guardrails.facts.fargate import hourly_task_cost
from policies.guardrails.facts.types import (
    DASHBOARD_TYPE,
    METRIC_ALARM_TYPE,
    TOPIC_TYPE,
)
from stack_model.pricing import burn_rate_figures
from tests.support.configs import beta_config
from z360_ecs.engine.analyzer import PolicyPackProcess, analyze_run
from z360_ecs.engine.program import COMPUTED

ALARM = METRIC_ALARM_TYPE
ACCOUNT = "108782097218"
BREAKER_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-cost-breaker"
ALERTS_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:z360-beta-alerts"
BETA_EXPRESSION = (
    "FILL(m1,0)*0.04937+FILL(m2,0)*0.0123425+FILL(m3,0)*0.0123425+FILL(m4,0)*0.024685"
    "+FILL(m5,0)*0.014565+FILL(m6,0)*0.103185"
)
CLOUDWATCH = botocore.session.get_session().get_service_model("cloudwatch")


def test_beta_expression_prices_each_service_from_the_price_table():
    prices = [hourly_task_cost(s.cpu, s.memory, s.architecture)
              for s in beta_config().services.values()]
    assert facts.rate_expression(prices) == BETA_EXPRESSION
    parsed = facts.parse_rate_expression(BETA_EXPRESSION)
    assert parsed is not None and list(parsed.values()) == [p.normalize() for p in prices]


# --- the alarms under the mock engine ---------------------------------------------------------


def _burn_alarms(run) -> dict[str, dict[str, Any]]:
    return {r.inputs["name"]: r.inputs for r in run.by_type(ALARM)
            if "-burn-rate-" in r.inputs["name"]}


def _has_computed(value: Any) -> bool:
    if value is COMPUTED:
        return True
    if isinstance(value, dict):
        return any(_has_computed(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_computed(v) for v in value)
    return False


def _put_metric_alarm(inputs: dict[str, Any]) -> dict[str, Any]:
    """The PutMetricAlarm request the provider makes of these inputs (engine names)."""
    metrics = []
    for query in inputs["metricQueries"]:
        item: dict[str, Any] = {"Id": query["id"], "ReturnData": query["returnData"]}
        if "metric" in query:
            metric = query["metric"]
            item["MetricStat"] = {
                "Metric": {"Namespace": metric["namespace"], "MetricName": metric["metricName"],
                           "Dimensions": [{"Name": k, "Value": v}
                                          for k, v in metric["dimensions"].items()]},
                "Period": metric["period"], "Stat": metric["stat"]}
        else:
            item["Expression"] = query["expression"]
            item["Label"] = query["label"]
        metrics.append(item)
    request = {
        "AlarmName": inputs["name"], "AlarmDescription": inputs["alarmDescription"],
        "AlarmActions": inputs["alarmActions"], "OKActions": inputs.get("okActions", []),
        "InsufficientDataActions": inputs.get("insufficientDataActions", []),
        "EvaluationPeriods": inputs["evaluationPeriods"],
        "DatapointsToAlarm": inputs["datapointsToAlarm"], "Threshold": inputs["threshold"],
        "ComparisonOperator": inputs["comparisonOperator"],
        "TreatMissingData": inputs["treatMissingData"], "Metrics": metrics,
        "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()],
    }
    report = ParamValidator().validate(
        request, CLOUDWATCH.operation_model("PutMetricAlarm").input_shape)
    assert not report.has_errors(), report.generate_report()
    return request


def _check_limits(request: dict[str, Any]) -> None:
    metrics = request["Metrics"]
    stats = [m for m in metrics if "MetricStat" in m]
    expressions = [m for m in metrics if "Expression" in m]
    assert 1 <= len(stats) <= facts.MAX_METRICS_PER_ALARM
    assert len(expressions) <= facts.MAX_EXPRESSIONS_PER_ALARM
    assert len(metrics) <= facts.MAX_QUERIES_PER_ALARM
    assert [m["Id"] for m in metrics if m["ReturnData"]] == [facts.RATE_ID]
    assert len(request["AlarmActions"]) <= facts.MAX_ALARM_ACTIONS
    for stat in stats:
        metric = stat["MetricStat"]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == (
            "ECS/ContainerInsights", "RunningTaskCount")
        assert sorted(d["Name"] for d in metric["Dimensions"]) == ["ClusterName", "ServiceName"]
        assert re.fullmatch(r"[a-z][A-Za-z0-9_]*", stat["Id"])


def test_beta_alarms_at_preview(run_stack):
    run = run_stack("beta")
    alarms = _burn_alarms(run)
    assert sorted(alarms) == ["z360-beta-burn-rate-trip", "z360-beta-burn-rate-warn"]
    config = beta_config()
    for inputs in alarms.values():
        assert not _has_computed(inputs), "known at preview"
        request = _put_metric_alarm(inputs)
        _check_limits(request)
        (expression,) = [m["Expression"] for m in request["Metrics"] if "Expression" in m]
        assert expression == BETA_EXPRESSION
        dims = [{d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]}
                for m in request["Metrics"] if "MetricStat" in m]
        assert dims == [{"ClusterName": config.clusters[s.cluster].name,
                         "ServiceName": s.service_name} for s in config.services.values()]
    trip, warn = alarms["z360-beta-burn-rate-trip"], alarms["z360-beta-burn-rate-warn"]
    assert trip["alarmActions"] == [BREAKER_ARN, ALERTS_ARN]
    assert trip["okActions"] == [ALERTS_ARN] and "insufficientDataActions" not in trip
    assert (trip["threshold"], trip["evaluationPeriods"], trip["datapointsToAlarm"]) == (5.0, 5, 5)
    assert trip["treatMissingData"] == "notBreaching"
    assert trip["tags"]["z360:burn-rate"] == "trip"
    assert warn["alarmActions"] == warn["okActions"] == warn["insufficientDataActions"] == [
        ALERTS_ARN]
    assert (warn["threshold"], warn["evaluationPeriods"], warn["treatMissingData"]) == (
        3.42, 1, "missing")
    # The breaker's topic exists, and its policy lets CloudWatch alarms publish.
    topics = {r.inputs["name"]: r for r in run.by_type(TOPIC_TYPE)}
    assert topics["z360-beta-cost-breaker"].inputs["tags"]["z360:cost-breaker"] == "topic"
    sids = {s["Sid"]: s for s in breaker_topic_policy(BREAKER_ARN, ACCOUNT)["Statement"]}
    assert sids["AllowThisAccountsAlarmsToPublish"]["Principal"] == {
        "Service": "cloudwatch.amazonaws.com"}



def test_beta_alarms_state_the_one_pricings_rates(run_stack):
    """The descriptions carry the rates stack_model/pricing.py gives: the ops log's $0.22/h at
    every service's min and $9.79/h at every max."""
    figures = burn_rate_figures(beta_config())
    assert figures is not None
    span = (f"baseline ${figures.baseline_per_hour:.2f}/h, all at max "
            f"${figures.max_per_hour:.2f}/h")
    assert span == "baseline $0.22/h, all at max $9.79/h"
    alarms = _burn_alarms(run_stack("beta"))
    for name, inputs in alarms.items():
        # The prices are on-demand list prices for every task, Spot ones too (they trip early).
        assert f"(on-demand list price, Spot tasks too: {span})" in inputs["alarmDescription"], name
    assert "above $5.00/h for 5 min" in alarms["z360-beta-burn-rate-trip"]["alarmDescription"]
    assert "above $3.42/h" in alarms["z360-beta-burn-rate-warn"]["alarmDescription"]

def test_staging_has_no_burn_rate_alarms(run_stack):
    assert _burn_alarms(run_stack("staging")) == {}


def test_no_burn_rate_config_no_alarms(run_stack):
    def drop(document):
        del document["config"]["z360-ecs:costBreaker"]["burnRate"]
    assert _burn_alarms(run_stack("beta", drop)) == {}


def test_service_with_scaling_off_is_not_in_the_rate(run_stack):
    def queue_fixed(document):
        config = document["config"]
        config["z360-ecs:services"]["queue"]["scaling"] = {"enabled": False}
        del config["z360-ecs:costBreaker"]["emergencyCeilings"]["queue"]
    trip = _burn_alarms(run_stack("beta", queue_fixed))["z360-beta-burn-rate-trip"]
    services = [q["metric"]["dimensions"]["ServiceName"] for q in trip["metricQueries"]
                if "metric" in q]
    assert "z360-beta-queue" not in services and len(services) == 5


def _grown(total: int):
    """Beta with extra copies of web until it has `total` auto-scaled services."""
    def mutate(document):
        services = document["config"]["z360-ecs:services"]
        web = services["web"]
        for i in range(total - len(services)):
            extra = copy.deepcopy(web)
            extra.pop("importIds", None)
            extra.pop("alarms", None)
            extra.pop("waf", None)  # one web ACL per load balancer: the copies share web's
            extra.pop("deploymentAlarms", None)  # they read waf.loadBalancerArn
            extra["family"] = extra["namePrefix"] = f"z360-beta-extra{i}"
            extra["serviceName"] = f"z360-beta-extra{i}"
            extra["scaling"]["max"] = 10
            services[f"extra{i}"] = extra
    return mutate


def _assert_breaker_accepts_exactly_the_trip_alarms(run, alarms) -> None:
    """The breaker trips only on alarms whose ARN is in BREAKER_TRIP_ALARM_ARNS
    (breaker/sources.py): the ARNs the program passes must be exactly the trip alarms it
    creates, or a trip is ignored."""
    variables = run.named("cost-breaker-function").inputs["environment"]["variables"]
    trips = sorted(f"arn:aws:cloudwatch:us-east-1:108782097218:alarm:{name}"
                   for name in alarms if "-trip" in name)
    assert json.loads(variables["BREAKER_TRIP_ALARM_ARNS"]) == trips


def test_beta_breaker_trips_on_its_burn_rate_alarm(run_stack):
    run = run_stack("beta")
    _assert_breaker_accepts_exactly_the_trip_alarms(run, _burn_alarms(run))


def test_ten_services_one_alarm_pair(run_stack):
    alarms = _burn_alarms(run_stack("beta", _grown(10)))
    assert sorted(alarms) == ["z360-beta-burn-rate-trip", "z360-beta-burn-rate-warn"]
    _check_limits(_put_metric_alarm(alarms["z360-beta-burn-rate-trip"]))
    assert len(alarms["z360-beta-burn-rate-trip"]["metricQueries"]) == 11


def test_eleven_services_split_into_two_alarm_pairs_that_pass_the_pack(run_stack):
    run = run_stack("beta", _grown(11))
    alarms = _burn_alarms(run)
    assert sorted(alarms) == [
        "z360-beta-burn-rate-trip-1", "z360-beta-burn-rate-trip-2",
        "z360-beta-burn-rate-warn-1", "z360-beta-burn-rate-warn-2"]
    counted = []
    for inputs in alarms.values():
        request = _put_metric_alarm(inputs)
        _check_limits(request)
        if "trip" in inputs["name"]:
            counted += [d["Value"] for m in request["Metrics"] if "MetricStat" in m
                        for d in m["MetricStat"]["Metric"]["Dimensions"]
                        if d["Name"] == "ServiceName"]
    assert len(counted) == len(set(counted)) == 11
    _assert_breaker_accepts_exactly_the_trip_alarms(run, alarms)
    shares = [alarms[f"z360-beta-burn-rate-trip-{i}"]["threshold"] for i in (1, 2)]
    assert sum(shares) == pytest.approx(5.0, abs=0.001)
    with PolicyPackProcess() as pack:
        findings = analyze_run(run, pack=pack)
    blocking = [f for f in findings if f.blocking and f.policy.startswith("burn-rate")]
    assert blocking == []


# --- dashboard ----------------------------------------------------------------------------------


def test_beta_dashboard_shows_dollars_per_hour_beside_the_budgets_rate(run_stack):
    run = run_stack("beta")
    (dashboard,) = run.by_type(DASHBOARD_TYPE)
    body = json.loads(dashboard.inputs["dashboardBody"])
    (widget,) = [w for w in body["widgets"] if "$ per hour" in w["properties"]["title"]]
    properties = widget["properties"]
    assert widget["width"] == 24 and widget["y"] == 6 * 6  # a last row, after six services
    expression, *metrics = properties["metrics"]
    assert expression[0]["expression"] == BETA_EXPRESSION
    assert [m[-1]["id"] for m in metrics] == [f"m{i}" for i in range(1, 7)]
    assert all(m[-1]["visible"] is False and m[:2] == ["ECS/ContainerInsights",
                                                       "RunningTaskCount"] for m in metrics)
    lines = {a["label"]: a["value"] for a in properties["annotations"]["horizontal"]}
    figures = burn_rate_figures(beta_config())
    assert figures is not None
    assert f"all at max ${figures.max_per_hour:.2f}/h" in lines
    assert f"budget's rate ${figures.budget_per_hour:.2f}/h (limit / 730 h)" in lines
    assert lines == {
        "budget's rate $3.42/h (limit / 730 h)": 3.4247,
        "warning $3.42/h": 3.42,
        "breaker trips $5.00/h": 5.0,
        "all at max $9.79/h": 9.7926,  # 9.79265 to 4 places, half to even
    }


def test_staging_dashboard_has_no_rate_widget(run_stack):
    (dashboard,) = run_stack("staging").by_type(DASHBOARD_TYPE)
    body = json.loads(dashboard.inputs["dashboardBody"])
    assert not [w for w in body["widgets"] if "$ per hour" in w["properties"].get("title", "")]
