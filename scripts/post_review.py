#!/usr/bin/env python3
"""Post what the workflows find where the team reads it, through the GitHub CLI (`gh api`).

  post_review.py comment --repo OWNER/NAME --pr N --body FILE [--summary-only]
      The `z360-ecs review` markdown as ONE comment on the pull request, found again by a
      hidden marker and edited in place on every push, never a second one. A body that
      reviews no stack creates nothing (an existing comment is still brought up to date).
      --summary-only (a pull request from a fork: its token is read-only) writes it to the
      job summary instead; a token refused with HTTP 403 falls back to the same.
  post_review.py drift --repo OWNER/NAME --results DIR [--stacks a,b] [--run-url URL]
      The nightly drift check of each stack (DIR/<stack>/preview.rc|.log, adopt.rc|.log) as
      ONE issue kept up to date: opened on the first drift or error, edited while it lasts,
      closed with a clean report when every stack agrees again.

The body is also appended to $GITHUB_STEP_SUMMARY when it is set. Standard library only:
the workflows run it before anything else is installed, and the tests run it with `gh`
replaced by a recorder. Exit 0: posted (or nothing to post); 1: `gh` failed; 2: bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REVIEW_MARKER = "<!-- z360-ecs-review -->"
DRIFT_MARKER = "<!-- z360-ecs-drift -->"
# The last line `z360-ecs review` prints (z360_ecs/commands/review.py, STACKS_LINE).
STACKS_LINE = re.compile(r"<!-- z360-ecs review stacks: ?([^ ]*) -->")
# GitHub refuses a comment or issue body over 65,536 characters.
MAX_BODY = 65_000
# `pulumi preview --expect-no-changes` on changes: "no changes were expected but changes were
# proposed" (pulumi/pulumi pkg/backend/errors.go, NoChangesExpectedError), "... occurred" in
# older CLIs; any other failure is an error, not drift.
NO_CHANGES_EXPECTED = re.compile(r"no changes were expected( for [^ ]+)? but changes")


class GhError(Exception):
    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(f"gh {' '.join(args)} exited {code}: {stderr.strip()}")
        self.forbidden = "HTTP 403" in stderr


def gh(*args: str) -> str:
    result = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GhError(args, result.returncode, result.stderr)
    return result.stdout


def _values(text: str) -> list[Any]:
    """Every item of `gh api --paginate`'s output: one JSON array per page, back to back."""
    decoder, items, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        value, index = decoder.raw_decode(text, index)
        items.extend(value if isinstance(value, list) else [value])
    return items


def _with_body(body: str, *args: str) -> str:
    """`gh api ... -F body=@FILE`: the body travels in a file, never on the command line."""
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as file:
        file.write(body)
    try:
        return gh(*args, "-F", f"body=@{file.name}")
    finally:
        os.unlink(file.name)


def _fit(body: str) -> str:
    if len(body) <= MAX_BODY:
        return body
    note = "\n\n_(cut to fit GitHub's limit: the whole text is in the workflow run's summary)_\n"
    return body[:MAX_BODY - len(note)] + note


def write_summary(body: str) -> bool:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(body.rstrip("\n") + "\n")
    return True


# --- the pull-request comment ------------------------------------------------------------


def reviewed_stacks(body: str) -> list[str] | None:
    """The stacks a `z360-ecs review` body reviews; None when it does not say."""
    match = STACKS_LINE.search(body)
    if match is None:
        return None
    return [s for s in match.group(1).split(",") if s]


def post_comment(repo: str, pr: int, text: str, summary_only: bool = False) -> str:
    """Create or edit the one review comment; returns what was done."""
    body = _fit(f"{REVIEW_MARKER}\n{text}")
    write_summary(text)
    if summary_only:
        return "summary: a pull request from a fork gets a read-only token"
    try:
        comments = _values(gh("api", "--paginate", f"repos/{repo}/issues/{pr}/comments"))
        mine = [c for c in comments if str(c.get("body", "")).startswith(REVIEW_MARKER)]
        if mine:
            _with_body(body, "api", "--method", "PATCH",
                       f"repos/{repo}/issues/comments/{mine[0]['id']}")
            return f"edited comment {mine[0]['id']}"
        if reviewed_stacks(text) == []:
            return "nothing to post: the change touches no stack"
        created = json.loads(_with_body(body, "api", "--method", "POST",
                                        f"repos/{repo}/issues/{pr}/comments") or "{}")
        return f"created comment {created.get('id', '')}".rstrip()
    except GhError as exc:
        if exc.forbidden:
            return "summary: the token may not comment (HTTP 403)"
        raise


# --- the drift issue ---------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    """ok, drift, error or not run."""
    log: str


@dataclass(frozen=True)
class StackDrift:
    stack: str
    preview: Check
    adopt: Check

    @property
    def state(self) -> str:
        states = {self.preview.state, self.adopt.state}
        for state in ("error", "drift", "not run"):
            if state in states:
                return state
        return "ok"


def _read(folder: Path, name: str) -> tuple[int | None, str]:
    rc, log = folder / f"{name}.rc", folder / f"{name}.log"  # absent: not run
    code = None
    if rc.is_file():
        try:
            code = int(rc.read_text().strip())
        except ValueError:
            code = None
    return code, log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""


