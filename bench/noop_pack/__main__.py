"""A pack whose policies check nothing: what the SDK and gRPC cost before any rule runs.

The benchmark runs it beside the real pack, as the floor of the offline check.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)


def _nothing(args, report_violation) -> None:
    return None


PolicyPack(
    name="bench-noop",
    policies=[
        ResourceValidationPolicy(
            name="checks-nothing",
            description="Looks at every resource and reports nothing.",
            validate=_nothing,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        StackValidationPolicy(
            name="checks-nothing-stack",
            description="Looks at the whole stack and reports nothing.",
            validate=_nothing,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ],
)
