"""The `z360-ecs review` comment: what changed in a stack, its money, the pack's findings and the
first `up`'s plan, as markdown (the pull-request comment) and as JSON.

Pure functions over a Review (both sides gathered by commands/review.py): money from
stack_model/pricing.py (the one pricing), the plan from engine/diff.py (the one replace table).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from policies.guardrails.facts.schedule import HOURS_PER_WEEK
from stack_model import pricing as costing
from stack_model.config import ServiceConfig, StackConfig
from stack_model.pricing import money, money_json
from z360_ecs.engine import pack_config
from z360_ecs.engine.analyzer import Finding, sort_findings
from z360_ecs.engine.diff import ProgramDiff, ResourceChange, diff_runs, flatten
from z360_ecs.engine.program import ProgramRun
from z360_ecs.models import resolution

# --- the two sides -----------------------------------------------------------------------


@dataclass
class Side:
    """A stack at one revision: its config, its program run and the pack's findings."""

    label: str
    config: StackConfig | None
    """None: the stack has no file there, or it does not validate (see notes)."""
    run: ProgramRun | None
    findings: list[Finding] | None
    """None: the pack could not be run on this side."""
    pack_source: str = pack_config.DEFAULTS.source
    absent: bool = False
    """The stack has no file on this side: everything on the other side is new."""


@dataclass
class Review:
    stack: str
    base: Side
    head: Side
    reasons: list[str] = field(default_factory=list)
    """The changed paths that touch this stack."""
    notes: list[str] = field(default_factory=list)



# --- what changed, and its money ---------------------------------------------------------


def _provider(service: ServiceConfig) -> str:
    return costing.strategy_label(service)


def _seconds(value: float) -> str:
    return f"{value:g} s"


def service_fields(service: ServiceConfig) -> dict[str, str]:
    """What a reviewer reads of a service, by label, as the comment shows it."""
    fields = {
        "size": costing.size_label(service),
        "provider": _provider(service),
        "scaling": "on" if service.scaling.enabled else "off",
        "min": str(service.effective_min),
        "max": str(service.effective_max),
    }
    scaling = service.scaling
    if scaling.enabled:
        fields |= {
            "held at": "-" if scaling.hold_at is None else str(scaling.hold_at),
            "CPU target": f"{scaling.cpu_target:g} %",
            "memory target": f"{scaling.memory_target:g} %",
            "scale-out cooldown": _seconds(scaling.scale_out_cooldown),
            "scale-in cooldown": _seconds(scaling.scale_in_cooldown),
        }
    fields["metrics"] = f"{service.metric_resolution} s"
    waf = service.waf
    fields["WAF limit"] = (
        "off" if not waf.enabled else
        f"{waf.rate_limit:,} per {waf.evaluation_window} s, {waf.rate_limit_action}"
        if waf.rate_limit is not None else "on"
    )
    fields["hours"] = _hours(service)
    return fields


def _hours(service: ServiceConfig) -> str:
    """When the service runs: always, or its working hours (priced at them)."""
    schedule = service.schedule
    if schedule is None or not service.scheduled:
        return "always on"
    weekly = service.on_fraction * HOURS_PER_WEEK
    return f"{weekly:.2f} h a week: wake {schedule.wake}, sleep {schedule.sleep}, {schedule.timezone}"


# Stack-file keys (camelCase, as the stack file writes them) that service_fields shows.
_SHOWN = ("cpu", "memory", "architecture", "capacityProviderStrategy", "spotFrom", "launchType",
          "desiredCount", "scaling", "metricResolution", "waf.enabled", "waf.rateLimit",
          "waf.evaluationWindow", "waf.rateLimitAction", "schedule")


def _other_keys(before: Any, after: Any, shown: Sequence[str] = ()) -> list[str]:
    """Keys (stack-file paths) that differ between two models and that `shown` does not cover."""
    old = flatten(before.model_dump(by_alias=True, mode="json"))
    new = flatten(after.model_dump(by_alias=True, mode="json"))
    keys = []
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path) or any(
                path == s or path.startswith((f"{s}.", f"{s}[")) for s in shown):
            continue
        top = path.split("[", 1)[0]
        if top not in keys:
            keys.append(top)
    return keys


