"""The cost model: exact list-price figures, scenarios, the breaker's cap, baseline savings.

Expected figures are computed here by hand from the published us-east-1 prices (x86: $0.04048
per vCPU-hour, $0.004445 per GB-hour; ARM: $0.03238 and $0.00356), not taken from the module
under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policies.guardrails.facts.fargate import SPOT_DISCOUNT_RANGE, to_cents
from stack_model import pricing as costing
from stack_model.config import StackConfig
from tests.support.configs import beta_config
from tests.support.runs import stack_document
from z360_ecs.common import PROJECT_DIR, read_stack_config

HOURS = Decimal(730)


def x86_month(vcpu: str, gb: str) -> Decimal:
    """vcpu * 0.04048 * 730 + gb * 0.004445 * 730, the x86 list price written out."""
    return Decimal(vcpu) * Decimal("0.04048") * HOURS + Decimal(gb) * Decimal("0.004445") * HOURS


@pytest.fixture
def config_of(write_stack: Callable[[dict[str, Any]], Path]) -> Callable[..., StackConfig]:
    """Validated config of a stack file, after `mutate(document)` changes it."""

    def load(stack: str, mutate: Callable[[dict[str, Any]], None] | None = None) -> StackConfig:
        document = stack_document(stack)
        if mutate is not None:
            mutate(document)
        return read_stack_config(stack, write_stack(document))

    return load


def _services(document: dict[str, Any]) -> dict[str, Any]:
    return document["config"]["z360-ecs:services"]


def _resize(key: str, cpu: int, memory: int, architecture: str | None = None):
    def mutate(document: dict[str, Any]) -> None:
        service = _services(document)[key]
        service.update(cpu=cpu, memory=memory)
        if architecture:
            service["architecture"] = architecture

    return mutate


def _fixed_count(document: dict[str, Any], key: str, count: int) -> None:
    """Turn a service's scaling off, dropping what only fits a scaled service (scaling import
    ids, its cost breaker ceiling, its spike alarm, 20-second metrics nothing reads)."""
    service = _services(document)[key]
    service.setdefault("alarms", {})["taskCountSpike"] = None
    service.pop("metricResolution", None)
    breaker = document["config"].get("z360-ecs:costBreaker") or {}
    breaker.get("emergencyCeilings", {}).pop(key, None)
    service["scaling"] = {"enabled": False}
    service["desiredCount"] = count
    service.pop("importIds", None)


def _per_task(config: StackConfig, key: str) -> Decimal:
    return costing.service_cost(key, config.services[key]).per_task


def test_one_vcpu_two_gb_x86_costs_36_04_a_month(config_of):
    config = config_of("beta")  # beta web is 1024/2048 x86
    assert (config.services["web"].cpu, config.services["web"].memory) == (1024, 2048)
    assert to_cents(_per_task(config, "web")) == Decimal("36.04")


@pytest.mark.parametrize(
    ("cpu", "memory", "architecture", "expected"),
    [
        # 0.25 vCPU, 0.5 GB: 0.25*0.04048*730 + 0.5*0.004445*730 = 7.3876 + 1.622425
        (256, 512, "X86_64", Decimal("0.25") * Decimal("0.04048") * 730
         + Decimal("0.5") * Decimal("0.004445") * 730),
        # 2 vCPU, 5 GB: 2*0.04048*730 + 5*0.004445*730 = 59.1008 + 16.22425
        (2048, 5120, "X86_64", 2 * Decimal("0.04048") * 730 + 5 * Decimal("0.004445") * 730),
        # ARM, 1 vCPU, 2 GB: 1*0.03238*730 + 2*0.00356*730 = 23.6374 + 5.1976 = 28.835
        (1024, 2048, "ARM64", 1 * Decimal("0.03238") * 730 + 2 * Decimal("0.00356") * 730),
        # 4 vCPU, 8 GB x86: 4*0.04048*730 + 8*0.004445*730 = 118.2016 + 25.9588
        (4096, 8192, "X86_64", 4 * Decimal("0.04048") * 730 + 8 * Decimal("0.004445") * 730),
    ],
)
def test_monthly_task_cost_matches_the_list_price_formula(config_of, cpu, memory, architecture,
                                                          expected):
    config = config_of("beta", _resize("web", cpu, memory, architecture))
    per_task = _per_task(config, "web")
    assert per_task == expected, "exact, before any rounding"
    assert to_cents(per_task) == to_cents(expected)


def test_arm_half_cent_rounds_up_when_printed(config_of):
    config = config_of("beta", _resize("web", 1024, 2048, "ARM64"))
    assert _per_task(config, "web") == Decimal("28.835")
    assert costing.money(_per_task(config, "web")) == "$28.84"


def test_beta_worst_case_is_every_service_at_its_max(config_of):
    config = config_of("beta")
    costs = costing.stack_costs(config)
    # max x per-task, from the beta stack file: web 50 x 1/2, queue 20 x 0.25/0.5,
    # reverb 20 x 0.25/0.5, gateway 50 x 0.5/1, aegra 30 x 0.25/1, voice 50 x 2/5.
    expected = (
        50 * x86_month("1", "2") + 20 * x86_month("0.25", "0.5") + 20 * x86_month("0.25", "0.5")
        + 50 * x86_month("0.5", "1") + 30 * x86_month("0.25", "1") + 50 * x86_month("2", "5")
    )
    assert costing.worst_case(costs) == expected
    assert costing.money(costing.worst_case(costs)) == "$7,148.63"
    assert costing.ratio(costing.worst_case(costs), Decimal(2500)) == Decimal("2.8595")


def test_scenarios_multiply_one_task_per_service(config_of):
    config = config_of("staging")
    costs = costing.stack_costs(config)
    one_each = (
        x86_month("0.5", "1") + x86_month("0.25", "0.5") + x86_month("0.25", "0.5")
        + x86_month("0.5", "1") + x86_month("0.5", "1") + x86_month("1", "4")
    )
    # Staging runs 60 of 168 hours a week (serviceDefaults.schedule): priced at its hours on,
    # a share with no exact decimal, so compared to the cent as every figure is shown.
    hours_on = Decimal(60) / Decimal(168)
    assert to_cents(costing.scenario_cost(costs, 1)) == to_cents(one_each * hours_on)
    assert to_cents(costing.scenario_cost(costs, 5)) == to_cents(5 * one_each * hours_on)


def test_baseline_count_is_desired_count_without_scaling_and_the_floor_with_it(config_of):
    def mutate(document: dict[str, Any]) -> None:
        services = _services(document)
        _fixed_count(document, "web", 3)
        services["queue"]["desiredCount"] = 4  # scaling owns the count: min 1 applies
        services["voice"]["scaling"]["holdAt"] = 7

    config = config_of("beta", mutate)
    by_key = {cost.key: cost for cost in costing.stack_costs(config)}
    assert by_key["web"].baseline_count == 3
    assert by_key["queue"].baseline_count == 1
    assert by_key["voice"].baseline_count == 7
    assert by_key["voice"].at_max == 7 * by_key["voice"].per_task


def test_breaker_ceilings_respect_min_and_max(config_of):
    def mutate(document: dict[str, Any]) -> None:
        services = _services(document)
        services["aegra"]["scaling"]["min"] = 3
        document["config"]["z360-ecs:costBreaker"] = {
            "enabled": True,
            "thresholdPercent": 100,
            "emergencyCeilings": {"web": 5, "aegra": 1, "voice": 50},
            "defaultEmergencyCeiling": 2,
        }

    config = config_of("beta", mutate)
    ceilings = costing.breaker_ceilings(config)
    # aegra's ceiling 1 is below its min 3 (a ceiling above max is refused by the config).
    assert ceilings == {"web": 5, "queue": 2, "reverb": 2, "gateway": 2, "aegra": 3, "voice": 50}
    costs = costing.stack_costs(config)
    expected = (
        5 * x86_month("1", "2") + 2 * x86_month("0.25", "0.5") + 2 * x86_month("0.25", "0.5")
        + 2 * x86_month("0.5", "1") + 3 * x86_month("0.25", "1") + 50 * x86_month("2", "5")
    )
    assert costing.capped_worst_case(config, costs) == expected


def test_no_breaker_or_disabled_breaker_caps_nothing(config_of):
    assert costing.breaker_ceilings(config_of("staging")) is None

    def disabled(document: dict[str, Any]) -> None:
        document["config"]["z360-ecs:costBreaker"] = {"enabled": False}

    config = config_of("beta", disabled)
    assert costing.capped_worst_case(config, costing.stack_costs(config)) is None


def test_budget_limit_is_exact_and_absent_without_a_budget(config_of):
    assert costing.budget_limit(config_of("beta")) == Decimal("2500")
    assert costing.budget_limit(config_of("staging")) is None


def test_spot_is_a_range_from_seventy_percent_off_to_list_price():
    low, high = costing.spot_range(Decimal("100"))
    assert SPOT_DISCOUNT_RANGE == (Decimal("0"), Decimal("0.70"))
    assert (low, high) == (Decimal("30"), Decimal("100"))


def test_savings_plan_is_a_range_between_its_named_bounds():
    low, high = costing.savings_plan_range(Decimal("100"))
    assert costing.COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE == (Decimal("0.17"), Decimal("0.52"))
    assert (low, high) == (Decimal("48"), Decimal("83"))


def test_compare_matches_services_by_key_at_each_side_baseline_count(config_of):
    def before(document: dict[str, Any]) -> None:
        services = _services(document)
        services["web"].update(cpu=2048, memory=4096)
        _fixed_count(document, "web", 2)

    def after(document: dict[str, Any]) -> None:
        services = _services(document)
        del services["reverb"]
        del document["config"]["z360-ecs:costBreaker"]["emergencyCeilings"]["reverb"]
        services["extra"] = dict(services["queue"], family="z360-beta-extra",
                                 serviceName="z360-beta-extra", namePrefix="z360-beta-extra")

    changes = {c.key: c for c in costing.compare(config_of("beta", before),
                                                 config_of("beta", after))}
    web = changes["web"]
    assert web.resized
    assert web.saving_per_task == x86_month("2", "4") - x86_month("1", "2")
    # 2 tasks of 2 vCPU/4 GB before, 1 task of 1 vCPU/2 GB after.
    assert web.saving_at_baseline == 2 * x86_month("2", "4") - x86_month("1", "2")
    assert not changes["gateway"].resized and changes["gateway"].saving_at_baseline == 0
    assert changes["reverb"].after is None  # removed: saves all it cost
    assert changes["reverb"].saving_at_baseline == x86_month("0.25", "0.5")
    assert changes["extra"].before is None  # new: costs what it adds
    assert changes["extra"].saving_at_baseline == -x86_month("0.25", "0.5")
    assert changes["extra"].saving_per_task is None


def test_shipped_baselines_reproduce_the_right_sizing_by_list_price(config_of):
    beta = costing.compare(read_stack_config("beta", PROJECT_DIR / "baselines/beta.yaml"),
                           config_of("beta"))
    by_key = {c.key: c for c in beta}
    # voice 4/8 -> 2/5; the ops log's ~$102 was the staging figure.
    assert by_key["voice"].saving_per_task == x86_month("4", "8") - x86_month("2", "5")
    assert to_cents(by_key["voice"].saving_per_task) == Decimal("68.84")
    assert [by_key[k].max_before for k in ("web", "queue", "reverb", "gateway", "aegra", "voice")] \
        == [3, 2, 2, 3, 3, 3]
    staging = costing.compare(
        read_stack_config("staging", PROJECT_DIR / "baselines/staging.yaml"),
        config_of("staging"),
    )
    voice = {c.key: c for c in staging}["voice"]
    assert to_cents(voice.saving_per_task) == to_cents(x86_month("4", "8") - x86_month("1", "4"))


def test_money_formats_cents_with_thousands_and_sign():
    assert costing.money(Decimal("7148.627")) == "$7,148.63"
    assert costing.money(Decimal("-9.005")) == "-$9.01"
    assert costing.money_json(Decimal("1802.005")) == "1802.01"


def test_web_acl_fees_per_service_and_per_request():
    # AWS WAF pricing: $5 per web ACL and $1 per rule a month, $0.60 per million requests.
    acls = costing.web_acl_costs(read_stack_config("beta"))
    assert [(a.key, a.monthly) for a in acls] == [("web", Decimal(9)), ("gateway", Decimal(9))]
    assert costing.waf_request_cost(Decimal(1_000_000)) == Decimal("0.60")
    assert costing.web_acl_costs(read_stack_config("staging")) == []
    assert costing.waf_lines(read_stack_config("staging")) == []



# --- hourly figures and the per-service summary ---------------------------------------------


def x86_hour(vcpu: str, gb: str) -> Decimal:
    """vcpu * 0.04048 + gb * 0.004445: one x86 task for an hour at list price."""
    return Decimal(vcpu) * Decimal("0.04048") + Decimal(gb) * Decimal("0.004445")


def test_a_service_costs_its_task_hour_times_its_count_an_hour_and_730_times_that_a_month(
        config_of):
    def mutate(document: dict[str, Any]) -> None:
        _services(document)["voice"]["scaling"]["min"] = 2

    voice = costing.service_cost("voice", config_of("beta", mutate).services["voice"])
    assert voice.per_task_hour == x86_hour("2", "5") == Decimal("0.103185")
    assert voice.per_task == x86_month("2", "5")
    assert (voice.hourly_at_baseline, voice.hourly_at_min, voice.hourly_at_max) == (
        2 * x86_hour("2", "5"), 2 * x86_hour("2", "5"), 50 * x86_hour("2", "5"))
    assert (voice.at_baseline, voice.at_min, voice.at_max) == tuple(
        h * HOURS for h in (voice.hourly_at_baseline, voice.hourly_at_min, voice.hourly_at_max))


def test_summary_figures_are_a_month_to_the_cent_per_task_at_baseline_and_at_max(config_of):
    web = costing.service_cost("web", config_of("beta").services["web"])  # 1024/2048, 1..50
    assert costing.summary_figures(web) == {
        "monthlyTaskCost": "36.04",  # 0.04937 x 730 = 36.0401
        "monthlyCostAtBaseline": "36.04",
        "monthlyCostAtMax": "1802.01",  # 50 x 36.0401 = 1802.005, half up
    }


# --- the burn rate: the ops log's figures for beta --------------------------------------------

# The rates Pulumi.beta.yaml's costBreaker comment gives (from the ops log's prices): each is
# read from the comment, so a figure changed there without the code (or here) fails this file.
OPS_LOG_RATES = {
    "baseline": (r"baseline \(every service at min 1\) \$(\d+\.\d\d)/h", "0.22"),
    "high traffic": (r"\"high traffic\" \(5 tasks each\) \$(\d+\.\d\d)/h", "1.08"),
    "ceilings": (r"the breaker's ceilings \$(\d+\.\d\d)/h", "1.96"),
    "budget": (r"the budget's pace 2500 / 730 h = \$(\d+\.\d\d)/h", "3.42"),
    "max": (r"every service at max \$(\d+\.\d\d)/h", "9.79"),
}


def _ops_log_rate(name: str) -> Decimal:
    """A rate from the comment above beta's `burnRate:`, its lines joined."""
    text = (PROJECT_DIR / "Pulumi.beta.yaml").read_text()
    comment = " ".join(line.strip().lstrip("#").strip() for line in text.splitlines()
                       if line.strip().startswith("#"))
    pattern, expected = OPS_LOG_RATES[name]
    found = re.search(pattern, comment)
    assert found is not None, f"Pulumi.beta.yaml no longer states the {name} rate"
    assert found[1] == expected, f"Pulumi.beta.yaml's {name} rate is now ${found[1]}/h"
    return Decimal(found[1])


