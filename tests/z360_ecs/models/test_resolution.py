"""What a metric resolution buys and costs: 20 s metrics scale sooner than 60 s under the same
step, and only a 20 s service adds to the CloudWatch bill, by the one price table."""

from __future__ import annotations

from decimal import Decimal

from policies.guardrails.facts.cloudwatch import (
    PRICE_CUSTOM_METRIC_MONTH,
    PRICE_HIGH_RESOLUTION_ALARM_MONTH,
    PRICE_STANDARD_ALARM_MONTH,
)
from tests.support.configs import beta_config
from z360_ecs.models.resolution import cloudwatch_extra, stack_cloudwatch_extra, time_to_scale


def test_twenty_second_metrics_trigger_and_add_capacity_sooner_than_sixty():
    web = beta_config().services["web"]
    fast, slow = time_to_scale("web", web, 20), time_to_scale("web", web, 60)
    assert fast.trigger_s is not None and slow.trigger_s is not None
    assert fast.trigger_s < slow.trigger_s
    assert fast.capacity_s is not None and slow.capacity_s is not None
    assert fast.capacity_s < slow.capacity_s


def test_a_twenty_second_scaled_service_pays_for_two_metrics_and_four_tracking_alarms():
    config = beta_config()
    web = config.services["web"]
    assert web.metric_resolution == 20 and web.scaling.enabled
    extra = cloudwatch_extra("web", web)
    own_sub_minute = (sum(1 for t in (web.alarms.cpu_high, web.alarms.memory_high) if t is not None)
                      if web.alarms.period < 60 else 0)
    assert (extra.metrics, extra.alarms) == (2, 4 + own_sub_minute)
    step = PRICE_HIGH_RESOLUTION_ALARM_MONTH - PRICE_STANDARD_ALARM_MONTH
    assert extra.monthly == PRICE_CUSTOM_METRIC_MONTH * 2 + step * extra.alarms


def test_a_sixty_second_look_alike_adds_nothing_and_is_not_listed():
    config = beta_config()
    web = config.services["web"]
    standard = web.model_copy(update={"metric_resolution": 60})
    assert cloudwatch_extra("web", standard).monthly == Decimal(0)
    listed = {extra.key for extra in stack_cloudwatch_extra(config)}
    assert "web" in listed
    assert listed == {k for k, s in config.services.items() if s.metric_resolution == 20}
