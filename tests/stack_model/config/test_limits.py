"""config/limits.py: AWS's name and value limits, held against botocore's models where they have
them, and the name lengths derived from the suffixes the program appends."""

from __future__ import annotations

from botocore.loaders import Loader

from stack_model.config.limits import (
    BUDGET_NAME_MAX,
    MAX_BUDGET_AMOUNT,
    MAX_BUDGET_NOTIFICATIONS,
    MAX_FAMILY,
    MAX_NAME_PREFIX,
    SERVICE_KEY,
    arn_region,
)
from stack_model.naming import ALARM_SUFFIXES, EXECUTION_ROLE_SUFFIX


def test_budget_limits_are_the_budgets_models():
    shapes = Loader().load_service_model("budgets", "service-2")["shapes"]
    assert shapes["NotificationThreshold"]["max"] == MAX_BUDGET_AMOUNT
    assert shapes["BudgetName"]["max"] == BUDGET_NAME_MAX


def test_the_notification_count_is_budgets_documented_limit():
    assert MAX_BUDGET_NOTIFICATIONS == 10


def test_derived_lengths_leave_room_for_every_suffix():
    longest_alarm = max(len(s) for s in ALARM_SUFFIXES.values())
    assert MAX_NAME_PREFIX + longest_alarm <= 255
    assert MAX_FAMILY + len(EXECUTION_ROLE_SUFFIX) == 64  # IAM role names: 64 characters


def test_an_arns_region_is_its_fourth_field():
    arn = "arn:aws:kms:eu-west-1:108782097218:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert arn_region(arn) == "eu-west-1"
    assert arn_region("not-an-arn") is None


def test_service_keys_are_short_lower_case_names():
    assert SERVICE_KEY.fullmatch("web") and SERVICE_KEY.fullmatch("agent-gateway")
    assert not SERVICE_KEY.fullmatch("Web") and not SERVICE_KEY.fullmatch("9web")