def test_beta_burn_rate_figures_are_the_ops_logs_rates(config_of):
    figures = costing.burn_rate_figures(config_of("beta"))
    assert figures is not None
    assert to_cents(figures.baseline_per_hour) == _ops_log_rate("baseline")
    assert to_cents(figures.ceilings_per_hour) == _ops_log_rate("ceilings")
    assert to_cents(figures.budget_per_hour) == _ops_log_rate("budget")
    assert to_cents(figures.max_per_hour) == _ops_log_rate("max")
    high_traffic = costing.scenario_cost(costing.stack_costs(config_of("beta")), 5) / HOURS
    assert to_cents(high_traffic) == _ops_log_rate("high traffic")


def test_beta_burn_rate_figures_exactly(config_of):
    # Per task-hour: web 1/2, queue and reverb 0.25/0.5, gateway 0.5/1, aegra 0.25/1, voice 2/5.
    web, small, gateway, aegra, voice = (x86_hour("1", "2"), x86_hour("0.25", "0.5"),
                                         x86_hour("0.5", "1"), x86_hour("0.25", "1"),
                                         x86_hour("2", "5"))
    figures = costing.burn_rate_figures(config_of("beta"))
    assert figures is not None
    assert figures.prices == {"web": web, "queue": small, "reverb": small, "gateway": gateway,
                              "aegra": aegra, "voice": voice}
    assert figures.baseline_per_hour == web + 2 * small + gateway + aegra + voice
    # emergencyCeilings {web: 10, gateway: 10, voice: 10, aegra: 6, queue: 4, reverb: 4}
    assert figures.ceilings_per_hour == 10 * web + 8 * small + 10 * gateway + 6 * aegra \
        + 10 * voice == Decimal("1.95853")
    # maxima: web 50, queue 20, reverb 20, gateway 50, aegra 30, voice 50
    assert figures.max_per_hour == 50 * web + 40 * small + 50 * gateway + 30 * aegra \
        + 50 * voice == Decimal("9.79265")
    assert figures.budget_per_hour == Decimal(2500) / HOURS
    assert (figures.warn_per_hour, figures.trip_per_hour) == (Decimal("3.42"), Decimal("5.00"))


