"""WAFv2 rules: rate-based rules WAF accepts, public services behind a web ACL, and rate limits
that a service's max capacity can actually serve.

- `waf-rate-limit-within-api-bounds` (mandatory, resource): a rate-based rule's Limit and
  EvaluationWindowSec lie inside what the WAFv2 API accepts (bounds in facts/wafv2.py, tested
  against botocore's model). Outside them CreateWebACL/UpdateWebACL fail mid-update
  (WAFInvalidParameterException), after other resources have changed.
- `public-service-has-web-acl` (advisory, stack): an ECS service registered with a load
  balancer target group has a web ACL (tagged with its service key) associated with a load
  balancer. Without one, requests alone decide how many tasks run, up to max capacity.
- `rate-limit-within-service-capacity` (advisory, stack): what `clients` client IPs may send at
  the rate limit (limit / window each) is no more than max capacity x the requests per second
  one task serves (the web ACL's z360:task-requests-per-second tag). Above it, that many
  clients alone keep the service at its max.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from ._index import StackIndex
from ._kit import (
    NotApplicable,
    known,
    known_number,
    label,
    number,
    parse_json,
    resource_label,
    resource_policy,
    sequence,
    service_tag,
    setting,
    show,
    stack_policy,
    tags_of,
)
from .facts.conventions import SERVICE_TAG
from .facts.types import WEB_ACL_ASSOCIATION_TYPE, WEB_ACL_RULE_TYPE, WEB_ACL_TYPE
from .facts.wafv2 import (
    DEFAULT_EVALUATION_WINDOW_S,
    EVALUATION_WINDOWS_S,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
    TASK_THROUGHPUT_TAG,
)

# --- reading rate-based rules ----------------------------------------------------------------


@dataclass
class RateRule:
    name: str
    limit: float | None
    window: float | None
    """None when unset: WAF then uses 300 s."""
    action: str | None
    """block, count, captcha, challenge or allow (the key set under `action`)."""


def _rate_rule(rule: Mapping[str, Any], camel: bool) -> RateRule | None:
    """The rate-based statement of one rule, in the provider's (camel) or the API's shape;
    numbers as the provider takes them (5000 or "5000"), a non-finite one as unset."""
    keys = ("statement", "rateBasedStatement", "limit", "evaluationWindowSec", "action", "name")
    if not camel:
        keys = ("Statement", "RateBasedStatement", "Limit", "EvaluationWindowSec", "Action", "Name")
    statement = rule.get(keys[0])
    if not isinstance(statement, Mapping):
        return None
    rate = statement.get(keys[1])
    if not isinstance(rate, Mapping):
        return None
    action = rule.get(keys[4])
    chosen = next((str(k).lower() for k, v in action.items() if v is not None), None) \
        if isinstance(action, Mapping) else None
    return RateRule(
        name=str(rule.get(keys[5]) or "(unnamed)"),
        limit=number(rate.get(keys[2])),
        window=number(rate.get(keys[3])),
        action=chosen,
    )


def rate_rules(resource_type: str, props: Mapping[str, Any]) -> list[RateRule]:
    """Every rate-based rule a web ACL (rules or ruleJson) or a WebAclRule resource holds."""
    if resource_type == WEB_ACL_RULE_TYPE:
        rule = _rate_rule(props, camel=True)
        return [rule] if rule else []
    found = []
    for rule in sequence(props.get("rules")):
        if isinstance(rule, Mapping):
            parsed = _rate_rule(rule, camel=True)
            if parsed:
                found.append(parsed)
    raw = props.get("ruleJson")
    if raw:
        for rule in sequence(parse_json(raw, "ruleJson")):
            if isinstance(rule, Mapping):
                parsed = _rate_rule(rule, camel=False)
                if parsed:
                    found.append(parsed)
    return found


def _acl_label(props: Mapping[str, Any], fallback: str) -> str:
    who = label(props, fallback)
    name = props.get("name")
    return f"{who} web ACL {name}" if name else who


# --- waf-rate-limit-within-api-bounds ----------------------------------------------------------


def check_rate_limit_within_api_bounds(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """A rate-based rule's limit and evaluation window are values the WAFv2 API accepts."""
    rules = rate_rules(args.resource_type, args.props)
    if not rules:
        raise NotApplicable("no rate-based rule")
    who = _acl_label(args.props, args.name)
    windows = ", ".join(str(w) for w in EVALUATION_WINDOWS_S)
    for rule in rules:
        if rule.limit is None or not (RATE_LIMIT_MIN <= rule.limit <= RATE_LIMIT_MAX) \
                or rule.limit != int(rule.limit):
            report(
                f"{who}: rule {rule.name} limit {show(rule.limit)} is not a whole number from "
                f"{RATE_LIMIT_MIN} to {RATE_LIMIT_MAX:,} (WAFv2 RateBasedStatement.Limit), so "
                "AWS refuses the web ACL; set services.<key>.waf.rateLimit inside that range",
                None,
            )
        if rule.window is not None and rule.window not in EVALUATION_WINDOWS_S:
            report(
                f"{who}: rule {rule.name} evaluation window {show(rule.window)} s is not one "
                f"WAF accepts ({windows} s; RateBasedStatement.EvaluationWindowSec); set "
                "services.<key>.waf.evaluationWindow to one of them",
                None,
            )


