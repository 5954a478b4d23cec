"""Policy config merged as the CLI merges it: schema defaults, initial config, the file."""

from __future__ import annotations

import pytest

from z360_ecs.engine.analyzer import PackConfigError, PackInfo, merge_config

INFO = PackInfo(
    name="pack", version="1",
    policies={
        "ceiling": {"level": "mandatory", "description": "", "type": "resource",
                    "schema": {"properties": {
                        "limit": {"type": "integer", "minimum": 0, "default": 10},
                        "map": {"type": "object", "additionalProperties": {"type": "integer"},
                                "default": {"web": 50}}}}},
        "hint": {"level": "advisory", "description": "", "type": "resource",
                 "schema": {"properties": {}}},
    },
    initial_config={"ceiling": {"limit": 20}},
)


def test_defaults_then_initial_config_then_file_and_every_policy_has_a_level():
    merged = merge_config(INFO, {"ceiling": {"map": {"web": 60}}})
    assert merged == {
        "ceiling": {"enforcementLevel": "mandatory", "limit": 20, "map": {"web": 60}},
        "hint": {"enforcementLevel": "advisory"},
    }


def test_all_sets_every_level_and_a_named_policy_overrides_it():
    merged = merge_config(INFO, {"hint": "mandatory", "all": "disabled"})
    assert merged["ceiling"]["enforcementLevel"] == "disabled"
    assert merged["hint"]["enforcementLevel"] == "mandatory"


@pytest.mark.parametrize("config, expected", [
    ({"nope": "advisory"}, "'nope' is not a policy of pack (allowed: all, ceiling, hint)"),
    ({"ceiling": {"limit": "ten"}}, "f: ceiling.limit: 'ten' is not allowed: expected integer"),
    ({"ceiling": {"limit": -1}}, "f: ceiling.limit: -1 is below the minimum 0"),
    ({"ceiling": {"map": {"web": "x"}}}, "f: ceiling.map.web: 'x' is not allowed"),
    ({"ceiling": {"limt": 3}}, "f: ceiling.limt: unknown setting (allowed: enforcementLevel, "
                               "limit, map)"),
    ({"ceiling": "strict"}, "f: ceiling.enforcementLevel: 'strict' is not allowed"),
])
def test_bad_config_names_the_key_the_value_and_what_is_allowed(config, expected):
    with pytest.raises(PackConfigError) as error:
        merge_config(INFO, config, source="f")
    assert expected in str(error.value)
