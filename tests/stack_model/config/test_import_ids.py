"""`services.<key>.importIds` (stack_model/config/import_ids.py): the format of each id. Whether
an id names the resource the program declares is adoption.py's (test_adoption.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stack_model.config import ImportIds
from tests.support.config_mutations import (
    Mutation,
    RefusalCase,
    assert_one_clear_problem,
    refusal_params,
    setter,
)

CASES: list[RefusalCase] = [
    ("import-service-wrong-format", "beta",
     setter("web", "importIds", "service", value="z360-beta-web"),
     ("services.web.importIds.service:", "'z360-beta-web'", "'<cluster name>/<service name>'")),
    ("import-target-missing-dimension", "beta",
     setter("web", "importIds", "scalableTarget",
            value="service/z360-beta-Cluster-8E41UEvLHdpU/z360-beta-web-Service-5Ao8dxMzQ1d8"),
     ("services.web.importIds.scalableTarget:", "ecs:service:DesiredCount")),
    ("import-policy-not-a-target-path", "beta",
     setter("web", "importIds", "cpuPolicy", value="not a policy"),
     ("services.web.importIds.cpuPolicy:", "'not a policy'",
      "'ecs/service/<cluster name>/<service name>/ecs:service:DesiredCount/<policy name>'")),
]


@pytest.mark.parametrize(("stack", "mutate", "fragments"), refusal_params(CASES))
def test_a_malformed_import_id_is_refused_with_one_clear_problem(
    stack: str, mutate: Mutation, fragments: tuple[str, ...]
) -> None:
    assert_one_clear_problem(stack, mutate, fragments)


def test_an_alarm_is_adopted_by_any_name_cloudwatch_allows() -> None:
    assert ImportIds.model_validate({"cpuAlarm": "z360-beta-web-high-cpu"}).cpu_alarm == (
        "z360-beta-web-high-cpu")
    with pytest.raises(ValidationError) as refused:
        ImportIds.model_validate({"spikeAlarm": "a\nb"})
    assert "spikeAlarm" in str(refused.value) and "the alarm's name" in str(refused.value)


def test_nothing_is_adopted_by_default() -> None:
    ids = ImportIds()
    assert all(getattr(ids, name) is None for name in ImportIds.model_fields)
