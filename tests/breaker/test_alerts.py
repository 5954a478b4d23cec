"""What the function tells the alert topic (breaker/alerts.py): SNS subjects AWS accepts, and a
failed report that never undoes the action it reports."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from breaker.alerts import heading, notify, sns_subject
from breaker.handler import handler
from tests.support.breaker_events import budget_event


def test_every_subject_sent_is_printable_ascii_under_100_characters(estate, monkeypatch):
    # SNS Publish: Subject "must be less than 100 characters long", no line breaks or control
    # characters (Amazon SNS API Reference, Publish). The old limit let exactly 100 through.
    monkeypatch.setenv("BREAKER_ENVIRONMENT", "beta\n" + "é" * 40 + "x" * 100)
    handler(budget_event(), None)
    handler({"action": "restore"}, None)

    subjects = [subject for subject, _ in estate.notifications()]
    assert len(subjects) == 2
    for subject in subjects:
        assert len(subject) < 100, subject
        assert all(" " <= ch <= "~" for ch in subject), subject


def test_a_subject_of_exactly_100_characters_is_cut_to_99():
    assert len(sns_subject("x" * 100)) == 99
    assert sns_subject("a\nb\tc") == "a b c"


def test_a_heading_names_the_environment_when_there_is_one():
    assert heading("Cost breaker restored", "beta") == "Cost breaker restored (beta)"
    assert heading("Cost breaker restored", "") == "Cost breaker restored"


class RefusingSns:
    def publish(self, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "no"}}, "Publish")


class Clients:
    sns = RefusingSns()


def test_a_report_that_cannot_be_sent_is_logged_and_answers_false(caplog):
    sent = notify(Clients(), "arn:aws:sns:us-east-1:123456789012:alerts",  # type: ignore[arg-type]
                  "Cost breaker TRIPPED", ["web: max 50 -> 10"])

    assert sent is False
    assert any("could not notify" in r.getMessage() for r in caplog.records)
