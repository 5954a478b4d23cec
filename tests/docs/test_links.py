"""Every relative link in README.md and docs/*.md points at a file that exists, and at a heading
of it when the link names one (anchors as GitHub renders them)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The file's lines outside fenced code blocks, with inline code removed."""
    lines, fence = [], None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        marker = re.match(r"^\s*(```+|~~~+)", line)
        if marker:
            if fence is None:
                fence = marker.group(1)[:3]
            elif marker.group(1).startswith(fence):
                fence = None
            continue
        if fence is None:
            lines.append((number, _CODE_SPAN.sub("", line)))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    fence = None
    for line in path.read_text().splitlines():
        marker = re.match(r"^\s*(```+|~~~+)", line)
        if marker:
            fence = None if fence else marker.group(1)[:3]
            continue
        match = _HEADING.match(line) if fence is None else None
        if match:
            base = slug(match.group(2))
            seen = counts.get(base, 0)
            counts[base] = seen + 1
            found.add(base if seen == 0 else f"{base}-{seen}")
    return found


def relative_links(path: Path) -> list[tuple[int, str]]:
    links = []
    for number, line in prose_lines(path):
        for target in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # https:, mailto: and the like
            links.append((number, target))
    return links


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document: Path):
    broken = []
    for number, target in relative_links(document):
        file_part, _, anchor = target.partition("#")
        destination = (document.parent / unquote(file_part)).resolve() if file_part else document
        where = f"{document.relative_to(ROOT)}:{number}: {target}"
        if not destination.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and destination.suffix == ".md" and unquote(anchor) not in anchors(destination):
            broken.append(f"{where} (no heading #{anchor} in {destination.name})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_docs_are_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve()
              for _, target in relative_links(ROOT / "README.md")}
    unlinked = [p.name for p in DOCUMENTS[1:] if p.resolve() not in linked]
    assert not unlinked, f"docs not reachable from README.md: {unlinked}"


def test_a_link_to_a_missing_file_or_heading_is_caught(tmp_path: Path):
    """The check itself: a broken file and a broken anchor are both found."""
    (tmp_path / "a.md").write_text("# Top\n\n## Two words\n\n```\n# not a heading\n```\n")
    assert anchors(tmp_path / "a.md") == {"top", "two-words"}
    page = tmp_path / "b.md"
    page.write_text("[ok](a.md#two-words) [gone](c.md) `[code](x.md)`\n```\n[fenced](y.md)\n```\n")
    assert [t for _, t in relative_links(page)] == ["a.md#two-words", "c.md"]
