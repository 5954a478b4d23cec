"""The pack's analyzer: pulumi_policy's own servicer, reading each request once.

pulumi_policy 1.21 (`policy.py`, `_PolicyAnalyzerServicer`) turns a request's properties into
Python values (`json_format.MessageToDict`, `deserialize_properties`, the unknown-checking proxy)
inside its loop over policies: `Analyze` reads the resource once per resource policy, and
`AnalyzeStack` rebuilds every resource of the stack, and a new list of them, once per stack
policy. With 17 resource and 16 stack policies that was most of the pack's work: `AnalyzeStack`
took 19 times as long as a pack with one stack policy that checks nothing.

`SharedRequestServicer` runs the same loop over the same policies with the same levels, config,
`report_violation`, unknown-value and not-applicable handling (the code below follows the SDK's
line by line), but reads a request once: every resource policy gets the same read-only
properties, and every stack policy the same list of resources, inside `one_request()`, so the
stack rules share one `StackIndex` (`_index.py`) per request. Policies never change what they
are given (the proxies are read-only views; no rule writes to `args.resources` or a resource).

`install()` makes `PolicyPack` use it, for the SDK version this copy was checked against only
(`SUPPORTED_SDK_VERSIONS`); with any other the SDK's own servicer runs, slower and the same.
tests/policies/guardrails/test_servicer.py holds both servicers' responses equal on the stacks.
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any, cast

import pulumi_policy.policy as sdk
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy
from pulumi_policy.version import VERSION

from ._kit import one_request

SUPPORTED_SDK_VERSIONS = frozenset({"1.21.0"})
"""pulumi_policy versions whose servicer this one follows (policies/requirements.txt pins one)."""

_SdkServicer = sdk._PolicyAnalyzerServicer


class SharedRequestServicer(_SdkServicer):
    """The SDK's analyzer servicer, reading each request once (see the module docstring)."""

    # The SDK keeps these in name-mangled attributes of its own class.
    @property
    def _policies(self) -> list[Any]:
        return self._PolicyAnalyzerServicer__policies  # type: ignore[attr-defined]

    def _unknown_diagnostic(self, policy: Any, error: UnknownValueError) -> Any:
        name = self._PolicyAnalyzerServicer__policy_pack_name  # type: ignore[attr-defined]
        version = self._PolicyAnalyzerServicer__policy_pack_version  # type: ignore[attr-defined]
        return proto.AnalyzeDiagnostic(
            policyName=policy.name,
            policyPackName=name,
            policyPackVersion=version,
            message=(f"can't run policy '{policy.name}' from policy pack "
                     f"'{name}@v{version}' during preview: {error.message}"),
            urn="",
            description=policy.description,
            enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
        )

    @property
    def _stack_tags(self) -> Any:
        return self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]

    def _run(self, policy: Any, args: Any, report_violation: Any, response: Any) -> None:
        try:
            result = policy.validate(args, report_violation)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                task: asyncio.Task[Any] = asyncio.Task(cast(Any, result), loop=loop)
                loop.run_until_complete(task)
                loop.close()
        except UnknownValueError as error:
            response.diagnostics.append(self._unknown_diagnostic(policy, error))
        except sdk._NotApplicableError as skip:
            response.not_applicable.append(proto.PolicyNotApplicable(
                policy_name=policy.name,
                reason=skip.reason or "",
            ))

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        read: tuple[Any, Any, Any] | None = None
        for policy in self._policies:
            enforcement_level = self._get_enforcement_level(policy)
            if (enforcement_level == EnforcementLevel.DISABLED
                    or not isinstance(policy, ResourceValidationPolicy)):
                continue
            if not policy.has_validation():
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name,
                    reason="Policy does not implement validate",
                ))
                continue
            if enforcement_level == EnforcementLevel.REMEDIATE:
                enforcement_level = EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity)
            if read is None:  # once per request, not once per policy
                props = unknown_checking_proxy(
                    deserialize_properties(json_format.MessageToDict(request.properties)))
                read = (props, self._get_resource_options(request),
                        self._get_provider_resource(request))
            props, opts, provider = read
            args = ResourceValidationArgs(
                request.type, props, request.urn, request.name, opts, provider,
                self._get_policy_config(policy.name), self._stack_tags)
            self._run(policy, args, report_violation, response)
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The request's resources, with parents and dependencies joined, as the SDK builds
        them for each stack policy."""
        resources: list[PolicyResource] = []
        links: list[tuple[PolicyResource, str, list[str], dict[str, list[str]]]] = []
        for r in request.resources:
            props = unknown_checking_proxy(
                deserialize_properties(json_format.MessageToDict(r.properties)))
            resource = PolicyResource(r.type, props, r.urn, r.name,
                                      self._get_resource_options(r),
                                      self._get_provider_resource(r), None, [], {})
            property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
            links.append((resource, r.parent, list(r.dependencies), property_dependencies))
            resources.append(resource)
        by_urn = {resource.urn: resource for resource in resources}
        for resource, parent, dependencies, property_dependencies in links:
            if parent is not None and parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
            for key, urns in property_dependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in urns if d in by_urn]
        return resources

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 - gRPC method name
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        with one_request():
            for policy in self._policies:
                enforcement_level = self._get_enforcement_level(policy)
                if (enforcement_level == EnforcementLevel.DISABLED
                        or not isinstance(policy, StackValidationPolicy)):
                    continue
                if enforcement_level == EnforcementLevel.REMEDIATE:
                    enforcement_level = EnforcementLevel.MANDATORY
                report_violation = self._create_report_violation(
                    response, policy.name, policy.description, enforcement_level,
                    policy.severity)
                if resources is None:  # once per request, not once per policy
                    resources = self._stack_resources(request)
                args = StackValidationArgs(
                    resources, self._get_policy_config(policy.name), self._stack_tags)
                self._run(policy, args, report_violation, response)
        return response


def install() -> bool:
    """Make `PolicyPack` serve with SharedRequestServicer; False (and the SDK's own servicer)
    for an SDK version it was not checked against."""
    if VERSION not in SUPPORTED_SDK_VERSIONS:
        return False
    sdk._PolicyAnalyzerServicer = SharedRequestServicer  # type: ignore[misc]
    return True