def read_results(results: Path, expected: Sequence[str] = ()) -> list[StackDrift]:
    """One StackDrift per folder of `results` (the drift job's artifact of each stack), and
    per `expected` stack without one (its job did not get that far: not run)."""
    stacks = []
    names = sorted({p.name for p in results.iterdir() if p.is_dir()} | set(expected))
    for folder in (results / name for name in names):
        code, log = _read(folder, "preview")
        if code is None:
            preview = Check("pulumi preview --refresh --expect-no-changes", "not run", log)
        elif code == 0:
            preview = Check("pulumi preview --refresh --expect-no-changes", "ok", log)
        else:
            state = "drift" if NO_CHANGES_EXPECTED.search(log) else "error"
            preview = Check("pulumi preview --refresh --expect-no-changes", state, log)
        code, log = _read(folder, "adopt")
        # z360-ecs adopt --check: 0 agreed, 1 disagreement or a replace in the plan, 2 error.
        adopt_state = {None: "not run", 0: "ok", 1: "drift"}.get(code, "error")
        stacks.append(StackDrift(folder.name, preview,
                                 Check("z360-ecs adopt --check", adopt_state, log)))
    return stacks


def _tail(log: str, lines: int = 60) -> str:
    kept = log.rstrip("\n").splitlines()[-lines:]
    return "\n".join(line.replace("```", "'''") for line in kept)


def drift_body(stacks: Sequence[StackDrift], run_url: str | None) -> str:
    lines = [DRIFT_MARKER, "## Nightly drift check", ""]
    if all(s.state == "ok" for s in stacks):
        lines.append("Every stack agrees with the live estate: no drift.")
    else:
        lines.append("The live estate differs from the stacks (or the check could not run). "
                     "A change made in the console is undone by the next `pulumi up`: make "
                     "it in the stack file, or put it back (docs/operations.md#nightly-drift-check).")
    lines += ["", "| Stack | `pulumi preview --refresh --expect-no-changes` | "
              "`z360-ecs adopt --check` |", "|---|---|---|"]
    lines += [f"| {s.stack} | {s.preview.state} | {s.adopt.state} |" for s in stacks]
    for s in stacks:
        for check in (s.preview, s.adopt):
            if check.state in ("drift", "error") and check.log:
                lines += ["", f"<details><summary>{s.stack}: {check.name} ({check.state})"
                          "</summary>", "", "```", _tail(check.log), "```", "", "</details>"]
    if run_url:
        lines += ["", f"Run: {run_url}"]
    return "\n".join(lines) + "\n"


def post_drift(repo: str, stacks: Sequence[StackDrift], run_url: str | None = None) -> str:
    body = _fit(drift_body(stacks, run_url))
    write_summary(body)
    bad = [s.stack for s in stacks if s.state != "ok"]
    issues = _values(gh("api", "--paginate", f"repos/{repo}/issues?state=open&per_page=100"))
    open_issues = [i for i in issues if "pull_request" not in i
                   and str(i.get("body", "")).startswith(DRIFT_MARKER)]
    title = f"Drift: {', '.join(bad)}" if bad else "Drift: none"
    if open_issues:
        number = open_issues[0]["number"]
        extra = ["-f", "state=closed"] if not bad else []
        _with_body(body, "api", "--method", "PATCH", f"repos/{repo}/issues/{number}",
                   "-f", f"title={title}", *extra)
        return f"{'closed' if not bad else 'edited'} issue {number}"
    if not bad:
        return "no drift, no open issue"
    created = json.loads(_with_body(body, "api", "--method", "POST", f"repos/{repo}/issues",
                                    "-f", f"title={title}") or "{}")
    return f"created issue {created.get('number', '')}".rstrip()


# --- command -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    comment = commands.add_parser("comment", help="the review as one pull-request comment")
    comment.add_argument("--repo", required=True)
    comment.add_argument("--pr", type=int, required=True)
    comment.add_argument("--body", type=Path, required=True)
    comment.add_argument("--summary-only", action="store_true")
    drift = commands.add_parser("drift", help="the nightly drift check as one issue")
    drift.add_argument("--repo", required=True)
    drift.add_argument("--results", type=Path, required=True)
    drift.add_argument("--stacks", default="",
                       help="comma-separated stacks the run checks (one missing is 'not run')")
    drift.add_argument("--run-url", default=None)
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", args.repo):
        print(f"error: --repo {args.repo!r}: expected OWNER/NAME", file=sys.stderr)
        return 2
    try:
        if args.command == "comment":
            try:
                text = args.body.read_text(encoding="utf-8")
            except OSError as exc:
                print(f"error: --body {args.body}: {exc.strerror}", file=sys.stderr)
                return 2
            print(post_comment(args.repo, args.pr, text, args.summary_only))
        else:
            if not args.results.is_dir():
                print(f"error: --results {args.results}: not a folder", file=sys.stderr)
                return 2
            expected = [s for s in args.stacks.split(",") if s]
            print(post_drift(args.repo, read_results(args.results, expected), args.run_url))
    except GhError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
