"""Readable output of ``design check`` and ``design vote`` as rich tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from ceasefire.design.check import CheckReport, ComboResult
from ceasefire.design.composition import KINDS, Composition
from ceasefire.design.council import Replay
from ceasefire.design.countries import DATA_AS_OF


def _list(items: Sequence[str], limit: int = 40) -> str:
    if not items:
        return "-"
    more = f" … (+{len(items) - limit})" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def render_check(report: CheckReport, console: Console) -> None:
    """Print the whole check: Council, readings, each combination, conclusions."""
    d = report.design
    doc = d.doc
    console.rule(f"[bold]{doc.design}")
    console.print(
        f"file {d.source}; positions as of {doc.as_of or '-'}; "
        f"country facts as of {DATA_AS_OF} (ceasefire/design/data)",
        highlight=False,
    )
    _council(report, console)
    for k, v in report.facts.items():
        shown = "unknown" if v is None else str(v).lower()
        console.print(f"[bold]Mission fact[/] {k} = {shown} ({report.facts_basis[k]})")
    _readings(report, console)
    for r in report.combos:
        _combination(report, r, console)
    _conclusions(report, console)
    if report.sources:
        console.print(
            "[bold]Sources cited:[/] " + "; ".join(f"{k} {u}" for k, u in report.sources.items()),
            highlight=False,
        )


def _council(report: CheckReport, console: Console) -> None:
    d, a = report.design, report.council
    kind = "procedural" if d.doc.draft.procedural else "substantive"
    console.print(f"[bold]Draft:[/] {d.doc.draft.title} ({kind})", highlight=False)
    t = Table(title="Security Council", title_justify="left")
    t.add_column("member")
    t.add_column("seat")
    t.add_column("vote")
    for m in d.members:
        t.add_row(m.iso3, "permanent" if m.permanent else "elected", d.votes[m.iso3])
    console.print(t)
    style = {"adopted": "green", "not adopted": "red", "open": "yellow"}[a.status]
    console.print(f"[bold {style}]{a.status.upper()}[/] ({a.tally}): {a.reason}", highlight=False)
    if a.status == "open":
        console.print(
            "  rule: >= 9 affirmative votes"
            + ("" if d.doc.draft.procedural else " and no negative vote of a permanent member"),
            highlight=False,
        )
        if a.veto_holders:
            console.print(f"  can veto alone: {', '.join(a.veto_holders)}", highlight=False)
        console.print(
            f"  more yes votes needed: {a.yes_needed} of {len(a.open_members)} open; "
            f"{a.blocking_size} open members withholding yes block it",
            highlight=False,
        )
        if a.necessary:
            console.print(f"  needed in every passing coalition: {', '.join(a.necessary)}")
        shown = "; ".join("+".join(c) for c in a.minimal_coalitions[:6])
        more = " …" if a.n_minimal_coalitions > 6 else ""
        console.print(
            f"  smallest passing coalitions: {a.n_minimal_coalitions} sets of {a.yes_needed} "
            f"yes votes (any {a.yes_needed} of the open members, the other permanent members "
            f"abstaining), e.g. {shown}{more}",
            highlight=False,
        )


def _readings(report: CheckReport, console: Console) -> None:
    t = Table(title="Combinations of readings", title_justify="left")
    t.add_column("id")
    t.add_column("readings (source)")
    for r in report.combos:
        lines = [
            f"{c.party}/{c.position}: [bold]{c.reading}[/] ({c.source})" for c in r.combo.choices
        ]
        t.add_row(r.combo.label, "\n".join(lines) or "single reading")
    console.print(t)


def _combination(report: CheckReport, r: ComboResult, console: Console) -> None:
    console.rule(f"[bold]{r.combo.label}[/]: {r.combo.title}")
    t = Table(
        title="Eligibility (candidates: every country in the table but the parties)",
        title_justify="left",
    )
    t.add_column("who")
    t.add_column("conditions on the force")
    t.add_column("eligible")
    t.add_column("undetermined")
    t.add_column("excluded", justify="right")
    for e in (*r.parties, r.joint):
        t.add_row(
            e.who,
            "\n".join(c.text for c in e.conditions) or "-",
            f"{len(e.eligible)}: {_list(e.eligible)}",
            f"{len(e.undetermined)}: {_list(e.undetermined, 12)}",
            str(len(e.excluded)),
            style="bold" if e is r.joint else None,
        )
    console.print(t)
    caveats = [
        f"{v.iso3} ({'; '.join(v.caveats)})"
        for v in r.joint.verdicts
        if v.status == "eligible" and v.caveats
    ]
    if caveats:
        console.print(
            f"  joint set rests on qualified facts: {'; '.join(caveats)}", highlight=False
        )
    unknown_facts = sorted(
        {f for v in r.joint.verdicts if v.status == "undetermined" for f in v.unknown_facts}
    )
    if unknown_facts:
        console.print(f"  undetermined for want of: {', '.join(unknown_facts)}", highlight=False)
    usable = [p.country for p in r.pledges if p.status == "usable"]
    undet = [f"{p.country} ({p.reason})" for p in r.pledges if p.status == "undetermined"]
    console.print(f"  pledges usable: {_list(usable)}", highlight=False)
    if undet:
        console.print(f"  pledges undetermined: {_list(undet, 8)}", highlight=False)

    ex = r.explanation
    if ex.problem:
        console.print(f"[bold red]Joint set {ex.problem}[/]: {ex.note}", highlight=False)
        if ex.cores:
            console.print("  minimal conflicting sets of conditions (cores):")
            for core in ex.cores:
                console.print(
                    "   - " + (" & ".join(c.label for c in core) or "(none needed)"),
                    highlight=False,
                )
        rt = Table(title="Single relaxations, best first", title_justify="left")
        rt.add_column("drop")
        rt.add_column("joint eligible", justify="right")
        rt.add_column("newly eligible")
        rt.add_column("shortfall after", justify="right")
        rt.add_column("resolves")
        for rel in ex.relaxations[:5]:
            rt.add_row(
                rel.condition.label
                + (f" [{rel.condition.reading}]" if rel.condition.reading else ""),
                str(rel.joint_eligible),
                _list(rel.added, 12),
                f"{rel.shortfall:.0%}" if rel.shortfall is not None else "-",
                "yes" if rel.resolves else "no",
            )
        console.print(rt)
    flags = [f for f in r.flags if f.status == "breaks"]
    if flags:
        ft = Table(
            title="Consistency: named acceptable countries that break the party's own conditions",
            title_justify="left",
        )
        for col in ("party", "named as", "country", "breaks", "position/reading"):
            ft.add_column(col)
        for f in flags:
            ft.add_row(
                f.party,
                f.role,
                f.country,
                f.condition,
                f.position + (f"/{f.reading}" if f.reading else ""),
            )
        console.print(ft)
    elif r.accepting:
        console.print(
            f"  consistency: {', '.join(r.accepting)} name only countries that meet "
            "their own conditions"
        )
    _composition("Best composition (definitely eligible pledges)", r.composition, report, console)
    for name, comp in r.diagnostics.items():
        console.print(f"  {name}: {_totals(comp)}", highlight=False)
    if r.with_undetermined is not None:
        console.print(
            f"  if the undetermined pledges were acceptable: {_totals(r.with_undetermined)}",
            highlight=False,
        )


def _totals(c: Composition) -> str:
    parts = [f"{c.totals[k]}/{c.required[k]} {k}" for k in KINDS if c.required[k]]
    return (
        ", ".join(parts)
        + (f" from {len(c.allocation)} contributors in {len(c.regions)} regions")
        + ("" if not c.meets_requirement else " (meets the requirement)")
    )


def _composition(title: str, c: Composition, report: CheckReport, console: Console) -> None:
    attr = report.design.doc.force.region_attribute
    t = Table(title=title + f" [{c.status}]", title_justify="left")
    t.add_column("contributor")
    t.add_column(attr)
    for k in KINDS:
        t.add_column(k, justify="right")
    for iso, a in sorted(c.allocation.items()):
        reg = report.design.countries[iso].get(attr)
        t.add_row(iso, str(reg), *(str(a[k]) for k in KINDS))
    t.add_row(
        "total", f"{len(c.regions)} regions", *(str(c.totals[k]) for k in KINDS), style="bold"
    )
    t.add_row("required", "", *(str(c.required[k]) for k in KINDS))
    t.add_row(
        "shortfall",
        "",
        *(str(c.shortfall[k]) for k in KINDS),
        style="red" if not c.meets_requirement else "green",
    )
    console.print(t)
    f = report.design.doc.force
    console.print(
        f"  constraints: share <= {f.max_share:.0%} per contributor, >= {f.min_regions} "
        f"regions ({attr}), region share <= {f.max_region_share:.0%}",
        highlight=False,
    )


def _conclusions(report: CheckReport, console: Console) -> None:
    t = Table(title="Conclusions across readings", title_justify="left")
    t.add_column("topic")
    t.add_column("statement")
    t.add_column("holds under")
    for c in report.conclusions:
        t.add_row(c.topic, c.statement, "[bold]all[/]" if c.robust else ", ".join(c.holds_under))
    console.print(t)


def render_votes(replays: Sequence[Replay], console: Console) -> None:
    """One row per recorded vote: the rule's outcome beside the recorded one."""
    t = Table(title="Recorded votes replayed under Art. 27", title_justify="left")
    t.add_column("vote", no_wrap=True)
    for col in ("document", "proc.", "tally", "rule says", "recorded", "match"):
        t.add_column(col)
    for r in replays:
        v = r.vote
        t.add_row(
            f"{v.vote_id}\n{v.date}",
            v.document,
            "yes" if v.procedural else "no",
            str(r.outcome.tally),
            ("adopted" if r.outcome.adopted else "not adopted") + f": {r.outcome.reason}",
            (v.recorded_outcome or "-")
            + (f" (vetoed by {', '.join(v.recorded_vetoed_by)})" if v.recorded_vetoed_by else ""),
            {True: "[green]yes[/]", False: f"[red]NO[/] {r.mismatch}", None: "-"}[r.matches],
        )
    console.print(t)
