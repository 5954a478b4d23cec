"""facts/conventions.py: the credential-name pattern catches what it says and nothing else; the
tags and the task quota are the values the program and the pack agree on."""

from __future__ import annotations

import re

import pytest

from policies.guardrails.facts.conventions import (
    ENVIRONMENT_TAG,
    MAX_TASKS_PER_SERVICE,
    SECRET_NAME_PATTERN,
    SERVICE_TAG,
)


@pytest.mark.parametrize("name", ["DB_PASSWORD", "STRIPE_SECRET", "GITHUB_TOKEN", "OPENAI_API_KEY",
                                  "APIKEY", "JWT_PRIVATE_KEY", "AWS_ACCESS_KEY_ID", "GCP_CREDENTIALS"])
def test_credential_like_names_match(name):
    assert re.search(SECRET_NAME_PATTERN, name)


@pytest.mark.parametrize("name", ["APP_ENV", "QUEUE_CONNECTION", "LOG_LEVEL", "PORT", "KEYBOARD"])
def test_ordinary_names_do_not_match(name):
    assert not re.search(SECRET_NAME_PATTERN, name)


def test_tags_are_namespaced_and_the_quota_is_ecs_default():
    assert SERVICE_TAG.startswith("z360:") and ENVIRONMENT_TAG.startswith("z360:")
    assert SERVICE_TAG != ENVIRONMENT_TAG
    assert MAX_TASKS_PER_SERVICE == 5000
