"""Physical names and ARNs: the limits the config enforces are the ones the names need."""

from stack_model import naming
from stack_model.config.limits import IMPORT_FORMATS, MAX_FAMILY, MAX_NAME_PREFIX


def test_the_longest_prefix_leaves_every_alarm_and_policy_name_within_cloudwatch_255() -> None:
    prefix = "p" * MAX_NAME_PREFIX
    names = [naming.alarm_name(prefix, kind) for kind in naming.ALARM_SUFFIXES]
    names += [naming.policy_name(prefix, metric) for metric in naming.POLICY_SUFFIXES]
    assert max(len(name) for name in names) == 255


def test_the_longest_family_leaves_the_execution_role_within_iam_64() -> None:
    assert len(naming.execution_role_name("f" * MAX_FAMILY)) == 64


def test_scalable_target_and_policy_ids_have_the_import_format() -> None:
    target = naming.scalable_target_id("z360-beta", "z360-beta-web")
    assert target == "ecs/service/z360-beta/z360-beta-web/ecs:service:DesiredCount"
    assert IMPORT_FORMATS["scalable_target"][0].fullmatch(target)
    policy = naming.scaling_policy_id("z360-beta", "z360-beta-web",
                                      naming.policy_name("z360-beta-web", "cpu"))
    assert policy == f"{target}/z360-beta-web-cpu-scaling"
    assert IMPORT_FORMATS["policy"][0].fullmatch(policy)
    assert IMPORT_FORMATS["service"][0].fullmatch(
        naming.service_import_id("z360-beta", "z360-beta-web"))
    assert naming.budget_import_id("108782097218", "z360-monthly") == "108782097218:z360-monthly"


def test_arns_known_before_aws_creates_the_resources() -> None:
    region, account = "us-east-1", "108782097218"
    assert naming.log_group_arn(region, account, "/ecs/web") == (
        "arn:aws:logs:us-east-1:108782097218:log-group:/ecs/web")
    assert naming.ssm_parameter_arn(region, account, "/z360/beta/cost-breaker/state") == (
        "arn:aws:ssm:us-east-1:108782097218:parameter/z360/beta/cost-breaker/state")
    assert naming.task_definition_arn_prefix(region, account) == (
        "arn:aws:ecs:us-east-1:108782097218:task-definition/")


def test_service_tags_carry_service_and_environment() -> None:
    assert naming.service_tags("web", "beta") == {
        "z360:service": "web", "z360:environment": "beta", "managed-by": "pulumi:z360-ecs"}


def test_burn_rate_alarms_are_numbered_only_when_a_stack_is_split() -> None:
    assert naming.burn_rate_alarm_name("beta", "trip", 0, 1) == "z360-beta-burn-rate-trip"
    assert [naming.burn_rate_alarm_name("beta", "warn", g, 2) for g in (0, 1)] == [
        "z360-beta-burn-rate-warn-1", "z360-beta-burn-rate-warn-2"]
