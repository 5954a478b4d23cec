"""How an AWS error reads in the record and the alerts (breaker/clients.py)."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from breaker.clients import AWS_ERRORS, error_code, error_text


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ConcurrentUpdateException", "Message": "try again"}},
                       "RegisterScalableTarget")


def test_an_error_answer_reads_as_its_code_and_message():
    assert error_code(throttled()) == "ConcurrentUpdateException"
    assert error_text(throttled()) == "ConcurrentUpdateException: try again"


def test_a_failure_to_get_an_answer_reads_as_its_type_and_has_no_code():
    unreachable = EndpointConnectionError(endpoint_url="https://ssm.us-east-1.amazonaws.com")

    assert isinstance(unreachable, AWS_ERRORS)
    assert error_code(unreachable) == ""
    assert error_text(unreachable).startswith("EndpointConnectionError: Could not connect")
