"""scripts/post_review.py with `gh` replaced by a recorder: one review comment, created then
edited, never a second; forks and read-only tokens get the job summary; one drift issue,
opened, kept up to date and closed."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "post_review.py"
REPO = "z360/z360-ecs"


def _script_module() -> Any:
    """scripts/post_review.py as a module, its `main` called here rather than in a new
    interpreter each time (`python post_review.py` itself: test_another_gh_failure_exits_1)."""
    name = "tests_scripts_post_review_under_test"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses looks its module up
    spec.loader.exec_module(module)
    return module


POST_REVIEW = _script_module()

# A stand-in for `gh api`: GitHub's comments and issues in a JSON file, every call recorded.
RECORDER = r'''
import json, os, re, sys
state_path = os.environ["GH_RECORDER_STATE"]
state = json.load(open(state_path))
args = sys.argv[1:]
state["calls"].append(args)

def save():
    json.dump(state, open(state_path, "w"))

fail = os.environ.get("GH_RECORDER_FAIL")
if fail:
    save()
    sys.stderr.write(fail + "\n")
    sys.exit(1)
assert args[0] == "api", args
method, fields, rest = "GET", {}, []
i = 1
while i < len(args):
    if args[i] == "--method":
        method = args[i + 1]; i += 2
    elif args[i] in ("-f", "-F"):
        key, _, value = args[i + 1].partition("=")
        if args[i] == "-F" and value.startswith("@"):
            value = open(value[1:]).read()
        fields[key] = value; i += 2
    elif args[i] == "--paginate":
        i += 1
    else:
        rest.append(args[i]); i += 1
(path,) = rest
m = re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
if m and method == "GET":
    found = [c for c in state["comments"] if c["issue"] == int(m.group(1))]
    half = len(found) // 2  # two pages, as --paginate prints them
    print(json.dumps(found[:half]) + json.dumps(found[half:]))
elif m and method == "POST":
    comment = {"id": 1000 + len(state["comments"]), "issue": int(m.group(1)),
               "body": fields["body"], "user": {"login": "github-actions[bot]"}}
    state["comments"].append(comment)
    print(json.dumps(comment))
elif (m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path)) and method == "PATCH":
    comment = next(c for c in state["comments"] if c["id"] == int(m.group(1)))
    comment["body"] = fields["body"]
    print(json.dumps(comment))
elif path.startswith("repos/") and "/issues?" in path and method == "GET":
    print(json.dumps([i for i in state["issues"] if i["state"] == "open"]))
elif re.fullmatch(r"repos/[^/]+/[^/]+/issues", path) and method == "POST":
    issue = {"number": 1 + len(state["issues"]), "state": "open", **fields}
    state["issues"].append(issue)
    print(json.dumps(issue))
elif (m := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)", path)) and method == "PATCH":
    issue = next(i for i in state["issues"] if i["number"] == int(m.group(1)))
    issue.update(fields)
    print(json.dumps(issue))
else:
    sys.stderr.write(f"recorder: unexpected {method} {path}\n")
    sys.exit(3)
save()
'''


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_path = folder / "state.json"
        self.state_path.write_text(json.dumps({"calls": [], "comments": [], "issues": []}))
        bin_dir = folder / "bin"
        bin_dir.mkdir()
        gh = bin_dir / "gh"
        gh.write_text(f"#!{sys.executable}\n{RECORDER}")
        gh.chmod(0o755)
        self.summary = folder / "summary.md"
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                    "GH_RECORDER_STATE": str(self.state_path),
                    "GITHUB_STEP_SUMMARY": str(self.summary)}

    @property
    def state(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text())

    def seed(self, **items: list[dict[str, Any]]) -> None:
        state = self.state
        for key, values in items.items():
            state[key].extend(values)
        self.state_path.write_text(json.dumps(state))

    def _env(self, fail: str | None) -> dict[str, str]:
        env = dict(self.env)
        if fail:
            env["GH_RECORDER_FAIL"] = fail
        return env

    def run(self, *argv: str, fail: str | None = None) -> subprocess.CompletedProcess[str]:
        """post_review.py's `main(argv)` in this process, in the environment the script would
        get (`gh` the recorder, still a process of its own); its exit code and output."""
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.dict(os.environ, self._env(fail), clear=True), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = POST_REVIEW.main(list(argv))
            except SystemExit as exc:  # argparse's refusals
                code = exc.code if isinstance(exc.code, int) else 1
        return subprocess.CompletedProcess(["post_review.py", *argv], code, out.getvalue(),
                                           err.getvalue())

    def run_script(self, *argv: str, fail: str | None = None) -> subprocess.CompletedProcess[str]:
        """`python post_review.py ARGV` as the workflows run it."""
        return subprocess.run([sys.executable, str(SCRIPT), *argv], env=self._env(fail),
                              capture_output=True, text=True, check=False)


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    return Recorder(tmp_path)


def _body(folder: Path, text: str, stacks: str = "beta") -> Path:
    path = folder / f"review-{abs(hash(text))}.md"
    path.write_text(f"## z360-ecs review against `main`\n\n{text}\n\n"
                    f"<!-- z360-ecs review stacks: {stacks} -->\n")
    return path


def _comment(recorder: Recorder, body: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return recorder.run("comment", "--repo", REPO, "--pr", "7", "--body", str(body), *extra)


def _methods(recorder: Recorder) -> list[str]:
    calls = recorder.state["calls"]
    return [call[call.index("--method") + 1] if "--method" in call else "GET" for call in calls]


def test_one_comment_created_then_edited_never_a_second(recorder: Recorder, tmp_path: Path):
    recorder.seed(comments=[{"id": 1, "issue": 7, "body": "Looks good to me",
                             "user": {"login": "someone"}},
                            {"id": 2, "issue": 8, "body": "<!-- z360-ecs-review -->\nother PR",
                             "user": {"login": "github-actions[bot]"}}])
    first = _comment(recorder, _body(tmp_path, "### beta: +$360.40 a month at worst case"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created comment")
    second = _comment(recorder, _body(tmp_path, "### beta: +$720.80 a month at worst case"))
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("edited comment")
    third = _comment(recorder, _body(tmp_path, "### beta: no change in monthly cost"))
    assert third.stdout.startswith("edited comment")
    on_pr = [c for c in recorder.state["comments"] if c["issue"] == 7]
    assert len(on_pr) == 2, "the reviewer's own comment and exactly one review comment"
    (review,) = [c for c in on_pr if c["body"].startswith("<!-- z360-ecs-review -->")]
    assert "no change in monthly cost" in review["body"]
    assert _methods(recorder) == ["GET", "POST", "GET", "PATCH", "GET", "PATCH"]
    assert "Looks good to me" == on_pr[0]["body"], "another comment is never touched"
    assert "+$720.80" in recorder.summary.read_text(), "the job summary has it too"


def test_a_change_that_touches_no_stack_creates_nothing_but_updates_an_old_comment(
        recorder: Recorder, tmp_path: Path):
    untouched = _body(tmp_path, "No stack is touched by this change", stacks="")
    result = _comment(recorder, untouched)
    assert result.returncode == 0 and "nothing to post" in result.stdout
    assert recorder.state["comments"] == []
    _comment(recorder, _body(tmp_path, "### beta: +$360.40"))
    _comment(recorder, untouched)
    (comment,) = recorder.state["comments"]
    assert "No stack is touched" in comment["body"], "a reverted change is not left stale"


def test_a_fork_gets_the_job_summary_and_no_call(recorder: Recorder, tmp_path: Path):
    result = _comment(recorder, _body(tmp_path, "### beta: +$360.40"), "--summary-only")
    assert result.returncode == 0 and result.stdout.startswith("summary")
    assert recorder.state["calls"] == []
    assert "### beta: +$360.40" in recorder.summary.read_text()


def test_a_read_only_token_falls_back_to_the_job_summary(recorder: Recorder, tmp_path: Path):
    result = recorder.run("comment", "--repo", REPO, "--pr", "7", "--body",
                          str(_body(tmp_path, "### beta")),
                          fail="gh: Resource not accessible by integration (HTTP 403)")
    assert result.returncode == 0 and "HTTP 403" in result.stdout
    assert "### beta" in recorder.summary.read_text()


def test_another_gh_failure_exits_1(recorder: Recorder, tmp_path: Path):
    result = recorder.run_script("comment", "--repo", REPO, "--pr", "7", "--body",
                          str(_body(tmp_path, "### beta")), fail="gh: HTTP 502")
    assert result.returncode == 1 and "HTTP 502" in result.stderr


def test_bad_input_exits_2(recorder: Recorder, tmp_path: Path):
    assert recorder.run("comment", "--repo", "no slash", "--pr", "7", "--body",
                        str(_body(tmp_path, "x"))).returncode == 2
    assert recorder.run("comment", "--repo", REPO, "--pr", "7", "--body",
                        str(tmp_path / "missing.md")).returncode == 2
    assert recorder.state["calls"] == []


# --- the nightly drift issue ---------------------------------------------------------------


def _results(folder: Path, **stacks: tuple[int | None, str, int | None, str]) -> Path:
    results = folder / f"results-{len(list(folder.glob('results-*')))}"
    for stack, (preview_rc, preview_log, adopt_rc, adopt_log) in stacks.items():
        target = results / stack
        target.mkdir(parents=True)
        for name, rc, log in (("preview", preview_rc, preview_log), ("adopt", adopt_rc, adopt_log)):
            if rc is not None:
                (target / f"{name}.rc").write_text(f"{rc}\n")
                (target / f"{name}.log").write_text(log)
    return results


DRIFTED = (255, "~ aws:appautoscaling/target:Target web-scaling-target update\n"
                "error: no changes were expected but changes were proposed\n", 0, "agreed\n")
CLEAN = (0, "Resources:\n    98 unchanged\n", 0, "agreed\n")


def test_drift_opens_one_issue_keeps_it_up_to_date_and_closes_it(recorder: Recorder,
                                                                 tmp_path: Path):
    first = recorder.run("drift", "--repo", REPO, "--results",
                         str(_results(tmp_path, beta=DRIFTED, staging=CLEAN)))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created issue 1")
    second = recorder.run("drift", "--repo", REPO, "--results", str(_results(
        tmp_path, beta=DRIFTED, staging=(0, "", 1, "services.web.image: live differs\n"))))
    assert second.stdout.startswith("edited issue 1")
    (issue,) = recorder.state["issues"]
    assert issue["title"] == "Drift: beta, staging"
    assert "| beta | drift | ok |" in issue["body"] and "| staging | ok | drift |" in issue["body"]
    assert "web-scaling-target update" in issue["body"]
    third = recorder.run("drift", "--repo", REPO, "--results",
                         str(_results(tmp_path, beta=CLEAN, staging=CLEAN)))
    assert third.stdout.startswith("closed issue 1")
    (issue,) = recorder.state["issues"]
    assert issue["state"] == "closed" and "no drift" in issue["body"]
    fourth = recorder.run("drift", "--repo", REPO, "--results",
                          str(_results(tmp_path, beta=CLEAN, staging=CLEAN)))
    assert fourth.stdout.startswith("no drift, no open issue")
    assert len(recorder.state["issues"]) == 1


def test_a_failed_preview_is_an_error_not_drift(recorder: Recorder, tmp_path: Path):
    result = recorder.run("drift", "--repo", REPO, "--stacks", "staging,beta,prod", "--results",
                          str(_results(tmp_path, beta=(255, "error: getting stack: 403 Forbidden\n",
                                                       2, "error: no credentials\n"),
                                       staging=(None, "", None, ""))))
    assert result.returncode == 0, result.stderr
    (issue,) = recorder.state["issues"]
    assert "| beta | error | error |" in issue["body"]
    assert "| staging | not run | not run |" in issue["body"]
    assert "| prod | not run | not run |" in issue["body"], "a job that uploaded nothing"