# --- the stack's web ACLs and their associations ----------------------------------------------
# Services and their max capacity come from the StackIndex every stack rule shares.


@dataclass
class WafIndex:
    acls: dict[str, list[PolicyResource]] = field(default_factory=dict)
    """Web ACLs by z360:service tag."""
    associated: set[str] = field(default_factory=set)
    """URNs of web ACLs some WebAclAssociation refers to."""
    association_arns: set[str] = field(default_factory=set)
    """Known webAclArn values of the associations."""
    association_parents: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, resources: list[PolicyResource]) -> WafIndex:
        index = cls()
        for resource in resources:
            adder = _ADDERS.get(resource.resource_type)
            if adder is not None:
                # As StackIndex.build: one malformed resource is set aside, never raised.
                try:
                    known(partial(adder, index, resource))
                except Exception:  # noqa: BLE001 - set aside, never raised
                    continue
        return index

    def is_associated(self, acl: PolicyResource) -> bool:
        if acl.urn in self.associated:
            return True
        if acl.parent is not None and acl.parent.urn in self.association_parents:
            return True  # the association is the web ACL's sibling in one component
        ok, arn = known(lambda: acl.props.get("arn"))
        return bool(ok and arn and arn in self.association_arns)


def _add_acl(index: WafIndex, resource: PolicyResource) -> None:
    service = service_tag(resource.props)
    if service:
        index.acls.setdefault(service, []).append(resource)


def _add_association(index: WafIndex, resource: PolicyResource) -> None:
    for dependency in resource.dependencies:
        index.associated.add(dependency.urn)
    for dependencies in resource.property_dependencies.values():
        index.associated.update(d.urn for d in dependencies)
    if resource.parent is not None:
        index.association_parents.add(resource.parent.urn)
    ok, arn = known(lambda: resource.props.get("webAclArn"))
    if ok and arn:
        index.association_arns.add(str(arn))


_ADDERS = {
    WEB_ACL_TYPE: _add_acl,
    WEB_ACL_ASSOCIATION_TYPE: _add_association,
}


def _load_balanced(resource: PolicyResource) -> bool:
    return bool(resource.props.get("loadBalancers"))


def fronted_services(index: StackIndex) -> dict[str, PolicyResource]:
    """ECS services registered with a load balancer, by z360:service tag."""
    return {
        service: resource for service, resource in index.services_by_service.items()
        if known(partial(_load_balanced, resource))[1]
    }


def max_capacity(index: StackIndex, service: str) -> float | None:
    """The service's most tasks: its scalable target's maxCapacity (scaling owns the count),
    else its fixed desiredCount."""
    target = index.targets_by_service.get(service)
    if target is not None:
        high = known_number(target.props, "maxCapacity")
        if high is not None:
            return high
    ecs_service = index.services_by_service.get(service)
    return known_number(ecs_service.props, "desiredCount") if ecs_service is not None else None


# --- public-service-has-web-acl -------------------------------------------------------------------


