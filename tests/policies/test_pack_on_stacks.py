"""The real program and the real pack together: stacks as `pulumi preview --policy-pack`
would check them.

Mutations the program accepts go through the stack file (one mutated beta carries one
violation per rule, each on a different service, so every assertion names its resource).
Violations the program's own config validation refuses (invalid Fargate size, a
credential-named environment variable, alarms without actions, ...) cannot come from a stack
file; those registrations are taken from the real beta run and their properties changed, then
sent through the same analyzer path.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
import yaml

from policies.guardrails.facts.fargate import monthly_task_cost, to_cents
from stack_model.config import ConfigError, load_stack_config
from tests.support.pack_runs import levels as _levels
from tests.support.pack_runs import run_stack_file as _run
from tests.support.pack_runs import with_props as _with_props
from tests.support.runs import shared_run, stack_document
from z360_ecs.engine.analyzer import analyze_run
from z360_ecs.engine.program import ProgramRun


def _run_mutated(stack, tmp_path, mutate, preview=True):
    document = stack_document(stack)
    mutate(document["config"])
    stack_file = tmp_path / f"Pulumi.{stack}.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return shared_run(stack, stack_file=stack_file, preview=preview)


def _services(config):
    return config["z360-ecs:services"]


def _one_violation_per_rule(config):
    services = _services(config)
    services["web"]["scaling"]["max"] = 60                       # max-capacity-ceiling
    services["gateway"]["scaling"]["cpuTarget"] = 90             # target-utilisation-bounds
    services["reverb"]["scaling"]["cpuTarget"] = 75              # target-utilisation-preferred
    services["aegra"]["scaling"]["scaleOutCooldown"] = 120       # scaling-cooldowns


@pytest.fixture(scope="module")
def beta(tmp_path_factory) -> ProgramRun:
    return _run("beta", tmp_path_factory)


@pytest.fixture(scope="module")
def beta_findings(beta, pack):
    return analyze_run(beta, pack=pack)


@pytest.fixture(scope="module")
def mutated_findings(tmp_path_factory, pack):
    return analyze_run(_run("beta", tmp_path_factory, _one_violation_per_rule), pack=pack)


@pytest.mark.parametrize("stack", ["beta", "staging"])
def test_real_stacks_have_no_mandatory_violation(stack, tmp_path_factory, pack, beta_findings):
    findings = beta_findings if stack == "beta" else analyze_run(
        _run(stack, tmp_path_factory), pack=pack)
    blocking = [f"{f.resource_name} [{f.policy}] {f.message}" for f in findings if f.blocking]
    assert blocking == []


@pytest.mark.parametrize("policy, resource, level", [
    ("max-capacity-ceiling", "web-scaling-target", "mandatory"),
    ("target-utilisation-bounds", "gateway-cpu-scaling", "mandatory"),
    ("target-utilisation-preferred", "reverb-cpu-scaling", "advisory"),
    ("scaling-cooldowns", "aegra-cpu-scaling", "mandatory"),
    ("scaling-cooldowns", "aegra-memory-scaling", "mandatory"),
])
def test_stack_file_mutation_is_caught_by_the_right_policy(mutated_findings, policy, resource,
                                                           level):
    assert _levels(mutated_findings, policy, resource) == {level}


def test_a_spike_threshold_below_the_floor_is_refused_by_the_config_before_the_pack(tmp_path):
    # spike-alarm-within-capacity stays as the pack's guard (tests/policies/guardrails/test_cloudwatch.py);
    # the stack config now refuses the same mistake first, naming the key.
    def mutate(config):
        _services(config)["gateway"]["scaling"]["min"] = 12

    with pytest.raises(ConfigError, match=r"services\.gateway\.alarms\.taskCountSpike: 10 is below"):
        _run_mutated("beta", tmp_path, mutate)


def test_container_insights_off_is_refused_by_the_config_and_caught_by_the_pack(
        tmp_path, beta, pack):
    """Every alarm reading RunningTaskCount of the app cluster (web's spike alarm, both
    burn-rate alarms) is reported; voice's spike alarm, on the agent cluster, is not."""
    def mutate(config):
        config["z360-ecs:clusters"]["app"]["containerInsights"] = False

    with pytest.raises(ConfigError, match=r"clusters\.app\.containerInsights: false, but "):
        _run_mutated("beta", tmp_path, mutate)

    def disabled(props):
        props["settings"] = [{"name": "containerInsights", "value": "disabled"}]

    findings = analyze_run(_with_props(beta, "app-cluster", disabled), pack=pack)
    flagged = {f.resource_name for f in findings
               if f.policy == "container-insights-for-spike-alarms" and f.blocking}
    assert flagged == {"web-task-count-spike", "burn-rate-trip", "burn-rate-warn"}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
