"""facts/cloudwatch.py: metric types, names and resolutions against botocore's models; the
predefined type for each metric and resolution; alarm prices by period."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.loaders import Loader

from policies.guardrails.facts.cloudwatch import (
    CPU_METRIC_NAME,
    CUSTOM_METRIC_EQUIVALENT,
    HIGH_RESOLUTION,
    MEMORY_METRIC_NAME,
    METRIC_TYPES,
    PRICE_HIGH_RESOLUTION_ALARM_MONTH,
    PRICE_STANDARD_ALARM_MONTH,
    STANDARD_RESOLUTION,
    alarm_price,
    high_resolution_extra,
    metric_type,
)


def test_high_resolution_metric_types_are_in_botocores_model():
    """The metric type names the program and pack use exist in the installed
    application-autoscaling model (MetricType enum)."""
    model = Loader().load_service_model("application-autoscaling", "service-2")
    allowed = set(model["shapes"]["MetricType"]["enum"])
    assert set(METRIC_TYPES) <= allowed


def test_ecs_monitoring_shape_matches_botocores_model():
    model = Loader().load_service_model("ecs", "service-2")
    shape = model["shapes"]["MetricResolutionSeconds"]
    assert (shape["min"], shape["max"]) == (20, 60)
    assert "monitoring" in model["shapes"]["CreateServiceRequest"]["members"]
    assert "monitoring" in model["shapes"]["UpdateServiceRequest"]["members"]


def test_ecs_monitoring_names_exactly_the_service_metrics():
    model = Loader().load_service_model("ecs", "service-2")
    documentation = model["shapes"]["MetricConfiguration"]["members"]["metricNames"].get(
        "documentation", "") + model["shapes"]["MetricConfiguration"].get("documentation", "")
    for name in (CPU_METRIC_NAME, MEMORY_METRIC_NAME):
        assert name in documentation


@pytest.mark.parametrize("metric, resolution, expected", [
    (CPU_METRIC_NAME, STANDARD_RESOLUTION, "ECSServiceAverageCPUUtilization"),
    (MEMORY_METRIC_NAME, HIGH_RESOLUTION, "ECSServiceAverageMemoryUtilizationHighResolution"),
])
def test_each_metric_and_resolution_has_its_predefined_type(metric, resolution, expected):
    assert metric_type(metric, resolution) == expected


def test_a_metric_with_no_predefined_type_is_refused():
    with pytest.raises(ValueError, match="RunningTaskCount at 60 s"):
        metric_type("RunningTaskCount", STANDARD_RESOLUTION)


def test_a_customized_metric_maps_to_the_standard_resolution_type():
    assert {METRIC_TYPES[t][1] for t in CUSTOM_METRIC_EQUIVALENT.values()} == {STANDARD_RESOLUTION}


def test_a_sub_minute_alarm_costs_the_high_resolution_price():
    assert alarm_price(20) == PRICE_HIGH_RESOLUTION_ALARM_MONTH == Decimal("0.30")
    assert alarm_price(60) == PRICE_STANDARD_ALARM_MONTH == Decimal("0.10")
    # Two metrics at 20 s and two alarms moved to 20 s: 2 x 0.30 + 2 x (0.30 - 0.10).
    assert high_resolution_extra(2, 2) == Decimal("1.00")


def test_alb_dimensions_and_resource_label_are_cut_from_the_arns():
    from policies.guardrails.facts.cloudwatch import (
        load_balancer_dimension,
        request_count_resource_label,
        target_group_dimension,
    )
    balancer = "arn:aws:elasticloadbalancing:us-east-1:108782097218:loadbalancer/app/z360/50dc6c49"
    group = "arn:aws:elasticloadbalancing:us-east-1:108782097218:targetgroup/z360-web/6d0ecf83"
    assert load_balancer_dimension(balancer) == "app/z360/50dc6c49"
    assert target_group_dimension(group) == "targetgroup/z360-web/6d0ecf83"
    assert request_count_resource_label(balancer, group) == \
        "app/z360/50dc6c49/targetgroup/z360-web/6d0ecf83"
    # A network load balancer has no ALB request metrics; the roles swapped are no pair.
    assert load_balancer_dimension(balancer.replace("/app/", "/net/")) is None
    assert request_count_resource_label(group, balancer) is None


def test_a_published_metric_costs_its_metric_month_and_its_requests():
    from decimal import Decimal

    from policies.guardrails.facts.cloudwatch import published_metric_month
    # 730 h x 60 calls = 43,800 requests at $0.01 per 1,000.
    assert published_metric_month(60) == Decimal("0.30") + Decimal("0.438")
    assert published_metric_month(60, publishers=2) == Decimal("0.30") + Decimal("0.876")
