"""Burn-rate rules (policies/guardrails/burn_rate.py) at the pack's three levels: the validator
on its own, the SDK's real AnalyzeStack path (property proxy, unknowns), and the pack as its own
process on the real beta stack, mutated through its stack file. Each policy has compliant,
non-compliant and not-applicable cases (`policy_case` marks, tests/policies/conftest.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pulumi.runtime.rpc import UNKNOWN

from policies.guardrails import burn_rate
from policies.guardrails._kit import NotApplicable
from policies.guardrails.facts.types import TOPIC_TYPE
from tests.support.pack_runs import levels, run_stack_file, with_props
from tests.support.policy_estate import CLUSTER
from tests.support.policy_estate import estate as base_estate
from tests.support.policy_resources import ALERTS_ARN, BREAKER, BREAKER_ARN
from tests.support.policy_resources import BURN_RATE_SERVICES as SERVICES
from tests.support.policy_resources import TASK_HOUR as PRICE
from tests.support.policy_resources import burn_rate_alarm as alarm
from tests.support.policy_sdk import changed, sdk_analyze_stack
from tests.support.runs import unmodified_run
from z360_ecs.engine.analyzer import analyze_run

ALL = burn_rate.STACK_POLICIES
RULES = ("burn-rate-trip-wired", "burn-rate-trip-in-range", "burn-rate-warn-in-range")
BASELINE = PRICE * 2          # $0.09874/h
MAXIMUM = PRICE * 70          # $3.4559/h


def _rid(service):
    return f"service/{CLUSTER}/z360-beta-{service}"


def estate(*alarms, breaker=True, services=SERVICES):
    """The shared compliant estate (tests/support/policy_estate.py) with these services, the
    breaker's tagged topic, and the given burn-rate alarms (default: warn + trip)."""
    resources = base_estate(services=tuple((key, low, high, None) for key, low, high in services))
    if breaker:
        resources.append((TOPIC_TYPE, "cost-breaker-topic", {
            "name": BREAKER, "tags": {"z360:cost-breaker": "topic"}}))
    if not alarms:
        alarms = (alarm("warn", 1.0, actions=(ALERTS_ARN,)), alarm("trip", 1.5))
    return resources + list(alarms)


def _messages(outcome, policy):
    return outcome.messages(policy)


# --- validator level: the check function with a recording report ---------------------------


class _Args:
    def __init__(self, resources):
        from pulumi_policy import PolicyResource
        self.resources = [
            PolicyResource(resource_type=t, props=p, urn=f"urn:{n}", name=n, opts=None,
                           provider=None, parent=None, dependencies=[], property_dependencies={})
            for t, n, p in resources]


def _validate(check, resources):
    found = []
    check(_Args(resources), lambda message, urn: found.append((message, urn)))
    return found


def test_validator_compliant_estate_has_nothing_to_report():
    for check in (burn_rate.check_burn_rate_trip_wired, burn_rate.check_burn_rate_trip_in_range,
                  burn_rate.check_burn_rate_warn_in_range):
        assert _validate(check, estate()) == []


def test_validator_trip_under_baseline_trips_at_once():
    found = _validate(burn_rate.check_burn_rate_trip_in_range, estate(alarm("trip", 0.05)))
    (message, urn), = found
    assert "trips the breaker at once" in message and urn == "urn:burn-rate-trip"
    assert f"baseline ${BASELINE:.2f}/h" in message and f"${MAXIMUM:.2f}/h" in message


def test_validator_not_applicable_without_a_breaker():
    with pytest.raises(NotApplicable, match="no cost breaker"):
        _validate(burn_rate.check_burn_rate_trip_wired, estate(breaker=False))


# --- SDK level: AnalyzeStack through the real proxy ----------------------------------------


@pytest.mark.policy_case("compliant", *RULES)
def test_sdk_compliant_estate_passes():
    outcome = sdk_analyze_stack(ALL, estate())
    assert outcome.violations == []
    assert outcome.not_applicable == set()


@pytest.mark.policy_case("non-compliant", "burn-rate-trip-in-range")
@pytest.mark.parametrize("threshold, words", [
    (float(BASELINE), "trips the breaker at once"),     # equal to baseline: always above
    (0.01, "trips the breaker at once"),
    (float(MAXIMUM), "never fire"),                     # equal to the max: never above
    (9.79, "never fire"),
])
def test_sdk_trip_threshold_out_of_range_is_mandatory(threshold, words):
    outcome = sdk_analyze_stack(ALL, estate(alarm("warn", 0.5, actions=(ALERTS_ARN,)),
                                            alarm("trip", threshold)))
    assert outcome.levels("burn-rate-trip-in-range") == {"mandatory"}
    (message,) = _messages(outcome, "burn-rate-trip-in-range")
    assert words in message and "costBreaker.burnRate.tripPerHour" in message