@pytest.mark.parametrize("hold_at", [1, 2, 3])
def test_the_emergency_floor_runbook_passes_check(tmp_path, pack, hold_at, preview):
    """docs/operations.md "Emergency floor": holdAt pins min = max; the spike alarm that cannot
    fire while the count is pinned is the point of the hold, not a mandatory finding."""
    def mutate(config):
        for service in _services(config).values():
            if service.get("scaling", {}).get("enabled"):
                service["scaling"]["holdAt"] = max(hold_at, service["scaling"].get("min", 1))

    findings = analyze_run(_run_mutated("beta", tmp_path, mutate, preview), pack=pack)
    assert [f for f in findings if f.level == "mandatory"] == []


def test_mutations_do_not_leak_to_other_services(mutated_findings):
    assert _levels(mutated_findings, "max-capacity-ceiling", "voice-scaling-target") == set()
    assert _levels(mutated_findings, "target-utilisation-bounds", "reverb-cpu-scaling") == set()


def test_quota_from_policy_pack_config_is_enforced(beta, pack):
    # The program refuses scaling.max above 5000, so the quota is lowered instead.
    findings = analyze_run(beta, {"capacity-bounds": {"maxTasksPerService": 40}}, pack=pack)
    assert _levels(findings, "capacity-bounds", "web-scaling-target") == {"mandatory"}
    assert _levels(findings, "capacity-bounds", "aegra-scaling-target") == set()  # max 30


def test_beta_reports_services_without_spike_alarm_as_advisory(beta_findings):
    flagged = {f.resource_name for f in beta_findings if f.policy == "spike-alarm-present"}
    assert flagged == {"queue-scaling-target", "reverb-scaling-target", "aegra-scaling-target"}
    assert {f.level for f in beta_findings if f.policy == "spike-alarm-present"} == {"advisory"}


def test_beta_worst_case_cost_uses_the_fargate_price_list(beta_findings):
    document = stack_document("beta")["config"]
    raw = {k.split(":", 1)[1]: v for k, v in document.items() if k.startswith("z360-ecs:")}
    config = load_stack_config(raw, {"region": document["aws:region"],
                                     "allowedAccountIds": document["aws:allowedAccountIds"]})
    total = sum(monthly_task_cost(s.cpu, s.memory, s.architecture) * s.effective_max
                for s in config.services.values())
    findings = [f for f in beta_findings if f.policy == "worst-case-cost"]
    assert [f.level for f in findings] == ["advisory"]
    assert f"${to_cents(total):,} a month" in findings[0].message
    limit = Decimal(str(config.budget.monthly_limit))
    assert f"limit ${to_cents(limit):,}" in findings[0].message


# --- violations the program's config validation refuses: crafted registrations -----------------


def _add_env(props):
    containers = json.loads(props["containerDefinitions"])
    containers[0]["environment"].append({"name": "DB_PASSWORD", "value": "hunter2"})
    props["containerDefinitions"] = json.dumps(containers)


def _tracking(props):
    return props["targetTrackingScalingPolicyConfiguration"]