def _fixed_fees(config: StackConfig | None) -> dict[str, Decimal]:
    """Per service: the monthly fees that do not scale with tasks (its web ACL, and what its
    20 s metrics add to CloudWatch)."""
    fees: dict[str, Decimal] = {}
    if config is None:
        return fees
    for acl in costing.web_acl_costs(config):
        fees[acl.key] = fees.get(acl.key, Decimal(0)) + acl.monthly
    for extra in resolution.stack_cloudwatch_extra(config):
        fees[extra.key] = fees.get(extra.key, Decimal(0)) + extra.monthly
    return fees


@dataclass
class ServiceRow:
    key: str
    changes: list[tuple[str, str | None, str | None]]
    """(label, before, after); before None: a new service, after None: a removed one."""
    other: list[str]
    baseline: Decimal
    worst: Decimal
    fees: Decimal

    @property
    def empty(self) -> bool:
        return not (self.changes or self.other or self.baseline or self.worst or self.fees)


def service_rows(before: StackConfig | None, after: StackConfig | None) -> list[ServiceRow]:
    """One row per service that changed, in the head's stack-file order, then removed ones."""
    old = {c.key: c for c in costing.stack_costs(before)} if before else {}
    new = {c.key: c for c in costing.stack_costs(after)} if after else {}
    old_fees, new_fees = _fixed_fees(before), _fixed_fees(after)
    rows = []
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            summary = (f"{costing.size_label(b.service)}, "
                       f"{b.service.effective_min}..{b.service.effective_max} tasks")
            changes: list[tuple[str, str | None, str | None]] = [("service", None, summary)]
            other: list[str] = []
        elif b is None and a is not None:
            changes, other = [("service", "kept", None)], []
        else:
            assert a is not None and b is not None
            fa, fb = service_fields(a.service), service_fields(b.service)
            changes = [(label, fa.get(label), fb.get(label)) for label in dict.fromkeys([*fa, *fb])
                       if fa.get(label) != fb.get(label) and label in fa and label in fb]
            other = _other_keys(a.service, b.service, _SHOWN)
        row = ServiceRow(
            key=key, changes=changes, other=other,
            baseline=(b.at_baseline if b else Decimal(0)) - (a.at_baseline if a else Decimal(0)),
            worst=(b.at_max if b else Decimal(0)) - (a.at_max if a else Decimal(0)),
            fees=new_fees.get(key, Decimal(0)) - old_fees.get(key, Decimal(0)),
        )
        if not row.empty:
            rows.append(row)
    return rows


def stack_row(before: StackConfig | None, after: StackConfig | None) -> ServiceRow | None:
    """Stack-wide settings that changed (budget, cost breaker, clusters, alerts, ...)."""
    if before is None or after is None:
        return None
    changes: list[tuple[str, str | None, str | None]] = []
    old_limit, new_limit = costing.budget_limit(before), costing.budget_limit(after)
    if old_limit != new_limit:
        changes.append(("budget limit", money(old_limit) if old_limit is not None else "none",
                        money(new_limit) if new_limit is not None else "none"))
    other = [k for k in _other_keys(before, after, ("services",))
             if not (k.startswith("budget.monthlyLimit") and old_limit != new_limit)]
    if not (changes or other):
        return None
    return ServiceRow("(stack)", changes, other, Decimal(0), Decimal(0), Decimal(0))


@dataclass(frozen=True)
class Totals:
    baseline: Decimal
    worst: Decimal
    fees: Decimal
    budget: Decimal | None
    spot_baseline: costing.SpotSplit = costing.NO_TASKS
    """The baseline split by provider: its Spot share priced as a range."""
    spot_worst: costing.SpotSplit = costing.NO_TASKS
    """The worst case split by provider likewise."""


def totals(config: StackConfig | None) -> Totals:
    if config is None:
        return Totals(Decimal(0), Decimal(0), Decimal(0), None)
    costs = costing.stack_costs(config)
    return Totals(costing.total(c.at_baseline for c in costs), costing.worst_case(costs),
                  costing.total(_fixed_fees(config).values()), costing.budget_limit(config),
                  costing.baseline_split(costs), costing.worst_case_split(costs))


def spot_sentence(after: Totals) -> str:
    """The head's figures with its Spot tasks priced as a range; empty without Spot tasks."""
    if not after.spot_worst.spot_tasks:
        return ""
    worst_low, worst_high = after.spot_worst.monthly_range
    base_low, base_high = after.spot_baseline.monthly_range
    return (f" With the strategies' Fargate Spot tasks as a range ({after.spot_worst.spot_tasks} "
            f"at worst case, {after.spot_baseline.spot_tasks} at baseline): worst case "
            f"{money(worst_low)} to {money(worst_high)}, baseline {money(base_low)} to "
            f"{money(base_high)} a month.")


