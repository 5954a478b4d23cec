"""`z360-ecs check STACK`: the policy pack on a stack's preview, with no cloud.

Runs the real `__main__.py` in preview under the mock engine, starts the pack as `pulumi`
does (its own process, from policies/venv when it exists; it starts while the program runs) and
sends it every resource over the real gRPC Analyzer protocol. Prints what the program noted
(e.g. that offline the breaker's record is not read) under the header, then findings by level
(mandatory first) and resource.

The pack's thresholds come from `policies/config/<stack>.json` when the project has it (the
file the workflows pass to `pulumi preview --policy-pack-config`), or from
`--policy-pack-config FILE`; the file is checked against the pack's config schemas and a bad
key is refused with its path (engine/pack_config.py).
Exit 0: nothing mandatory; 1: a mandatory violation; 2: bad stack or pack config.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from z360_ecs.common import add_stack_arguments
from z360_ecs.engine import pack_config
from z360_ecs.engine.analyzer import (
    Finding,
    LiveAnalysis,
    PackConfigError,
    PackError,
    PolicyPackProcess,
    sort_findings,
)
from z360_ecs.engine.program import rare_full_collections, run_or_report


def _heading(finding: Finding) -> str:
    if finding.unknown_during_preview:
        return "not checked during preview (values known only once AWS creates them)"
    return finding.level


def render_text(stack: str, pack: PolicyPackProcess, findings: list[Finding], count: int,
                config_source: str = pack_config.DEFAULTS.source,
                notes: Iterable[str] = ()) -> str:
    info = pack.info
    assert info is not None
    lines = [
        f"z360-ecs check {stack}: policy pack {info.name} {info.version}, "
        f"{len(info.policies)} policies, {count} resources (pack python: {pack.python_source}; "
        f"config: {config_source})",
        *(f"note: {note}" for note in notes),
    ]
    heading = resource = None
    for finding in sort_findings(findings):
        if _heading(finding) != heading:
            heading, resource = _heading(finding), None
            lines.append("")
            lines.append(heading.upper() if not finding.unknown_during_preview else heading)
        if finding.urn != resource:
            resource = finding.urn
            lines.append(f"  {finding.resource_type}  {finding.resource_name}")
        message = finding.message.replace("\n", "\n      ")
        lines.append(f"    [{finding.policy}] {message}")
    lines.append("")
    lines.append(_summary(findings))
    return "\n".join(lines) + "\n"


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {"mandatory": 0, "advisory": 0, "unknownDuringPreview": 0}
    for finding in findings:
        if finding.unknown_during_preview:
            counts["unknownDuringPreview"] += 1
        elif finding.blocking:
            counts["mandatory"] += 1
        else:
            counts["advisory"] += 1
    return counts


def _summary(findings: list[Finding]) -> str:
    counts = _counts(findings)
    verdict = "BLOCKED: fix the mandatory violations" if counts["mandatory"] else "passed"
    return (
        f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, "
        f"{counts['unknownDuringPreview']} not checked during preview: {verdict}"
    )


def render_json(stack: str, pack: PolicyPackProcess, findings: list[Finding], count: int,
                config_source: str = pack_config.DEFAULTS.source) -> str:
    info = pack.info
    assert info is not None
    counts = _counts(findings)
    document = {
        "stack": stack,
        "pack": {
            "name": info.name,
            "version": info.version,
            "python": pack.python,
            "pythonSource": pack.python_source,
            "config": config_source,
            "policies": info.policies,
        },
        "resourceCount": count,
        "findings": [
            {
                "policy": f.policy,
                "level": f.level,
                "unknownDuringPreview": f.unknown_during_preview,
                "blocking": f.blocking,
                "message": f.message,
                "urn": f.urn,
                "resourceName": f.resource_name,
                "resourceType": f.resource_type,
            }
            for f in sort_findings(findings)
        ],
        "summary": counts,
        "blocked": counts["mandatory"] > 0,
    }
    return json.dumps(document, indent=2) + "\n"


def handle(args: argparse.Namespace) -> int:
    try:
        config = pack_config.for_stack(args.project_dir, args.stack, args.policy_pack_config)
    except PackConfigError as exc:
        print(f"error: policy pack config {exc}", file=sys.stderr)
        return 2
    try:
        # The pack starts, is configured, and analyses each resource while the program runs.
        with rare_full_collections(), PolicyPackProcess(connect=False) as pack, \
                LiveAnalysis(pack, config.values, config.source) as analysis:
            # Text prints the program's notes under its header; JSON keeps stdout the machine's.
            run = run_or_report(args, preview=True, echo_notes=args.json, last_in_process=True,
                                observer=analysis)
            if run is None:
                return 2
            findings = analysis.findings(run)
    except PackConfigError as exc:
        print(f"error: invalid policy pack config:\n{exc}", file=sys.stderr)
        return 2
    except PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(render_json(args.stack, pack, findings, len(run.resources), config.source))
    else:
        sys.stdout.write(render_text(args.stack, pack, findings, len(run.resources), config.source,
                                     run.notes))
    return 1 if any(f.blocking for f in findings) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="run the guardrails policy pack on a stack, as `pulumi preview --policy-pack` would",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument(
        "--policy-pack-config", type=Path, default=None, metavar="FILE",
        help="JSON policy config, as `pulumi preview --policy-pack-config FILE` takes it "
             "(default: policies/config/<stack>.json when it exists)",
    )
    parser.set_defaults(handler=handle)
