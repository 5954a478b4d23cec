"""The scalable targets (breaker/targets.py) against moto's Application Auto Scaling."""

from __future__ import annotations

from typing import Any

from breaker.clients import Aws
from breaker.targets import describe, set_max
from tests.support.breaker_events import resource_id


def test_describe_asks_for_at_most_50_ids_a_call_and_finds_every_target(account):
    # DescribeScalableTargets: ResourceIds holds at most 50 items (API reference).
    for i in range(55):
        account.add(f"svc{i:02d}", 1, 20 + i, ceiling=1)
    aws = Aws()
    asked: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        asked.append(len(params["ResourceIds"]))

    aws.scaling.meta.events.register(
        "provide-client-params.application-autoscaling.DescribeScalableTargets", count)

    found = describe(aws, [resource_id(f"svc{i:02d}") for i in range(55)] + [resource_id("gone")])

    assert asked == [50, 6]
    assert len(found) == 55 and resource_id("gone") not in found
    assert found[resource_id("svc54")] == {"min": 1, "max": 74}


def test_set_max_changes_only_the_max(account):
    account.add("web", 3, 50, ceiling=10)

    set_max(Aws(), resource_id("web"), 10)

    assert account.capacity("web") == (3, 10)
