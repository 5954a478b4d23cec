"""Target tracking on what each service does, in the real beta program under the mock engine:
queue on backlog per task instead of CPU, gateway on requests per target, and the calls policy
of a protected service when its calls per task are set."""

from __future__ import annotations

import pytest

from components.scaling_signals import calls_tracking, requests_per_target_value
from policies.guardrails.facts.types import SCALING_POLICY_TYPE
from tests.support.configs import service_config
from tests.support.runs import unmodified_run
from z360_ecs.engine.program import ProgramRun

AGENT_CLUSTER = "agent-layer-beta"
APP_CLUSTER = "z360-beta-Cluster-8E41UEvLHdpU"


@pytest.fixture(scope="module")
def beta() -> ProgramRun:
    return unmodified_run("beta", preview=False)


def _policies(run: ProgramRun, prefix: str) -> dict[str, dict]:
    return {r.inputs["name"]: r.inputs["targetTrackingScalingPolicyConfiguration"]
            for r in run.by_type(SCALING_POLICY_TYPE)
            if r.inputs["name"].startswith(prefix)}


def test_queue_scales_on_backlog_per_task_and_memory_not_cpu(beta):
    policies = _policies(beta, "z360-beta-queue-")
    assert set(policies) == {"z360-beta-queue-memory-scaling", "z360-beta-queue-backlog-scaling"}
    backlog = policies["z360-beta-queue-backlog-scaling"]
    assert backlog["targetValue"] == 120  # 60 s acceptable latency / 0.5 s per job
    depth, tasks, quotient = backlog["customizedMetricSpecification"]["metrics"]
    assert depth["metricStat"]["metric"] == {
        "namespace": "AWS/SQS", "metricName": "ApproximateNumberOfMessagesVisible",
        "dimensions": [{"name": "QueueName", "value": "z360-beta-jobs"}]}
    assert tasks["metricStat"]["metric"] == {
        "namespace": "ECS/ContainerInsights", "metricName": "RunningTaskCount",
        "dimensions": [{"name": "ClusterName", "value": APP_CLUSTER},
                       {"name": "ServiceName", "value": "z360-beta-queue"}]}
    assert quotient == {"id": "backlogPerTask", "expression": "depth / tasks",
                        "label": "jobs waiting per running task", "returnData": True}
    assert not depth["returnData"] and not tasks["returnData"]


def test_gateway_tracks_requests_per_target_on_its_declared_load_balancer(beta):
    policies = _policies(beta, "z360-beta-gateway-")
    requests = policies["z360-beta-gateway-requests-scaling"]
    assert requests["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": "app/z360-agent-layer-beta/0000000000000001/"
                         "targetgroup/z360-agent-layer-beta-gw/0000000000000001"}
    assert requests["targetValue"] == pytest.approx(5.53 * 60 * 0.7, abs=0.05)
    # CPU and memory stay: scale out when any signal asks.
    assert {"z360-beta-gateway-cpu-scaling", "z360-beta-gateway-memory-scaling"} <= set(policies)


def test_web_keeps_cpu_and_memory_only(beta):
    assert set(_policies(beta, "z360-beta-web-")) == {
        "z360-beta-web-cpu-scaling", "z360-beta-web-memory-scaling"}


def test_requests_target_needs_the_measured_throughput():
    assert requests_per_target_value(service_config()) is None


def test_calls_policy_reads_the_average_calls_of_the_services_own_tasks():
    config = service_config(taskProtection={"enabled": True, "callsPerTask": 60},
                            interruptible=False)
    tracking = calls_tracking(config, "z360-test", "z360-test-web")
    assert tracking == {
        "customized_metric_specification": {
            "namespace": "Z360/Voice", "metric_name": "CallsInFlight", "statistic": "Average",
            "dimensions": [{"name": "ClusterName", "value": "z360-test"},
                           {"name": "ServiceName", "value": "z360-test-web"}]},
        "target_value": 60}
    assert calls_tracking(service_config(), "z360-test", "z360-test-web") is None