def check_public_service_has_web_acl(args: StackValidationArgs, report: ReportViolation) -> None:
    """An ECS service behind a load balancer has a web ACL associated with it."""
    fronted = fronted_services(StackIndex.build(args.resources))
    if not fronted:
        raise NotApplicable("no ECS service is registered with a load balancer")
    index = WafIndex.build(args.resources)
    for service, resource in sorted(fronted.items()):
        acls = index.acls.get(service, [])
        if not acls:
            report(
                f"{resource_label(resource)}: sits behind a load balancer with no web ACL, so "
                "requests alone decide how many tasks run, up to max capacity; set "
                f"services.{service}.waf (enabled, loadBalancerArn, rateLimit)",
                resource.urn,
            )
        elif not any(index.is_associated(acl) for acl in acls):
            report(
                f"{resource_label(resource)}: its web ACL is associated with no load balancer, "
                f"so it filters nothing; check services.{service}.waf.loadBalancerArn",
                resource.urn,
            )


# --- rate-limit-within-service-capacity -----------------------------------------------------------

CAPACITY_SCHEMA = {
    "clients": {
        "type": "integer",
        "minimum": 1,
        "default": 1,
        "description": "Client IPs sending at the rate limit that max capacity should be able "
                       "to serve; above it, that many clients alone hold the service at max.",
    },
}


def _acls_with_rate_rules(
    resources: list[PolicyResource],
) -> Iterator[tuple[PolicyResource, list[RateRule]]]:
    for resource in resources:
        if resource.resource_type != WEB_ACL_TYPE:
            continue
        ok, rules = known(partial(rate_rules, WEB_ACL_TYPE, resource.props))
        if ok and rules:
            yield resource, rules


def _throughput_tags(props: Mapping[str, Any]) -> dict[str, Any]:
    tags = tags_of(props)
    return {key: tags.get(key) for key in (SERVICE_TAG, TASK_THROUGHPUT_TAG)}


def check_rate_limit_within_service_capacity(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    """`clients` clients at the rate limit ask no more than max capacity can serve."""
    acls = list(_acls_with_rate_rules(args.resources))
    if not acls:
        raise NotApplicable("no web ACL with a rate-based rule")
    index = StackIndex.build(args.resources)
    clients = int(setting(args, CAPACITY_SCHEMA, "clients"))
    for acl, rules in acls:
        ok, tags = known(partial(_throughput_tags, acl.props))
        if not ok:
            continue
        service = tags[SERVICE_TAG]
        per_task = number(tags[TASK_THROUGHPUT_TAG])
        high = max_capacity(index, str(service))
        who = _acl_label(acl.props, acl.name)
        for rule in rules:
            if rule.action == "count":
                report(
                    f"{who}: rule {rule.name} only counts, so a flood passes it whole; set "
                    f"services.{service}.waf.rateLimitAction: block",
                    acl.urn,
                )
                continue
            if per_task is None or high is None or rule.limit is None:
                continue  # throughput not declared, or no service to compare with
            window = rule.window or DEFAULT_EVALUATION_WINDOW_S
            allowed = clients * rule.limit / window
            capacity = high * per_task
            if allowed > capacity:
                report(
                    f"{who}: {clients} client IP{'s' if clients > 1 else ''} at the limit of "
                    f"{show(rule.limit)} requests per {show(window)} s may send "
                    f"{allowed:,.1f} requests/s, more than max capacity serves ({show(high)} "
                    f"tasks x {show(per_task)} requests/s = {capacity:,.1f}); lower "
                    f"services.{service}.waf.rateLimit (policy config "
                    "rate-limit-within-service-capacity.clients)",
                    acl.urn,
                )


RESOURCE_POLICIES = [
    resource_policy(
        "waf-rate-limit-within-api-bounds",
        "A WAF rate-based rule's limit and evaluation window are values the WAFv2 API accepts.",
        EnforcementLevel.MANDATORY, [WEB_ACL_TYPE, WEB_ACL_RULE_TYPE],
        check_rate_limit_within_api_bounds, {},
    ),
]

STACK_POLICIES = [
    stack_policy(
        "public-service-has-web-acl",
        "An ECS service behind a load balancer has a WAF web ACL on that load balancer.",
        EnforcementLevel.ADVISORY, check_public_service_has_web_acl, {},
    ),
    stack_policy(
        "rate-limit-within-service-capacity",
        "Clients at a web ACL's rate limit ask no more than the service's max capacity serves.",
        EnforcementLevel.ADVISORY, check_rate_limit_within_service_capacity, CAPACITY_SCHEMA,
    ),
]

POLICIES = [*RESOURCE_POLICIES, *STACK_POLICIES]