def test_sdk_trip_threshold_just_inside_the_range_passes():
    for threshold in (float(BASELINE) + 0.001, float(MAXIMUM) - 0.001):
        outcome = sdk_analyze_stack(ALL, estate(alarm("warn", 0.5, actions=(ALERTS_ARN,)),
                                                alarm("trip", threshold)))
        assert _messages(outcome, "burn-rate-trip-in-range") == []


@pytest.mark.policy_case("non-compliant", "burn-rate-warn-in-range")
def test_sdk_warning_out_of_range_is_advisory():
    outcome = sdk_analyze_stack(ALL, estate(alarm("warn", 0.01, actions=(ALERTS_ARN,)),
                                            alarm("trip", 1.5)))
    assert outcome.levels("burn-rate-warn-in-range") == {"advisory"}
    assert "warnPerHour" in _messages(outcome, "burn-rate-warn-in-range")[0]
    assert _messages(outcome, "burn-rate-trip-in-range") == []


def test_sdk_stale_price_is_reported():
    stale = alarm("trip", 1.5, prices=[Decimal("0.04"), PRICE])
    outcome = sdk_analyze_stack(ALL, estate(stale))
    (message,) = _messages(outcome, "burn-rate-trip-in-range")
    assert "m1 (z360-beta-web) is priced $0.04/task-hour" in message
    assert "0.04937" in message


def test_sdk_unparseable_expression_is_reported():
    outcome = sdk_analyze_stack(ALL, estate(alarm("trip", 1.5, expression="SUM(METRICS())")))
    (message,) = _messages(outcome, "burn-rate-trip-in-range")
    assert "not the priced sum" in message


@pytest.mark.policy_case("non-compliant", "burn-rate-trip-wired")
def test_sdk_breaker_without_trip_alarm_is_mandatory():
    outcome = sdk_analyze_stack(ALL, estate(alarm("warn", 1.0, actions=(ALERTS_ARN,))))
    assert outcome.levels("burn-rate-trip-wired") == {"mandatory"}
    assert BREAKER in _messages(outcome, "burn-rate-trip-wired")[0]


def test_sdk_trip_alarm_to_the_wrong_topic_is_mandatory():
    outcome = sdk_analyze_stack(ALL, estate(alarm("trip", 1.5, actions=(ALERTS_ARN,))))
    assert outcome.levels("burn-rate-trip-wired") == {"mandatory"}


def test_sdk_uncounted_scaled_service_is_reported():
    resources = estate(alarm("trip", 0.5, services=SERVICES[:1]),
                       services=SERVICES)
    outcome = sdk_analyze_stack(ALL, resources)
    (message,) = _messages(outcome, "burn-rate-trip-wired")
    assert _rid("queue") in message and "never trips the breaker early" in message


def test_sdk_unknown_actions_during_preview_are_not_a_violation():
    outcome = sdk_analyze_stack(ALL, estate(alarm("trip", 1.5, actions=(UNKNOWN,))))
    assert _messages(outcome, "burn-rate-trip-wired") == []
    # One known action naming the breaker is enough, whatever the other is.
    outcome = sdk_analyze_stack(ALL, estate(alarm("trip", 1.5, actions=(BREAKER_ARN, UNKNOWN))))
    assert _messages(outcome, "burn-rate-trip-wired") == []


def test_sdk_unknown_service_name_skips_the_range():
    trip = alarm("trip", 0.01)
    trip[2]["metricQueries"][0]["metric"]["dimensions"]["ServiceName"] = UNKNOWN
    outcome = sdk_analyze_stack(ALL, estate(trip))
    assert _messages(outcome, "burn-rate-trip-in-range") == []


@pytest.mark.policy_case("not-applicable", *RULES)
def test_sdk_not_applicable_without_breaker_or_alarms():
    outcome = sdk_analyze_stack(ALL, [r for r in estate(breaker=False)
                                      if "burn-rate" not in r[1]])
    assert outcome.not_applicable == {p.name for p in ALL}
    assert outcome.violations == []


def test_sdk_split_alarms_each_checked_against_their_own_services():
    services = tuple((f"s{i}", 1, 10) for i in range(12))
    first, second = services[:10], services[10:]
    resources = estate(
        alarm("trip", float(PRICE * 10) + 0.1, services=first),
        alarm("trip", float(PRICE * 2) - 0.01, services=second),   # under its own baseline
        services=services)
    resources[-1] = (resources[-1][0], "burn-rate-trip-2",
                     changed(resources[-1][2], name="z360-beta-burn-rate-trip-2"))
    outcome = sdk_analyze_stack(ALL, resources)
    (message,) = _messages(outcome, "burn-rate-trip-in-range")
    assert message.startswith("z360-beta-burn-rate-trip-2:")
    assert _messages(outcome, "burn-rate-trip-wired") == []


# --- hostile shapes: numbers as strings, malformed queries (the pack's normalisation helpers) --