# --- findings and the plan ---------------------------------------------------------------


def _finding_key(finding: Finding) -> tuple[str, str, bool]:
    return finding.policy, finding.urn, finding.unknown_during_preview


def new_findings(review: Review) -> set[tuple[str, str, bool]]:
    """Keys of the head's findings the base does not have (by policy and resource); empty when
    the base's findings are unknown."""
    if review.base.findings is None or review.head.findings is None:
        return set()
    before = {_finding_key(f) for f in review.base.findings}
    return {_finding_key(f) for f in review.head.findings if _finding_key(f) not in before}


def resolved_findings(review: Review) -> list[Finding]:
    if review.base.findings is None or review.head.findings is None:
        return []
    after = {_finding_key(f) for f in review.head.findings}
    return [f for f in sort_findings(review.base.findings) if _finding_key(f) not in after]


def plan(review: Review) -> ProgramDiff | None:
    if review.head.run is None:
        return None
    base_run = review.base.run or ProgramRun(review.head.run.settings, [], {}, True)
    return diff_runs(base_run, review.head.run)


@dataclass(frozen=True)
class PlanLine:
    action: str
    """replace, delete or refused."""
    urn: str
    type: str
    name: str
    protected: bool
    detail: str


# A protected resource cannot be deleted, and a replacement deletes: `pulumi up` stops with
# "unable to replace resource ... as it is currently marked for protection" (Pulumi docs,
# iac/concepts/options/protect).
PROTECTED = "protected: `pulumi up` fails here"
PROTECTED_NOTE = ("A protected resource is never deleted, and a replacement deletes it: lift "
                  "`protect` on purpose first, or change the stack file so nothing is replaced.")


def plan_lines(review: Review, diff: ProgramDiff) -> list[PlanLine]:
    head = {r.urn: r for r in review.head.run.registrations} if review.head.run else {}
    lines = []
    for change in diff.changed:
        registration = head.get(change.urn)
        protected = bool(registration and registration.protect)
        if change.refused:
            reasons = sorted({c.refused for c in change.changes if c.refused})
            lines.append(PlanLine("refused", change.urn, change.type, change.name, protected,
                                  "; ".join(r for r in reasons if r)))
        elif change.replaces:
            paths = sorted({c.path.split(".", 1)[0].split("[", 1)[0]
                            for c in change.changes if c.replaces})
            lines.append(PlanLine("replace", change.urn, change.type, change.name, protected,
                                  ", ".join(paths)))
    for registration in diff.removed:
        lines.append(PlanLine("delete", registration.urn, registration.type, registration.name,
                              registration.protect, ""))
    return lines


def plan_counts(diff: ProgramDiff) -> dict[str, int]:
    replaced = sum(1 for c in diff.changed if c.replaces)
    return {"add": len(diff.added), "update": len(diff.changed) - replaced, "replace": replaced,
            "delete": len(diff.removed), "refused": sum(1 for c in diff.changed if c.refused)}


def unchanged(review: Review) -> bool:
    """Same config, same resources, same findings: the comment says so in one line."""
    if review.notes or review.base.config is None or review.head.config is None:
        return False
    if review.base.config.model_dump() != review.head.config.model_dump():
        return False
    diff = plan(review)
    if diff is None or not diff.empty:
        return False
    base, head = review.base.findings, review.head.findings
    if base is None or head is None:
        return False
    return sorted(map(_finding_key, base)) == sorted(map(_finding_key, head))


# --- markdown ----------------------------------------------------------------------------


def signed(amount: Decimal) -> str:
    """`+$360.40`, `-$12.00`, `$0.00`."""
    text = money(amount)
    return text if text.startswith("-") or text == "$0.00" else f"+{text}"


def _ratio(amount: Decimal, limit: Decimal | None) -> str:
    return f"{costing.ratio(amount, limit):.2f} x" if limit else ""


def _escape(text: str) -> str:
    return " ".join(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split())