def test_a_fixed_count_service_is_not_in_the_rate_nor_at_a_ceiling(config_of):
    config = config_of("beta", lambda document: _fixed_count(document, "voice", 3))
    figures = costing.burn_rate_figures(config)
    assert figures is not None
    assert [s.key for s in figures.services] == ["web", "queue", "reverb", "gateway", "aegra"]
    assert figures.max_per_hour == Decimal("9.79265") - 50 * x86_hour("2", "5")
    assert figures.ceilings_per_hour == Decimal("1.95853") - 10 * x86_hour("2", "5")


def test_without_a_scaled_service_there_is_no_burn_rate(config_of):
    assert costing.priced_services(config_of("staging")) == []
    assert costing.burn_rate_figures(config_of("staging")) is None


def test_a_disabled_breaker_draws_no_thresholds_and_no_ceilings(config_of):
    def disabled(document: dict[str, Any]) -> None:
        document["config"]["z360-ecs:costBreaker"]["enabled"] = False
        # The config refuses a burnRate a disabled breaker would never create.
        del document["config"]["z360-ecs:costBreaker"]["burnRate"]

    figures = costing.burn_rate_figures(config_of("beta", disabled))
    assert figures is not None
    assert (figures.warn_per_hour, figures.trip_per_hour, figures.ceilings_per_hour) == (
        None, None, None)
    assert to_cents(figures.max_per_hour) == Decimal("9.79")  # the rate itself stays


