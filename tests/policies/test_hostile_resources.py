"""Malformed and unusual-but-valid resources sent to the real pack over gRPC (the engine's path).

Each case starts from the real beta run and changes one registration's properties the way a
hand-written program or another pulumi_aws shape could: the pack must judge the shape the
provider accepts (numbers as strings, a RolePolicy's `policy` as an object, an alarm built with
`metricQueries`), treat every IAM action pattern as a wildcard, and never let one resource's
malformed input hide another resource's finding, stack policies included. The WAF and burn-rate
rules read numbers through the same helpers (_kit.number: finite, strings accepted).
"""

from __future__ import annotations

import json

import pytest

from tests.support.pack_runs import levels as _levels
from tests.support.pack_runs import run_stack_file as _run
from tests.support.pack_runs import with_props as _with_props
from z360_ecs.engine.analyzer import analyze_run
from z360_ecs.engine.program import ProgramRun


@pytest.fixture(scope="module")
def beta(tmp_path_factory) -> ProgramRun:
    return _run("beta", tmp_path_factory)


def _policy(actions):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


def _metric_queries(namespace):
    def change(props):
        dimensions = props.pop("dimensions")
        for key in ("metricName", "namespace", "period", "statistic"):
            props.pop(key, None)
        props["metricQueries"] = [{
            "id": "m1", "returnData": True,
            "metric": {"metricName": "RunningTaskCount", "namespace": namespace,
                       "period": 60, "stat": "Maximum", "dimensions": dimensions},
        }]
    return change


HOSTILE = [
    ("glob-star-star", "iam-no-wildcard-actions", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("*:*")))),
    ("glob-double-star", "iam-no-wildcard-actions", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy(["logs:PutLogEvents", "s3:**"])))),
    ("glob-question", "iam-no-wildcard-actions", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("iam:?*")))),
    ("glob-prefix", "iam-no-wildcard-actions", "web-execution-policy",
     lambda p: p.update(policy=json.dumps(_policy("ecr:Get*")))),
    ("policy-as-object", "iam-no-wildcard-actions", "web-execution-policy",
     lambda p: p.update(policy=_policy("*"))),
    ("metric-queries-namespace", "running-task-count-namespace", "web-task-count-spike",
     _metric_queries("AWS/ECS")),
    ("actions-enabled-as-string", "alarm-notifies", "web-high-cpu",
     lambda p: p.update(actionsEnabled="false")),
    ("threshold-as-string", "spike-alarm-within-capacity", "web-task-count-spike",
     lambda p: p.update(threshold="5000")),
    ("waf-limit-as-string", "waf-rate-limit-within-api-bounds", "web-waf-web-acl",
     lambda p: p["rules"][0]["statement"]["rateBasedStatement"].update(limit="5")),
    ("waf-limit-not-finite", "waf-rate-limit-within-api-bounds", "web-waf-web-acl",
     lambda p: p["rules"][0]["statement"]["rateBasedStatement"].update(limit="NaN")),
    ("burn-rate-threshold-as-string", "burn-rate-trip-in-range", "burn-rate-trip",
     lambda p: p.update(threshold="0.05")),
]


@pytest.mark.parametrize("case, policy, resource, change", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_each_shape_is_judged_not_failed(beta, pack, case, policy, resource, change):
    findings = analyze_run(_with_props(beta, resource, change), pack=pack)
    assert _levels(findings, policy, resource) == {"mandatory"}, findings
    assert not [f for f in findings if "failed on this resource" in f.message], findings


def test_a_valid_policy_object_is_not_blocked(beta, pack):
    document = _policy(["logs:CreateLogStream", "logs:PutLogEvents"])
    findings = analyze_run(
        _with_props(beta, "web-execution-policy", lambda p: p.update(policy=document)), pack=pack)
    assert [f for f in findings if f.blocking] == []


def test_metric_queries_in_container_insights_pass(beta, pack):
    run = _with_props(beta, "web-task-count-spike", _metric_queries("ECS/ContainerInsights"))
    assert [f for f in analyze_run(run, pack=pack) if f.blocking] == []


def test_a_malformed_burn_rate_warning_hides_no_trip_finding(beta, pack):
    """The warning alarm's metricQueries are not a list; the trip under the baseline is still
    blocked, and no policy reports that it failed."""
    run = _with_props(_with_props(beta, "burn-rate-warn", lambda p: p.update(metricQueries="m1")),
                      "burn-rate-trip", lambda p: p.update(threshold=0.05))
    findings = analyze_run(run, pack=pack)
    assert _levels(findings, "burn-rate-trip-in-range", "burn-rate-trip") == {"mandatory"}
    assert not [f for f in findings if "failed on this resource" in f.message], findings


@pytest.mark.parametrize("dimensions", [["ClusterName"], "ClusterName=x", 42])
def test_malformed_dimensions_hide_no_other_finding(beta, pack, dimensions):
    """One alarm with malformed dimensions, another with a threshold no count reaches: the
    stack policy still reports the second, and nothing reports "failed on this resource"."""
    def malformed(props):
        props["dimensions"] = dimensions

    def never_fires(props):
        props["threshold"] = 5000.0

    run = _with_props(_with_props(beta, "web-task-count-spike", malformed),
                      "gateway-task-count-spike", never_fires)
    findings = analyze_run(run, pack=pack)
    assert _levels(findings, "spike-alarm-within-capacity", "gateway-task-count-spike") == {
        "mandatory"}
    # The malformed alarm itself is judged by its resource policy, not skipped.
    assert _levels(findings, "running-task-count-namespace", "web-task-count-spike") == {
        "mandatory"}
    assert not [f for f in findings if "failed on this resource" in f.message], findings