def headline(review: Review) -> list[str]:
    before, after = totals(review.base.config), totals(review.head.config)
    worst, baseline = after.worst - before.worst, after.baseline - before.baseline
    title = (f"### {review.stack}: {signed(worst)} a month at worst case, {signed(baseline)} "
             "at baseline" if worst or baseline else f"### {review.stack}: no change in monthly cost")
    if review.base.config is None and not review.base.absent:
        return [title, "", "The base cost is unknown (see the notes): the figures are the "
                f"stack's own: worst case {money(after.worst)}, baseline {money(after.baseline)} "
                "a month."]
    budget = ""
    if after.budget is not None:
        budget = f", {_ratio(after.worst, after.budget)} the {money(after.budget)} budget"
        was = _ratio(before.worst, before.budget)
        if before.budget is not None and before.worst and was != _ratio(after.worst, after.budget):
            budget += f" (was {was}"
            budget += f" the {money(before.budget)} budget)" if before.budget != after.budget else ")"
    text = (f"Fargate, on-demand list price: worst case (every service at its max) "
            f"{money(before.worst)} → **{money(after.worst)}** a month{budget}; baseline (every "
            f"service at its min) {money(before.baseline)} → **{money(after.baseline)}**."
            f"{spot_sentence(after)}")
    if after.fees != before.fees:
        text += (f" Fixed fees (WAF web ACLs, CloudWatch 20 s metrics): {money(before.fees)} → "
                 f"{money(after.fees)} ({signed(after.fees - before.fees)}).")
    return [title, "", text]


def _change_text(row: ServiceRow) -> str:
    parts = []
    for label, old, new in row.changes:
        if old is None:
            parts.append(f"new: {new}")
        elif new is None:
            parts.append("removed")
        else:
            parts.append(f"{label} {old} → {new}")
    if row.other:
        parts.append("also " + ", ".join(f"`{k}`" for k in row.other))
    return "; ".join(parts) or "(price only)"


def services_table(review: Review) -> list[str]:
    rows = service_rows(review.base.config, review.head.config)
    extra = stack_row(review.base.config, review.head.config)
    if extra is not None:
        rows.append(extra)
    if not rows:
        return ["No service setting changed."]
    fees = any(r.fees for r in rows)
    header = "| Service | What changed | Baseline /month | Worst case /month |"
    align = "|---|---|---:|---:|"
    if fees:
        header, align = header + " Fixed fees /month |", align + "---:|"
    lines = [header, align]
    for row in rows:
        money_cells = [signed(row.baseline), signed(row.worst)] + ([signed(row.fees)] if fees else [])
        if row.key == "(stack)":
            money_cells = ["", ""] + ([""] if fees else [])
        lines.append(f"| {row.key} | {_escape(_change_text(row))} | " + " | ".join(money_cells) + " |")
    return lines


def _finding_line(finding: Finding, new: set[tuple[str, str, bool]]) -> str:
    mark = "**new** " if _finding_key(finding) in new else ""
    return (f"- {mark}`{finding.policy}` on `{finding.resource_name}`: "
            f"{_escape(finding.message)}")


def findings_section(review: Review) -> list[str]:
    findings = review.head.findings or []
    new = new_findings(review)
    groups: dict[str, list[Finding]] = {"mandatory": [], "advisory": [], "unknown": []}
    for finding in sort_findings(findings):
        kind = ("unknown" if finding.unknown_during_preview else
                "mandatory" if finding.blocking else "advisory")
        groups[kind].append(finding)

    def count(kind: str, label: str) -> str:
        fresh = sum(1 for f in groups[kind] if _finding_key(f) in new)
        return f"{len(groups[kind])} {label}" + (f" ({fresh} new)" if fresh else "")

    verdict = "**blocked**" if groups["mandatory"] else "passes"
    lines = [f"**Policy pack** (`{review.head.pack_source}`): {verdict}: "
             f"{count('mandatory', 'mandatory')}, {count('advisory', 'advisory')}, "
             f"{count('unknown', 'not checked during preview')}."]
    if review.base.findings is None:
        lines[0] += " The base's findings are unknown: none is marked new."
    lines += [_finding_line(f, new) for f in groups["mandatory"]]
    resolved = resolved_findings(review)
    if groups["advisory"] or groups["unknown"] or resolved:
        lines += ["", f"<details><summary>{count('advisory', 'advisory')}"
                  + (f"; {count('unknown', 'not checked during preview')}" if groups["unknown"] else "")
                  + (f"; resolved by this change: {len(resolved)}" if resolved else "")
                  + "</summary>", ""]
        lines += [_finding_line(f, new) for f in groups["advisory"]]
        if groups["unknown"]:
            lines += ["", "Not checked during preview (values AWS assigns):"]
            lines += [_finding_line(f, new) for f in groups["unknown"]]
        if resolved:
            lines += ["", "Resolved by this change:"]
            lines += [f"- ~~`{f.policy}` on `{f.resource_name}`~~ ({f.level})" for f in resolved]
        lines += ["", "</details>"]
    return lines


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or value is None:
        return None
    text = str(value)
    return text if len(text) <= 40 else None


