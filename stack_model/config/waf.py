"""Stack config of the web ACL in front of a public service: `services.<key>.waf`.

A service that sits behind an internet-facing Application Load Balancer gets a WAFv2 web ACL on
that load balancer: a per-client-IP rate limit, three AWS managed rule groups, and an alarm on
blocked requests (components/waf.py). The load balancer itself is not managed by this program:
it is referenced by ARN, as subnets and security groups are (docs/waf.md, "The load balancer
stays outside this program").

`waf_problems(region, account_id, services)` holds the checks that need the whole stack (region
and account of the ARN, one web ACL per load balancer, the web ACL's name); StackConfig runs it
with its other cross-checks, as it runs adoption.py's. It reads a service through
`ServiceBehindWaf`, which ServiceConfig satisfies: services.py imports this module for
WafConfig, so this one cannot import services.py back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, Protocol

from pydantic import Field, field_validator, model_validator

from policies.guardrails.facts.wafv2 import (
    DEFAULT_EVALUATION_WINDOW_S,
    EVALUATION_WINDOWS_S,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
)
from stack_model import naming
from stack_model.config.base import ConfigModel
from stack_model.config.errors import KeyPath, Problem, raise_problems
from stack_model.config.limits import LOAD_BALANCER_ARN, WAF_NAME_MAX

RuleMode = Literal["count", "block"]


class ManagedRulesConfig(ConfigModel):
    """What each AWS managed rule group does with a match: count (log only) or block."""

    common: RuleMode = "count"
    """AWSManagedRulesCommonRuleSet (OWASP-style checks). Count first: its size limits (8 KB
    bodies) block real uploads until tuned."""
    known_bad_inputs: RuleMode = "block"
    """AWSManagedRulesKnownBadInputsRuleSet (Log4j, exploit paths); few false positives."""
    ip_reputation: RuleMode = "block"
    """AWSManagedRulesAmazonIpReputationList (Amazon threat intelligence: bots, scanners)."""


class WafConfig(ConfigModel):
    enabled: bool = False
    """Put a web ACL on the service's load balancer."""
    load_balancer_arn: str | None = None
    """ARN of the Application Load Balancer in front of the service (required when enabled).
    `aws elbv2 describe-target-groups --target-group-arns <tg>` lists it as LoadBalancerArns."""
    rate_limit: Annotated[int, Field(ge=RATE_LIMIT_MIN, le=RATE_LIMIT_MAX)] | None = None
    """Requests one client IP may send per evaluation window before it is blocked (required
    when enabled; WAF allows 10 to 2,000,000,000)."""
    evaluation_window: int = DEFAULT_EVALUATION_WINDOW_S
    """Seconds WAF looks back when it counts a client's requests: 60, 120, 300 or 600."""
    rate_limit_action: RuleMode = "block"
    """What the rate-based rule does to a client over the limit."""
    managed_rules: ManagedRulesConfig = ManagedRulesConfig()
    task_requests_per_second: Annotated[float, Field(gt=0)] | None = None
    """Requests per second one task serves at full CPU (e.g. from `z360-ecs loadtest`). The
    guardrail and the flood model compare the rate limit with max capacity x this."""
    blocked_alarm_threshold: Annotated[int, Field(ge=1)] = 1000
    """Alarm when the web ACL blocks more than this many requests in 5 minutes."""

    @field_validator("load_balancer_arn")
    @classmethod
    def _alb_arn(cls, value: str | None) -> str | None:
        if value is not None and not LOAD_BALANCER_ARN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an Application Load Balancer ARN (arn:aws:elasticloadbalancing:"
                "<region>:<account>:loadbalancer/app/<name>/<16 hex digits>)"
            )
        return value

    @field_validator("evaluation_window")
    @classmethod
    def _window(cls, value: int) -> int:
        if value not in EVALUATION_WINDOWS_S:
            raise ValueError(f"{value} is not a WAF evaluation window: allowed "
                             f"{', '.join(str(w) for w in EVALUATION_WINDOWS_S)} (seconds)")
        return value

    @model_validator(mode="after")
    def _required_when_enabled(self) -> WafConfig:
        problems: list[tuple[KeyPath, str]] = []
        if self.enabled:
            if self.load_balancer_arn is None:
                problems.append((("loadBalancerArn",), "required when waf.enabled is true: the "
                                 "ARN of the service's Application Load Balancer"))
            if self.rate_limit is None:
                problems.append((("rateLimit",), "required when waf.enabled is true: requests "
                                 f"per client IP per evaluationWindow ({RATE_LIMIT_MIN} to "
                                 f"{RATE_LIMIT_MAX:,})"))
        raise_problems(problems)
        return self

    @property
    def allowed_per_client_per_second(self) -> float | None:
        """The steady rate one client IP can keep up without being blocked."""
        if self.rate_limit is None:
            return None
        return self.rate_limit / self.evaluation_window


class ServiceBehindWaf(Protocol):
    """What the stack-wide web ACL checks read of a service (ServiceConfig)."""

    @property
    def name_prefix(self) -> str: ...

    @property
    def waf(self) -> WafConfig: ...


def waf_problems(
    region: str, account_id: str, services: Mapping[str, ServiceBehindWaf]
) -> list[Problem]:
    """Web ACL checks that need the whole stack, each at its key path from the top."""
    problems: list[Problem] = []
    owners: dict[str, list[str]] = {}
    for key, service in services.items():
        waf = service.waf
        if not waf.enabled:
            continue
        if len(naming.web_acl_name(service.name_prefix)) > WAF_NAME_MAX:
            problems.append(Problem(
                ("services", key, "namePrefix"),
                f"is {len(service.name_prefix)} characters: with waf on, the web ACL "
                f"'<namePrefix>{naming.WEB_ACL_SUFFIX}' must fit WAF's {WAF_NAME_MAX}",
            ))
        arn = waf.load_balancer_arn
        match = LOAD_BALANCER_ARN.fullmatch(arn or "")
        if arn is None or match is None:
            continue  # WafConfig reported it
        if (match["region"], match["account"]) != (region, account_id):
            problems.append(Problem(
                ("services", key, "waf", "loadBalancerArn"),
                f"{arn!r} is not in this stack's region {region} and account "
                f"{account_id}: a REGIONAL web ACL protects load balancers of its own "
                "region and account only",
            ))
        owners.setdefault(arn, []).append(key)
    for arn, keys in owners.items():
        if len(keys) > 1:
            problems.append(Problem(
                ("services", f"{{{','.join(keys)}}}", "waf", "loadBalancerArn"),
                f"{arn!r} is named by {len(keys)} services: a load balancer takes one web ACL; "
                "enable waf on one of them",
            ))
    return problems
