"""The `simulate --chart` SVG: one well-formed drawing whose task line follows the simulation."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.support.configs import beta_config
from z360_ecs.commands.simulate_chart import render_svg
from z360_ecs.models.target_tracking import Assumptions, ServiceModel, parse_profile, simulate

SVG = "{http://www.w3.org/2000/svg}"


def _result(profile: str):
    web = ServiceModel.from_config("web", beta_config().services["web"])
    return simulate(web, parse_profile(profile), 30, Assumptions(), profile)


def test_the_chart_is_svg_of_the_requested_size_with_a_line_per_series():
    root = ET.fromstring(render_svg(_result("step:10x@5"), width=640, height=300))
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("640", "300")
    assert len(root.findall(f".//{SVG}path")) >= 3


def test_a_step_draws_a_different_task_line_than_a_flat_load():
    step, flat = render_svg(_result("step:10x@5")), render_svg(_result("flat:1x"))
    paths = lambda svg: re.findall(r' d="([^"]+)"', svg)  # noqa: E731
    assert paths(step) != paths(flat)
