"""`z360-ecs scaling`: AWS reads against moto (ECS, CloudWatch) and botocore's Stubber
(Application Auto Scaling's DescribeScalingActivities, which moto lacks). No real AWS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from z360_ecs.cli import build_parser
from z360_ecs.common import read_stack_config
from z360_ecs.live.load import make_plan, run_async, run_load
from z360_ecs.live.scaling import (
    Clients,
    ServiceTarget,
    Snapshot,
    alarm_states,
    handle,
    judge,
    scaling_activities,
    service_counts,
    take_snapshot,
    watch_during,
)

REGION = "us-east-1"
BETA = read_stack_config("beta")
WEB = ServiceTarget.from_config(BETA, "web", BETA.services["web"])


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _ecs_service(desired: int) -> object:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=WEB.cluster)
    ecs.register_task_definition(
        family="z360-beta-web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="1024", memory="2048",
        containerDefinitions=[{"name": "web", "image": "nginx", "essential": True}],
    )
    ecs.create_service(cluster=WEB.cluster, serviceName=WEB.service,
                       taskDefinition="z360-beta-web", desiredCount=desired)
    return ecs


def _alarms() -> object:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    common = dict(Namespace="AWS/ECS", Statistic="Average", Period=60, EvaluationPeriods=3,
                  ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_alarm(AlarmName="z360-beta-web-high-cpu", MetricName="CPUUtilization",
                                Threshold=85, **common)
    cloudwatch.put_metric_alarm(
        AlarmName=f"TargetTracking-{WEB.resource_id}-AlarmHigh-0f1e2d3c",
        MetricName="CPUUtilization", Threshold=60, **common)
    # Another service's alarms must not show up.
    cloudwatch.put_metric_alarm(AlarmName="z360-beta-queue-high-cpu",
                                MetricName="CPUUtilization", Threshold=85, **common)
    cloudwatch.set_alarm_state(AlarmName=f"TargetTracking-{WEB.resource_id}-AlarmHigh-0f1e2d3c",
                               StateValue="ALARM", StateReason="3 of 3 datapoints above 60")
    cloudwatch.set_alarm_state(AlarmName="z360-beta-web-high-cpu", StateValue="OK",
                               StateReason="below 85")
    return cloudwatch


def _activity(started: datetime, count: int, cause: str = "AlarmHigh") -> dict:
    return {
        "ActivityId": f"id-{count}-{started.timestamp():.0f}",
        "ServiceNamespace": "ecs",
        "ResourceId": WEB.resource_id,
        "ScalableDimension": "ecs:service:DesiredCount",
        "Description": f"Setting desired count to {count}.",
        "Cause": f"monitor alarm TargetTracking-{WEB.resource_id}-{cause}-0f1e2d3c triggered "
                 "policy z360-beta-web-cpu-scaling",
        "StartTime": started,
        "StatusCode": "Successful",
    }


def _stubbed_autoscaling(pages: list[list[dict]], repeat: int = 1):
    client = boto3.client("application-autoscaling", region_name=REGION)
    stubber = Stubber(client)
    expected = {"ServiceNamespace": "ecs", "ResourceId": WEB.resource_id,
                "ScalableDimension": "ecs:service:DesiredCount"}
    for _ in range(repeat):
        for index, page in enumerate(pages):
            response: dict = {"ScalingActivities": page}
            params = dict(expected)
            if index > 0:
                params["NextToken"] = f"page-{index}"
            if index < len(pages) - 1:
                response["NextToken"] = f"page-{index + 1}"
            stubber.add_response("describe_scaling_activities", response, params)
    stubber.activate()
    return client, stubber


def test_names_come_from_the_stack_config():
    assert WEB.resource_id == (
        f"service/{BETA.clusters['app'].name}/{BETA.services['web'].service_name}")
    assert WEB.name_prefix == BETA.services["web"].name_prefix


def test_scaling_activities_follow_pages_and_drop_older_ones():
    now = datetime.now(UTC)
    old = _activity(now - timedelta(hours=3), 3, "AlarmLow")
    first, second = _activity(now - timedelta(minutes=20), 2), _activity(now, 4)
    client, stubber = _stubbed_autoscaling([[second, old], [first]])
    activities = scaling_activities(client, WEB, now - timedelta(hours=1))
    stubber.assert_no_pending_responses()
    assert [a["Description"] for a in activities] == [
        "Setting desired count to 2.", "Setting desired count to 4."]


def test_service_counts_and_alarm_states_read_moto(aws):
    _ecs_service(desired=3)
    _alarms()
    counts = service_counts(boto3.client("ecs", region_name=REGION), WEB)
    assert counts["desired"] == 3
    states = {a["name"]: a["state"]
              for a in alarm_states(boto3.client("cloudwatch", region_name=REGION), WEB)}
    assert states == {
        "z360-beta-web-high-cpu": "OK",
        f"TargetTracking-{WEB.resource_id}-AlarmHigh-0f1e2d3c": "ALARM",
    }


def test_missing_service_is_a_clear_error(aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName=WEB.cluster)
    with pytest.raises(LookupError, match=WEB.service):
        service_counts(boto3.client("ecs", region_name=REGION), WEB)


def test_cli_prints_a_timeline_of_activities_and_alarm_changes(aws, capsys):
    _ecs_service(desired=2)
    _alarms()
    now = datetime.now(UTC)
    autoscaling, _ = _stubbed_autoscaling([[_activity(now - timedelta(minutes=5), 2)]])
    clients = Clients(autoscaling, boto3.client("ecs", region_name=REGION),
                      boto3.client("cloudwatch", region_name=REGION))
    args = build_parser().parse_args(["scaling", "beta", "web", "--since", "30"])
    assert handle(args, clients) == 0
    out = capsys.readouterr().out
    assert f"web: {WEB.resource_id}" in out
    assert "now: desired 2" in out
    timeline = out.split("timeline since", 1)[1].split("alarms now:", 1)[0]
    assert "Setting desired count to 2." in timeline
    assert "ALARM" in timeline and "AlarmHigh-0f1e2d3c" in timeline
    assert "z360-beta-queue" not in out


def test_judge_reports_time_to_first_scale_out_and_peaks():
    start = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)
    activities = [_activity(start - timedelta(minutes=30), 1, "AlarmLow"),
                  _activity(start + timedelta(seconds=200), 2),
                  _activity(start + timedelta(seconds=260), 4)]
    snapshots = [
        Snapshot(start, {"desired": 1, "running": 1, "pending": 0}, [], []),
        Snapshot(start, {"desired": 2, "running": 1, "pending": 1}, activities[:2], []),
        Snapshot(start, {"desired": 4, "running": 3, "pending": 1}, activities, []),
    ]
    verdict = judge(start, snapshots)
    assert verdict.scaled_out
    assert verdict.seconds_to_first_scale_out == 200
    assert (verdict.peak_desired, verdict.peak_running) == (4, 3)


def test_judge_without_activity_says_no():
    start = datetime.now(UTC)
    snapshot = Snapshot(start, {"desired": 1, "running": 1, "pending": 0}, [], [])
    verdict = judge(start, [snapshot, snapshot])
    assert not verdict.scaled_out and verdict.seconds_to_first_scale_out is None


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        # The load cannot end before the watch has polled while it runs.
        if not self.server.polled_meanwhile.wait(10):  # type: ignore[attr-defined]
            self.server.waited_in_vain = True  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: the load's sixth to tenth connections, opened at
    # once, would wait a second for the kernel to retry them.
    request_queue_size = 64
    # Handler threads are joined when the server closes: none outlives the test (what a
    # thread still holds at the test's end would be frozen, then freed during a later test).
    daemon_threads = False


def test_during_runs_the_load_and_polls_meanwhile(aws):
    server = _Server(("127.0.0.1", 0), _Quiet)
    server.polled_meanwhile = threading.Event()  # type: ignore[attr-defined]
    server.waited_in_vain = False  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    try:
        _ecs_service(desired=1)
        _alarms()
        ecs = boto3.client("ecs", region_name=REGION)
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        polls: list[datetime] = []

        def poll(since: datetime) -> Snapshot:
            polls.append(since)
            # After the first poll the target tracking alarm "fires": one scale-out activity.
            activities = [] if len(polls) == 1 else [_activity(since + timedelta(seconds=1), 2)]
            autoscaling, _ = _stubbed_autoscaling([activities])
            if len(polls) == 2:
                ecs.update_service(cluster=WEB.cluster, service=WEB.service, desiredCount=2)
            snapshot = take_snapshot(Clients(autoscaling, ecs, cloudwatch), WEB, since)
            if len(polls) == 2:
                server.polled_meanwhile.set()  # type: ignore[attr-defined]
            return snapshot

        port = server.server_address[1]
        plan = make_plan(f"http://127.0.0.1:{port}/", 30, 10, 5, 30)
        started, snapshots, load = run_async(
            watch_during(lambda: run_load(plan), poll, interval_s=0.05))
        verdict = judge(started, snapshots, load)
    finally:
        server.shutdown()
        server.server_close()
    assert load.summary()["completed"] == 30
    assert not server.waited_in_vain, "no poll while the load ran"  # type: ignore[attr-defined]
    assert len(snapshots) >= 2 and polls[0] == started
    assert verdict.scaled_out and verdict.seconds_to_first_scale_out == 1
    assert verdict.peak_desired == 2 and verdict.starting_desired == 1