CRAFTED = [
    ("fargate-task-size", "web-task", lambda p: p.update(memory="1536"), "mandatory"),
    ("no-plaintext-secrets", "voice-task", _add_env, "mandatory"),
    ("alarm-notifies", "web-high-cpu", lambda p: p.pop("alarmActions"), "mandatory"),
    ("running-task-count-namespace", "web-task-count-spike",
     lambda p: p.update(namespace="AWS/ECS"), "mandatory"),
    ("scale-in-enabled", "web-memory-scaling",
     lambda p: _tracking(p).update(disableScaleIn=True), "advisory"),
    ("budget-monthly-cost", "monthly-budget", lambda p: p.update(timeUnit="QUARTERLY"),
     "mandatory"),
    ("iam-no-wildcard-actions", "web-execution-policy", lambda p: p.update(policy=json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]})),
     "mandatory"),
    # Issue 12: what AWS refuses that the mock engine accepts.
    # Beta web is an aws-native service (metricResolution 20) on launchType FARGATE.
    ("service-launch-configuration", "web-service", lambda p: p.update(
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}]), "mandatory"),
    ("service-launch-configuration", "queue-service", lambda p: p.update(
        launchType="FARGATE"), "mandatory"),
    ("alarm-period-matches-metric", "gateway-high-cpu", lambda p: p.update(period=30),
     "mandatory"),
    ("secret-resources-are-secret-arns", "voice-execution-policy", lambda p: p.update(
        policy=json.dumps({"Statement": [{
            "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
            "Resource": ["arn:aws:secretsmanager:us-east-1:108782097218:secret:db:password::"],
        }]})), "mandatory"),
]


@pytest.mark.parametrize("policy, resource, change, level", CRAFTED,
                         ids=[c[0] for c in CRAFTED])
def test_crafted_violation_is_caught_by_the_right_policy(beta, pack, policy, resource, change,
                                                         level):
    findings = analyze_run(_with_props(beta, resource, change), pack=pack)
    assert _levels(findings, policy, resource) == {level}
    assert [f for f in findings if f.blocking and f.resource_name != resource] == []


def test_cluster_without_its_capacity_providers_is_caught(beta, pack):
    """Issue 12, point 1: the program before the fix registered no ClusterCapacityProviders."""
    run = dataclasses.replace(beta, registrations=[
        r for r in beta.registrations if r.name != "agent-capacity-providers"])
    findings = analyze_run(run, pack=pack)
    for service in ("gateway-service", "aegra-service", "voice-service"):
        assert _levels(findings, "capacity-providers-associated", service) == {"mandatory"}
    assert _levels(findings, "capacity-providers-associated", "queue-service") == set()


def test_execution_role_lacking_a_secret_is_caught(tmp_path_factory, pack):
    """Issue 12, point 8: a secret the role was granted verbatim (with its json-key) is denied."""
    secret = "arn:aws:secretsmanager:us-east-1:108782097218:secret:z360/db:password::"

    def mutate(config):
        _services(config)["queue"]["secrets"] = {"DB_PASSWORD": secret}
    run = _run("beta", tmp_path_factory, mutate, preview=False)
    assert [f for f in analyze_run(run, pack=pack) if f.blocking] == []

    def verbatim(props):
        props["policy"] = json.dumps({"Statement": [{
            "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [secret]}]})
    findings = analyze_run(_with_props(run, "queue-execution-policy", verbatim), pack=pack)
    assert _levels(findings, "execution-role-grants-secrets", "queue-execution-policy") == {
        "mandatory"}


def test_budget_mailing_topic_subscribers_directly_is_caught(tmp_path_factory, pack):
    """Issue 12, point 6: the topic's ARN is known once AWS made it (`up`), so the join runs."""
    run = _run("beta", tmp_path_factory, preview=False)
    assert _levels(analyze_run(run, pack=pack), "budget-alert-single-path", "monthly-budget") \
        == set()

    def both_paths(props):
        props["notifications"][0]["subscriberEmailAddresses"] = ["ansar@z360.biz"]
    findings = analyze_run(_with_props(run, "monthly-budget", both_paths), pack=pack)
    assert _levels(findings, "budget-alert-single-path", "monthly-budget") == {"advisory"}


def test_stack_missing_memory_tracking_is_caught(beta, pack):
    run = dataclasses.replace(beta, registrations=[
        r for r in beta.registrations if r.name != "web-memory-scaling"])
    findings = analyze_run(run, pack=pack)
    assert _levels(findings, "scaling-tracks-cpu-and-memory", "web-scaling-target") == {
        "mandatory"}


def test_execution_policies_are_checked_once_values_are_known(tmp_path_factory, pack):
    # In preview the policy JSON waits on the log group's ARN; on `up` it is known.
    findings = analyze_run(_run("beta", tmp_path_factory, preview=False), pack=pack)
    assert [f for f in findings if f.policy == "iam-no-wildcard-actions"] == []
    assert [f for f in findings if f.blocking] == []