def _updated_text(change: ResourceChange) -> str:
    """`maxCapacity 50 → 60` for one or two short values, else the inputs that change."""
    items = change.changes
    shown = [(c.path, _scalar(c.old), _scalar(c.new)) for c in items]
    if 0 < len(items) <= 2 and all(old is not None and new is not None for _, old, new in shown):
        parts = [f"{path} {old} → {new}" for path, old, new in shown]
    else:
        parts = sorted({c.path.split(".", 1)[0].split("[", 1)[0] for c in items})
    parts += [f"[{c.path}]" for c in change.option_changes]
    return ", ".join(parts)


def plan_section(review: Review) -> list[str]:
    diff = plan(review)
    if diff is None:
        return []
    counts = plan_counts(diff)
    text = (f"**First `pulumi up`**: {counts['add']} to add, {counts['update']} to update in "
            f"place, {counts['replace']} to replace, {counts['delete']} to delete")
    if counts["refused"]:
        text += f", {counts['refused']} refused by the provider"
    lines = [text + "."]
    resources = sorted(plan_lines(review, diff), key=lambda p: not p.protected)
    for line in resources:
        note = f" ({_escape(line.detail)})" if line.detail else ""
        protected = f": **{PROTECTED}**" if line.protected else ""
        verb = {"refused": "refused:", "replace": "replace", "delete": "delete"}[line.action]
        lines.append(f"- {verb} `{line.name}` `{line.type}`{note}{protected}")
    if any(line.protected for line in resources):
        lines += ["", PROTECTED_NOTE]
    updated = [c for c in diff.changed if not c.replaces and not c.refused]
    if updated:
        lines += ["", f"<details><summary>{len(updated)} updated in place</summary>", ""]
        for change in updated:
            lines.append(f"- `{change.name}` `{change.type}`: {_escape(_updated_text(change))}")
        lines += ["", "</details>"]
    return lines


def details_section(review: Review, base_label: str) -> list[str]:
    lines = ["<details><summary>How this is worked out</summary>", ""]
    lines.append(
        f"- Before: {base_label} ({review.base.pack_source}); after: {review.head.label} "
        f"({review.head.pack_source})."
    )
    if review.reasons:
        lines.append("- Changed files that touch this stack: "
                     + ", ".join(f"`{p}`" for p in review.reasons[:12])
                     + (f" and {len(review.reasons) - 12} more" if len(review.reasons) > 12 else "")
                     + ".")
    lines.append(
        f"- Money: `stack_model/pricing.py`, AWS Fargate on-demand list prices in us-east-1, "
        f"{costing.hours_per_month()} hours a month, as `z360-ecs cost` shows it; Spot and "
        "Savings Plans only lower it. Baseline: every service at its min (or its fixed count); "
        "worst case: every service at its max; a service on working hours at its hours on. "
        "The budget is account-wide; these figures cover the stack's Fargate tasks."
    )
    lines.append(
        "- Plan: the program under Pulumi's mock engine on both sides, compared by URN "
        "(`engine/diff.py`); values AWS assigns are unknown offline, so `pulumi preview` "
        "against the stack remains the authority."
    )
    lines += [f"- {_escape(note)}" for note in review.notes]
    return lines + ["", "</details>"]


def render_stack(review: Review, base_label: str) -> str:
    if review.head.config is None:
        return f"**{review.stack}**: " + "; ".join(review.notes) + ".\n"
    if unchanged(review):
        return (f"**{review.stack}**: no change to cost, policy findings or resources against "
                f"{base_label}.\n")
    sections = [headline(review), services_table(review), findings_section(review),
                plan_section(review), details_section(review, base_label)]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"


