"""Property-based fuzzing: malformed stack files are refused clearly; the pack never passes a
mutated violation.

Derandomized with fixed example counts, so CI sees the same examples on every run and the
suite stays within seconds; `bench/hostile_input.py` runs the same generators at scale and
prints counts per class.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hostile_input import (
    CROSS_FIELD,
    MUTATIONS,
    Mutation,
    classify,
    model_settings,
    place,
    run_cli,
)
from policies.guardrails.cloudwatch import RESOURCE_POLICIES as CLOUDWATCH_POLICIES
from policies.guardrails.facts.types import METRIC_ALARM_TYPE, ROLE_POLICY_TYPE, WEB_ACL_TYPE
from policies.guardrails.facts.wafv2 import RATE_LIMIT_MAX, RATE_LIMIT_MIN
from policies.guardrails.iam import RESOURCE_POLICIES as IAM_POLICIES
from policies.guardrails.wafv2 import RESOURCE_POLICIES as WAF_POLICIES
from stack_model.config import ConfigError
from stack_model.config.source import SourceError, read_config_json
from tests.support.configs import beta_config
from tests.support.policy_sdk import sdk_analyze
from z360_ecs.common import StackFileError, read_stack_config

FUZZ = settings(max_examples=25, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
# Whole stack files under tracemalloc cost ~0.2 s each: fewer of them keeps the file within
# a few seconds; bench/hostile_input.py runs thousands.
FUZZ_FILES = settings(FUZZ, max_examples=12)

# Bounds every malformed input must stay within (the largest valid input takes ~8 MiB). CPU
# time, not wall time, so a loaded machine does not fail it; it still catches the unbounded
# cases this guards against (300,000 environment variables took 67 s).
MAX_CPU_SECONDS = 20.0
MAX_PEAK_BYTES = 64 * 2**20


@FUZZ_FILES
@given(MUTATIONS)
def test_malformed_stack_files_are_refused_naming_the_key(tmp_path_factory, mutation: Mutation):
    path = place(mutation, tmp_path_factory.mktemp("fuzz") / "Pulumi.beta.yaml")
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises((StackFileError, ConfigError)) as refused:
            read_stack_config("beta", path)
    finally:
        seconds = time.process_time() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert all(p in str(refused.value) for p in mutation.paths), (mutation.kind, str(refused.value))
    assert seconds < MAX_CPU_SECONDS, (mutation.kind, seconds)
    assert peak < MAX_PEAK_BYTES, (mutation.kind, peak)


@FUZZ_FILES
@given(CROSS_FIELD)
def test_settings_wrong_only_together_are_refused_naming_every_key(tmp_path_factory, mutation):
    """Issue 22's families: a setting without effect, a metric nothing publishes, two settings
    giving one name, a region other than the stack's; the refusal names both sides."""
    path = tmp_path_factory.mktemp("cross") / "Pulumi.beta.yaml"
    path.write_bytes(mutation.text)
    with pytest.raises(ConfigError) as refused:
        read_stack_config("beta", path)
    for key in mutation.paths:
        assert key in str(refused.value), (mutation.kind, key, str(refused.value))


def test_the_setting_walk_reaches_every_scalar_setting_a_model_adds():
    """bench.hostile_input's effect generator walks the models, so a new setting is generated
    without a hand-written case: every scalar field of a service and its sections is reached."""
    found = model_settings(read_stack_config("staging"))
    web = {path[2:] for path, _ in found if path[:2] == ("services", "web")}
    for key in ("cpu", "metricResolution", "applyDesiredCount"):
        assert (key,) in web
    for section, key in (("scaling", "holdAt"), ("alarms", "period"), ("waf", "rateLimit"),
                         ("waf", "managedRules"), ("network", "assignPublicIp")):
        assert any(path[:2] == (section, key) for path in web), (section, key)


@settings(FUZZ, max_examples=5)
@given(MUTATIONS)
def test_the_cli_exits_2_with_one_error_line_and_no_traceback(tmp_path_factory, mutation):
    path = place(mutation, tmp_path_factory.mktemp("cli") / "Pulumi.beta.yaml")
    outcome = run_cli(path)
    assert classify(mutation, outcome) == "refused clearly", (mutation.kind, outcome)


# --- the program's carrier: the same rules on JSON ----------------------------------------------