# --- Fargate Spot: tasks split by strategy, the Spot share a range ---------------------------


def test_staging_baseline_puts_every_task_but_voices_on_spot(config_of):
    """Staging: voice (1 vCPU / 4 GB) on demand, the five others on Spot at 0-70 % off, every
    task at its working hours (60 of 168 hours a week)."""
    costs = costing.stack_costs(config_of("staging"))
    split = costing.baseline_split(costs)
    voice = next(c for c in costs if c.key == "voice").per_task_on
    assert costing.money(voice) == costing.money(x86_month("1", "4") * 60 / 168)
    assert (split.on_demand_tasks, split.spot_tasks) == (1, 5)
    assert split.on_demand == voice
    low_discount, high_discount = SPOT_DISCOUNT_RANGE
    spot = split.spot_at_list
    assert split.monthly_range == (voice + spot * (1 - high_discount),
                                   voice + spot * (1 - low_discount))
    assert costing.money(split.at_list) == "$40.93"
    assert costing.money(split.monthly_range[0]) == "$22.91"


def test_beta_worst_case_splits_each_max_by_its_strategy(config_of):
    """web (launch type) and voice all on demand; gateway 50: 26 + 24; aegra 30: 16 + 14;
    queue and reverb 20: 1 + 19 (spotFrom 2)."""
    config = config_of("beta")
    costs = {c.key: c for c in costing.stack_costs(config)}
    expected = {"web": 0, "voice": 0, "gateway": 24, "aegra": 14, "queue": 19, "reverb": 19}
    for key, spot in expected.items():
        cost = costs[key]
        split = costing.split_at(cost, cost.service.effective_max)
        assert split.spot_tasks == spot, key
        assert split.on_demand == cost.per_task * (cost.service.effective_max - spot), key
    worst = costing.worst_case_split(costs.values())
    assert worst.at_list == costing.worst_case(costs.values())
    assert worst.spot_tasks == sum(expected.values())


