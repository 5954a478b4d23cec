"""Secret facts (policies/guardrails/facts/secrets.py): the resource IAM evaluates for a
`valueFrom`, and which granted resources cover it."""

from __future__ import annotations

from policies.guardrails.facts.secrets import grants, secret_resource_arn
from tests.support.policy_resources import ACCOUNT, SECRET


def test_validator_secret_arns():
    assert secret_resource_arn(f"{SECRET}:password::") == f"{SECRET}-??????"
    assert secret_resource_arn(f"{SECRET}-AbCdEf:password:AWSCURRENT:") == f"{SECRET}-AbCdEf"
    ssm = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/z360/key"
    assert secret_resource_arn(ssm) == ssm
    assert grants([f"{SECRET}-??????"], f"{SECRET}-??????")
    assert grants([f"{SECRET}-??????"], f"{SECRET}-AbCdEf")
    assert not grants([f"{SECRET}:password::"], f"{SECRET}-??????")


def test_the_endpoints_granted_are_the_shape_the_region_is_read_from():
    from policies.guardrails.facts.secrets import via_service_endpoints, via_service_region

    endpoints = via_service_endpoints("eu-west-1")
    assert endpoints == ["secretsmanager.eu-west-1.amazonaws.com", "ssm.eu-west-1.amazonaws.com"]
    assert {via_service_region(e) for e in endpoints} == {"eu-west-1"}