_JSON_SCALARS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                          st.booleans(), st.none(), st.text(max_size=8))
_JSON = st.recursive(_JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


@FUZZ
@given(_JSON)
def test_config_values_from_the_cli_never_carry_non_finite_numbers(value):
    text = json.dumps(value)  # Python writes NaN/Infinity, as a careless producer would
    try:
        read = read_config_json(text, "services")
    except SourceError as exc:
        assert exc.path[:1] == ("services",)
        assert any(token in text for token in ("NaN", "Infinity")), text
        return
    assert "NaN" not in json.dumps(read) and "Infinity" not in json.dumps(read)


@FUZZ
@given(st.text(max_size=3).map(lambda k: f'{{"{json.dumps(k)[1:-1]}": 1, "{json.dumps(k)[1:-1]}": 2}}'))
def test_config_values_from_the_cli_refuse_duplicate_keys(text):
    with pytest.raises(SourceError, match="appears twice"):
        read_config_json(text, "services")


# --- the pack: a mutated violation never passes ---------------------------------------------------

_SERVICES = st.sampled_from(["s3", "iam", "ecs", "logs", "ssm", "kms", "*"])
_GLOB_NAMES = st.text(alphabet="GetPutList*?", min_size=0, max_size=6).filter(
    lambda name: "*" in name or "?" in name)


@st.composite
def _wildcard_policy(draw):
    action = f"{draw(_SERVICES)}:{draw(_GLOB_NAMES)}"
    if draw(st.booleans()):
        action = draw(st.sampled_from(["*", action]))
    actions = draw(st.sampled_from([action, [action], ["logs:PutLogEvents", action]]))
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    document = {"Version": "2012-10-17",
                "Statement": draw(st.sampled_from([statement, [statement]]))}
    return draw(st.sampled_from([json.dumps(document), document]))


@FUZZ
@given(_wildcard_policy())
def test_the_pack_never_passes_a_wildcard_action(policy):
    outcome = sdk_analyze(IAM_POLICIES, ROLE_POLICY_TYPE,
                          {"name": "web-execution", "role": "r", "policy": policy})
    messages = outcome.messages("iam-no-wildcard-actions")
    assert messages and not [m for m in messages if "failed on this resource" in m], policy


@st.composite
def _task_count_alarm_outside_insights(draw):
    namespace = draw(st.sampled_from(["AWS/ECS", "ECS/Insights", "", "ecs/containerinsights"]))
    dimensions = draw(st.sampled_from([
        {"ClusterName": "c", "ServiceName": "s"}, {"ClusterName": "c"}, [], "x", None]))
    metric = {"metricName": "RunningTaskCount", "namespace": namespace}
    if dimensions is not None:
        metric["dimensions"] = dimensions
    props = {"comparisonOperator": "GreaterThanThreshold",
             "threshold": draw(st.sampled_from([10, 10.0, "10"])),
             "evaluationPeriods": draw(st.sampled_from([1, "1"])), "alarmActions": ["arn"]}
    if draw(st.booleans()):
        props.update(metric, period=60, statistic="Maximum")
    else:
        props["metricQueries"] = [{"id": "m1", "returnData": True,
                                   "metric": {**metric, "period": 60, "stat": "Maximum"}}]
    return props


@FUZZ
@given(_task_count_alarm_outside_insights())
def test_the_pack_never_passes_a_task_count_alarm_outside_container_insights(props):
    outcome = sdk_analyze(CLOUDWATCH_POLICIES, METRIC_ALARM_TYPE, props)
    messages = outcome.messages("running-task-count-namespace")
    assert messages and not [m for m in messages if "failed on this resource" in m], props



# --- the models' number rules, on the newer models (costBreaker.burnRate) --------------------

_ANY_VALUE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                       st.booleans(), st.none(), st.text(max_size=5))


@FUZZ
@given(_ANY_VALUE)
def test_burn_rate_dollars_are_finite_decimals_or_refused_at_their_key(value):
    def mutate(config):
        config["z360-ecs:costBreaker"]["burnRate"] = {"warnPerHour": value, "tripPerHour": 10_000}
    try:
        burn = beta_config(mutate).cost_breaker.burn_rate
    except ConfigError as exc:
        assert [p for p in exc.problems if p.startswith("costBreaker.burnRate.warnPerHour")], \
            exc.problems
        return
    assert not isinstance(value, (bool, str)) and value is not None
    assert isinstance(burn.warn_per_hour, Decimal) and burn.warn_per_hour.is_finite()
    assert 0 < burn.warn_per_hour < 10_000


# --- the pack: a WAF limit the API refuses never passes, whatever its form --------------------

_BAD_LIMITS = st.one_of(
    st.integers(max_value=RATE_LIMIT_MIN - 1), st.integers(min_value=RATE_LIMIT_MAX + 1,
                                                           max_value=2**53),
    st.floats(min_value=RATE_LIMIT_MIN, max_value=RATE_LIMIT_MAX).filter(
        lambda f: f != int(f)))


@FUZZ
@given(_BAD_LIMITS, st.sampled_from([float, str]))
def test_the_pack_never_passes_a_waf_limit_the_api_refuses(limit, form):
    rule = {"name": "rate", "priority": 0, "action": {"block": {}},
            "statement": {"rateBasedStatement": {"limit": form(limit), "aggregateKeyType": "IP",
                                                 "evaluationWindowSec": 300}}}
    outcome = sdk_analyze(WAF_POLICIES, WEB_ACL_TYPE, {"name": "acl", "rules": [rule]})
    messages = outcome.messages("waf-rate-limit-within-api-bounds")
    assert messages and not [m for m in messages if "failed on this resource" in m], limit


# --- the pack: a kms:Decrypt grant on a key of another region never passes -------------------

_REGIONS = st.sampled_from(["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-south-1"])


@FUZZ
@given(_REGIONS, st.lists(_REGIONS, min_size=1, max_size=3, unique=True),
       st.sampled_from(["StringEquals", "ForAnyValue:StringEquals", "StringLike"]),
       st.sampled_from(["kms:ViaService", "KMS:ViaService"]))
def test_the_pack_never_passes_a_decrypt_grant_outside_the_keys_region(
        key_region, via_regions, operator, condition_key):
    key = f"arn:aws:kms:{key_region}:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    statement = {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key], "Condition": {
        operator: {condition_key: [f"secretsmanager.{r}.amazonaws.com" for r in via_regions]}}}
    outcome = sdk_analyze(IAM_POLICIES, ROLE_POLICY_TYPE,
                          {"policy": json.dumps({"Statement": [statement]})})
    messages = outcome.messages("kms-decrypt-via-service-in-key-region")
    assert bool(messages) == (key_region not in via_regions), (key_region, via_regions)
    assert not [m for m in messages if "failed on this resource" in m]