def test_the_savings_plan_commitment_is_the_on_demand_floor_after_its_discount(config_of):
    """Beta's baseline runs every minimum on demand around the clock: six tasks."""
    costs = costing.stack_costs(config_of("beta"))
    floor = costing.on_demand_floor_hourly(costs)
    assert floor * costing.hours_per_month() == costing.total(c.per_task for c in costs)
    line = costing.savings_plan_line(costs)
    assert costing.money_hourly(floor * (1 - Decimal("0.17"))) in line
    assert "(not Spot)" in line


def test_a_service_asleep_out_of_hours_adds_nothing_to_the_savings_plan_floor(config_of):
    """A commitment is spent every hour: staging's voice, on demand but asleep 108 of 168
    hours a week, would leave it unused most of the week."""
    costs = costing.stack_costs(config_of("staging"))
    assert costing.on_demand_floor_hourly(costs) == 0
    assert "no commitment would always be used" in costing.savings_plan_line(costs)


def test_a_strategy_is_labelled_as_written(config_of):
    config = config_of("beta")
    labels = {k: costing.strategy_label(s) for k, s in config.services.items()}
    assert labels == {"web": "launchType FARGATE", "queue": "FARGATE_SPOT from task 2",
                      "reverb": "FARGATE_SPOT from task 2",
                      "gateway": "FARGATE b1 w1, FARGATE_SPOT w1",
                      "aegra": "FARGATE b1 w1, FARGATE_SPOT w1", "voice": "FARGATE"}


def test_signal_costs_of_beta_are_the_new_alarms_only():
    costs = {c.key: c.monthly for c in costing.stack_signal_costs(beta_config())}
    # web: 2 deployment alarms; queue: its backlog policy's alarms read two metrics instead of
    # CPU's one; gateway: a requests policy's 2 alarms and 2 deployment alarms (at $0.10).
    assert costs == {"web": Decimal("0.20"), "queue": Decimal("0.20"),
                     "gateway": Decimal("0.40")}


def test_a_redis_queue_pays_for_its_published_depth():
    def redis(document):
        queue = document["z360-ecs:services"]["queue"]["scaling"]["queueBacklog"]
        queue["connection"] = "redis"

    queue = beta_config(redis).services["queue"]
    # $0.30 a metric-month + 43,800 PutMetricData requests at $0.01 per 1,000 ($0.438).
    assert costing.signal_costs("queue", queue).monthly == Decimal("0.20") + Decimal("0.30") + \
        Decimal("0.438")