def test_sdk_threshold_as_a_string_is_judged_as_a_number():
    """The provider takes "0.01" for 0.01; the trip under the baseline is still blocked."""
    outcome = sdk_analyze_stack(ALL, estate(alarm("warn", "0.005", actions=(ALERTS_ARN,)),
                                            alarm("trip", "0.01")))
    assert outcome.levels("burn-rate-trip-in-range") == {"mandatory"}
    assert outcome.levels("burn-rate-warn-in-range") == {"advisory"}


def test_sdk_string_sizes_and_return_data_are_read_as_the_provider_takes_them():
    resources = [(t, n, changed(p, cpu="1024", memory="2048")) if t.endswith("TaskDefinition")
                 else (t, n, p) for t, n, p in estate(alarm("trip", 0.05))]
    trip = resources[-1][2]
    trip["metricQueries"][-1]["returnData"] = "true"
    outcome = sdk_analyze_stack(ALL, resources)
    (message,) = _messages(outcome, "burn-rate-trip-in-range")
    assert "trips the breaker at once" in message


@pytest.mark.parametrize("queries", ["m1", 42, [None, "m1", {"id": "m1", "metric": "x"}]])
def test_sdk_malformed_queries_are_reported_never_raised(queries):
    """A trip alarm whose metricQueries cannot be read has no priced sum: reported as such, and
    the other policies keep their findings."""
    broken = alarm("trip", 1.5)
    broken[2]["metricQueries"] = queries
    outcome = sdk_analyze_stack(ALL, estate(alarm("warn", 0.01, actions=(ALERTS_ARN,)), broken))
    assert "not the priced sum" in _messages(outcome, "burn-rate-trip-in-range")[0]
    assert outcome.levels("burn-rate-warn-in-range") == {"advisory"}
    assert not [m for _, _, m in outcome.violations if "failed on this resource" in m]


def test_validator_non_finite_threshold_reads_as_unset():
    found = _validate(burn_rate.check_burn_rate_trip_in_range,
                      estate(alarm("trip", float("nan"))))
    assert found == []  # the provider cannot send it; nothing to compare, nothing raised


# --- the pack as a process, on the real beta stack ---------------------------------------------


def _run(tmp_path_factory, mutate):
    return run_stack_file("beta", tmp_path_factory, mutate)


def _findings(findings, policy):
    return [f for f in findings if f.policy == policy and not f.unknown_during_preview]


def test_pack_on_beta_checks_the_burn_rate_and_finds_nothing(pack):
    findings = analyze_run(unmodified_run("beta"), pack=pack)
    for policy in ALL:
        assert _findings(findings, policy.name) == [], policy.name


def test_pack_on_beta_without_burn_rate_blocks(pack, tmp_path_factory):
    def drop(config):
        del config["z360-ecs:costBreaker"]["burnRate"]
    (finding,) = _findings(analyze_run(_run(tmp_path_factory, drop), pack=pack),
                           "burn-rate-trip-wired")
    assert finding.blocking and "z360-beta-cost-breaker" in finding.message


@pytest.mark.parametrize("trip, words", [(0.20, "at once"), (9.80, "never fire")])
def test_pack_on_beta_trip_outside_baseline_and_max_blocks(pack, tmp_path_factory, trip, words):
    def set_trip(config):
        burn = config["z360-ecs:costBreaker"]["burnRate"]
        burn["warnPerHour"] = min(burn["warnPerHour"], trip - 0.01)
        burn["tripPerHour"] = trip
    findings = analyze_run(_run(tmp_path_factory, set_trip), pack=pack)
    (finding,) = _findings(findings, "burn-rate-trip-in-range")
    assert finding.blocking and words in finding.message
    assert "baseline $0.22/h" in finding.message and "all at max $9.79/h" in finding.message


def test_a_malformed_burn_rate_warning_hides_no_trip_finding(pack):
    """The warning alarm's metricQueries are not a list; the trip under the baseline is still
    blocked, and no policy reports that it failed."""
    beta = unmodified_run("beta")
    run = with_props(with_props(beta, "burn-rate-warn", lambda p: p.update(metricQueries="m1")),
                     "burn-rate-trip", lambda p: p.update(threshold=0.05))
    findings = analyze_run(run, pack=pack)
    assert levels(findings, "burn-rate-trip-in-range", "burn-rate-trip") == {"mandatory"}
    assert not [f for f in findings if "failed on this resource" in f.message], findings


def test_a_trip_threshold_as_a_string_is_judged_not_failed(pack):
    beta = unmodified_run("beta")
    findings = analyze_run(with_props(beta, "burn-rate-trip", lambda p: p.update(threshold="0.05")),
                           pack=pack)
    assert levels(findings, "burn-rate-trip-in-range", "burn-rate-trip") == {"mandatory"}, findings
    assert not [f for f in findings if "failed on this resource" in f.message], findings