# The last line of the markdown: which stacks the comment reviews, for scripts/post_review.py
# (an empty list and no earlier comment: nothing to post). Hidden when rendered.
STACKS_LINE = "<!-- z360-ecs review stacks: {stacks} -->"


def render_markdown(base_label: str, reviews: Sequence[Review], untouched: Sequence[str]) -> str:
    lines = [f"## z360-ecs review against {base_label}", ""]
    if not reviews:
        lines += ["No stack is touched by this change (no stack file, pack config or program "
                  "code changed).", ""]
    else:
        lines += [render_stack(r, base_label) for r in reviews]
        if untouched:
            lines += [f"Not touched by this change: {', '.join(untouched)}.", ""]
    lines.append(STACKS_LINE.format(stacks=",".join(r.stack for r in reviews)))
    return "\n".join(lines) + "\n"


# --- json --------------------------------------------------------------------------------


def _amounts(before: Decimal, after: Decimal) -> dict[str, str]:
    return {"before": money_json(before), "after": money_json(after),
            "change": money_json(after - before)}


def _finding_json(finding: Finding, new: set[tuple[str, str, bool]]) -> dict[str, Any]:
    return {"policy": finding.policy, "level": finding.level, "blocking": finding.blocking,
            "unknownDuringPreview": finding.unknown_during_preview,
            "new": _finding_key(finding) in new, "message": finding.message,
            "urn": finding.urn, "resourceName": finding.resource_name,
            "resourceType": finding.resource_type}


def stack_json(review: Review) -> dict[str, Any]:
    before, after = totals(review.base.config), totals(review.head.config)
    new = new_findings(review)
    diff = plan(review)
    rows = service_rows(review.base.config, review.head.config)
    extra = stack_row(review.base.config, review.head.config)

    def ratio(t: Totals) -> str | None:
        return str(costing.ratio(t.worst, t.budget)) if t.budget else None

    document: dict[str, Any] = {
        "stack": review.stack,
        "unchanged": unchanged(review),
        "changedFiles": review.reasons,
        "currency": "USD",
        "baseline": _amounts(before.baseline, after.baseline),
        "worstCase": {**_amounts(before.worst, after.worst),
                      "ratioToBudgetBefore": ratio(before), "ratioToBudgetAfter": ratio(after)},
        "fixedFees": _amounts(before.fees, after.fees),
        "spotAfter": {
            "baselineSpotTasks": after.spot_baseline.spot_tasks,
            "baselineMonthlyRange": [money_json(a) for a in after.spot_baseline.monthly_range],
            "worstCaseSpotTasks": after.spot_worst.spot_tasks,
            "worstCaseMonthlyRange": [money_json(a) for a in after.spot_worst.monthly_range],
        },
        "budget": {"before": money_json(before.budget) if before.budget is not None else None,
                   "after": money_json(after.budget) if after.budget is not None else None},
        "services": [
            {"key": r.key,
             "changes": [{"field": label, "before": old, "after": new_value}
                         for label, old, new_value in r.changes],
             "otherKeys": r.other, "baselineChange": money_json(r.baseline),
             "worstCaseChange": money_json(r.worst), "fixedFeesChange": money_json(r.fees)}
            for r in rows
        ],
        "stackChanges": ({"changes": [{"field": label, "before": old, "after": new_value}
                                      for label, old, new_value in extra.changes],
                          "otherKeys": extra.other} if extra else None),
        "packConfig": {"before": review.base.pack_source, "after": review.head.pack_source},
        "findings": [_finding_json(f, new) for f in sort_findings(review.head.findings or [])],
        "resolvedFindings": [_finding_json(f, set()) for f in resolved_findings(review)],
        "baseFindingsKnown": review.base.findings is not None,
        "blocked": any(f.blocking for f in review.head.findings or []),
        "plan": None,
        "notes": review.notes,
    }
    if diff is not None:
        document["plan"] = {
            **plan_counts(diff),
            "resources": [{"action": p.action, "urn": p.urn, "type": p.type, "name": p.name,
                           "protected": p.protected, "detail": p.detail}
                          for p in plan_lines(review, diff)],
        }
    return document


def render_json(base_label: str, reviews: Sequence[Review], untouched: Sequence[str]) -> str:
    document = {"base": base_label.strip("`"), "stacks": [stack_json(r) for r in reviews],
                "untouched": list(untouched)}
    return json.dumps(document, indent=2) + "\n"
