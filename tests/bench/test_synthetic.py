"""The benchmark's synthetic stacks: valid configs of the requested size, and a program that
registers, per clone, exactly what it registers for the clone's beta template."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.synthetic import (
    synthetic_document,
    template_document,
    template_of,
    write_synthetic_stack,
)
from stack_model.config import load_stack_config
from z360_ecs.common import load_stack_settings
from z360_ecs.engine.program import run_program


def _config(stack_file: Path):
    settings = load_stack_settings("beta", stack_file=stack_file)
    raw = {k.split(":", 1)[1]: v for k, v in settings.config.items() if k.startswith("z360-ecs:")}
    aws = {k.split(":", 1)[1]: v for k, v in settings.config.items() if k.startswith("aws:")}
    return load_stack_config(raw, aws)


@pytest.mark.parametrize("count", [1, 6, 10, 250])
def test_synthetic_stack_is_valid_with_the_requested_number_of_services(count, tmp_path):
    config = _config(write_synthetic_stack(count, tmp_path))
    assert len(config.services) == count
    assert len({s.family for s in config.services.values()}) == count
    assert len({s.name_prefix for s in config.services.values()}) == count


def test_clones_keep_their_templates_settings_but_not_their_import_ids():
    beta = template_document()["config"]["z360-ecs:services"]
    clones = synthetic_document(12)["config"]["z360-ecs:services"]
    assert Counter(template_of(key) for key in clones) == {key: 2 for key in beta}
    for key, clone in clones.items():
        template = beta[template_of(key)]
        assert clone["cpu"] == template["cpu"] and clone["scaling"] == template["scaling"]
        assert clone["family"] != template["family"]
        assert "importIds" not in clone


def test_synthetic_stack_needs_at_least_one_service():
    with pytest.raises(ValueError, match="at least 1"):
        synthetic_document(0)


def _resources_per_service(run) -> tuple[Counter, int]:
    """(service key -> resources under its component, resources outside any service)."""
    components = {r.urn: r.name for r in run.registrations if r.type == "z360:ecs:ScalableService"}
    parents = {r.urn: r.parent for r in run.registrations}
    per_service: Counter = Counter()
    outside = 0
    for registration in run.registrations:
        urn = registration.urn
        while urn and urn not in components:
            urn = parents.get(urn, "")
        if urn:
            per_service[components[urn]] += 1
        else:
            outside += 1
    return per_service, outside


def test_ten_services_register_what_their_templates_do(tmp_path, beta_run):
    beta_per_service, beta_outside = _resources_per_service(beta_run)
    run = run_program("beta", stack_file=write_synthetic_stack(10, tmp_path))
    per_service, outside = _resources_per_service(run)

    assert len(per_service) == 10
    for key, count in per_service.items():
        assert count == beta_per_service[template_of(key)], key
    # Stack-wide resources (topic, clusters, budget, dashboard) do not grow with services.
    assert outside == beta_outside
    expected = beta_outside + sum(beta_per_service[template_of(k)] for k in per_service)
    assert len(run.registrations) == expected


def test_floor_registers_a_plain_resource_per_resource_with_the_same_inputs(tmp_path, beta_run):
    from bench.run import FLOOR_DIR, _floor_stack, _plain

    beta = beta_run
    floor = run_program("floor", project_dir=FLOOR_DIR, stack_file=_floor_stack(beta, tmp_path))

    assert len(floor.registrations) == len(beta.registrations)
    assert {r.type for r in floor.resources} == {"bench:index:Resource"}
    # Registrations reach the engine asynchronously: compare as sets, not sequences.
    def shapes(resources, convert):
        return sorted((r.name, json.dumps(convert(r.inputs), sort_keys=True)) for r in resources)

    assert shapes(floor.resources, lambda inputs: inputs) == shapes(beta.resources, _plain)


def test_noop_pack_answers_with_policies_that_report_nothing(beta_run):
    from bench.run import NOOP_PACK_DIR
    from z360_ecs.engine.analyzer import PolicyPackProcess, analyze_run

    run = beta_run
    with PolicyPackProcess(NOOP_PACK_DIR) as pack:
        findings = analyze_run(run, pack=pack)
        assert set(pack.info.policies) == {"checks-nothing", "checks-nothing-stack"}
    assert findings == []
