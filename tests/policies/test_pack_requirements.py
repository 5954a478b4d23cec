"""policies/requirements.txt pins exactly what uv.lock holds, so the pack's own environment
(policies/venv, and what `pulumi policy publish` installs) is the one the tests ran with."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import policies

PACK_DIR = Path(policies.__file__).resolve().parent
LOCK = PACK_DIR.parent / "uv.lock"
REQUIREMENTS = PACK_DIR / "requirements.txt"
ROOT_REQUIREMENT = "pulumi-policy"


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        assert separator and version and re.fullmatch(r"[A-Za-z0-9._-]+", name), (
            f"{line!r} is not an exact pin (name==version)")
        pins[_normal(name)] = version.strip()
    return pins


def _locked() -> dict[str, dict]:
    lock = tomllib.loads(LOCK.read_text())
    return {_normal(package["name"]): package for package in lock["package"]}


def _closure(locked: dict[str, dict], root: str) -> set[str]:
    """`root` and everything it needs, by uv.lock's dependency lists."""
    seen: set[str] = set()
    todo = [_normal(root)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_normal(dep["name"]) for dep in locked[name].get("dependencies", []))
    return seen


def test_every_pin_is_the_version_uv_lock_holds():
    locked = _locked()
    wrong = {name: (version, locked.get(name, {}).get("version"))
             for name, version in _pins().items()
             if locked.get(name, {}).get("version") != version}
    assert wrong == {}, "requirements.txt pin vs uv.lock (None: not in uv.lock)"


def test_the_pins_are_the_packs_sdk_and_everything_it_needs():
    assert set(_pins()) == _closure(_locked(), ROOT_REQUIREMENT)


def _third_party_imports() -> set[str]:
    names = set()
    for path in PACK_DIR.rglob("*.py"):
        if "venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_package_the_pack_imports_is_pinned():
    providers = packages_distributions()
    own = {"guardrails", "policies"}  # the pack itself, run as a script or as a package
    imported = {name for name in _third_party_imports() - own if name in providers}
    unpinned = {name: providers[name] for name in imported
                if not {_normal(d) for d in providers[name]} & set(_pins())}
    assert imported, "the pack imports no installed package? the scan is broken"
    assert unpinned == {}
