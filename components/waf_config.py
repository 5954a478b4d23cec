"""Stack config of the web ACL in front of a public service: `services.<key>.waf`.

A service that sits behind an internet-facing Application Load Balancer gets a WAFv2 web ACL on
that load balancer: a per-client-IP rate limit, three AWS managed rule groups, and an alarm on
blocked requests (components/waf.py). The load balancer itself is not managed by this program:
it is referenced by ARN, as subnets and security groups are (docs: "Rate limiting in front of
the public services").

`waf_stack_problems(stack)` holds the checks that need the whole stack (region and account of
the ARN, one web ACL per load balancer); StackConfig calls it with its other cross-checks.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from policies.guardrails.wafv2_facts import (
    DEFAULT_EVALUATION_WINDOW_S,
    EVALUATION_WINDOWS_S,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
)

if TYPE_CHECKING:
    from components.config import StackConfig

# Application Load Balancer ARN, as AssociateWebACL documents it (botocore wafv2 model,
# AssociateWebACLRequest.ResourceArn): arn:partition:elasticloadbalancing:region:account-id:
# loadbalancer/app/load-balancer-name/load-balancer-id. ALB names are 1 to 32 characters.
_ALB_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$"
)
# Web ACL and rule names are EntityName (botocore: 1 to 128 of [\w-]); the longest name the
# program derives from namePrefix is "<namePrefix>-web-acl".
WEB_ACL_SUFFIX = "-web-acl"
ENTITY_NAME_MAX = 128

RuleMode = Literal["count", "block"]

# Separates a problem's path from its message (components/config.py reads it the same way).
_PATH_MARK = "\x1f"


def _raise(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise ValueError("\n".join(f"{path}{_PATH_MARK}{message}" for path, message in problems))


class _WafModel(BaseModel):
    # The same settings as components/config.py's models: camelCase keys, strict, frozen.
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True,
        strict=True,
    )


class ManagedRulesConfig(_WafModel):
    """What each AWS managed rule group does with a match: count (log only) or block."""

    common: RuleMode = "count"
    """AWSManagedRulesCommonRuleSet (OWASP-style checks). Count first: its size limits (8 KB
    bodies) block real uploads until tuned."""
    known_bad_inputs: RuleMode = "block"
    """AWSManagedRulesKnownBadInputsRuleSet (Log4j, exploit paths); few false positives."""
    ip_reputation: RuleMode = "block"
    """AWSManagedRulesAmazonIpReputationList (Amazon threat intelligence: bots, scanners)."""


class WafConfig(_WafModel):
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
        if value is not None and not _ALB_ARN.fullmatch(value):
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
        problems = []
        if self.enabled:
            if self.load_balancer_arn is None:
                problems.append(("loadBalancerArn", "required when waf.enabled is true: the ARN "
                                 "of the service's Application Load Balancer"))
            if self.rate_limit is None:
                problems.append(("rateLimit", "required when waf.enabled is true: requests "
                                 f"per client IP per evaluationWindow ({RATE_LIMIT_MIN} to "
                                 f"{RATE_LIMIT_MAX:,})"))
        _raise(problems)
        return self

    @property
    def allowed_per_client_per_second(self) -> float | None:
        """The steady rate one client IP can keep up without being blocked."""
        if self.rate_limit is None:
            return None
        return self.rate_limit / self.evaluation_window


def web_acl_name(name_prefix: str) -> str:
    return f"{name_prefix}{WEB_ACL_SUFFIX}"


def waf_stack_problems(stack: StackConfig) -> list[tuple[str, str]]:
    """Web ACL checks that need the whole stack: (key path, message) per problem."""
    problems: list[tuple[str, str]] = []
    owners: dict[str, list[str]] = {}
    for key, service in stack.services.items():
        waf = service.waf
        if not waf.enabled:
            continue
        if len(web_acl_name(service.name_prefix)) > ENTITY_NAME_MAX:
            problems.append((
                f"services.{key}.namePrefix",
                f"is {len(service.name_prefix)} characters: with waf on, the web ACL "
                f"'<namePrefix>{WEB_ACL_SUFFIX}' must fit WAF's {ENTITY_NAME_MAX}",
            ))
        arn = waf.load_balancer_arn
        match = _ALB_ARN.fullmatch(arn or "")
        if arn is None or match is None:
            continue
        if (match["region"], match["account"]) != (stack.region, stack.account_id):
            problems.append((
                f"services.{key}.waf.loadBalancerArn",
                f"{arn!r} is not in this stack's region {stack.region} and account "
                f"{stack.account_id}: a REGIONAL web ACL protects load balancers of its own "
                "region and account only",
            ))
        owners.setdefault(arn, []).append(key)
    for arn, keys in owners.items():
        if len(keys) > 1:
            problems.append((
                f"services.{{{','.join(keys)}}}.waf.loadBalancerArn",
                f"{arn!r} is named by {len(keys)} services: a load balancer takes one web ACL; "
                "enable waf on one of them",
            ))
    return problems
