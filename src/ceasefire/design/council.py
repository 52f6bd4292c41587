"""The Security Council voting rule (UN Charter Art. 27) and what open votes leave to decide.

A substantive draft is adopted with at least nine affirmative votes and no
negative vote of a permanent member; an abstention or absence of a permanent
member is no veto (Council practice since 1946, ICJ Namibia opinion 1971; S01,
S02). A procedural decision needs nine affirmative votes and cannot be vetoed
(S03, S100).
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ceasefire.model.errors import DesignError

Vote = Literal["yes", "no", "abstain", "absent", "open"]
VOTES: tuple[str, ...] = ("yes", "no", "abstain", "absent", "open")
REQUIRED_YES = 9
COUNCIL_SIZE = 15
_VOTE_ALIASES = {
    "y": "yes",
    "yes": "yes",
    "in favour": "yes",
    "in favor": "yes",
    "n": "no",
    "no": "no",
    "against": "no",
    "abstain": "abstain",
    "abstention": "abstain",
    "a": "abstain",
    "absent": "absent",
    "not participating": "absent",
    "did not participate": "absent",
    "open": "open",
    "?": "open",
    "": "open",
}


def normalize_vote(text: str) -> Vote | None:
    """``'Yes'``, ``'in favour'``, ``'abstention'`` ... → a :data:`Vote`; ``None`` if unknown."""
    v = _VOTE_ALIASES.get(text.strip().lower())
    return v  # type: ignore[return-value]


@dataclass(frozen=True)
class Member:
    """One seat: ISO3 code and whether it is permanent (holds a veto)."""

    iso3: str
    permanent: bool


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int
    absent: int = 0
    open: int = 0

    def __str__(self) -> str:
        s = f"{self.yes}-{self.no}-{self.abstain}"
        if self.absent:
            s += f" ({self.absent} absent)"
        if self.open:
            s += f" ({self.open} open)"
        return s


@dataclass(frozen=True)
class Outcome:
    """The decided result of a vote with no open seat."""

    adopted: bool
    tally: Tally
    vetoed_by: tuple[str, ...]
    reason: str


def tally(members: Sequence[Member], votes: Mapping[str, str]) -> Tally:
    """Count the votes of ``members`` (a member without a vote counts as open)."""
    counts = dict.fromkeys(VOTES, 0)
    for m in members:
        counts[votes.get(m.iso3, "open")] += 1
    return Tally(counts["yes"], counts["no"], counts["abstain"], counts["absent"], counts["open"])


def outcome(
    members: Sequence[Member],
    votes: Mapping[str, str],
    *,
    procedural: bool = False,
    required_yes: int = REQUIRED_YES,
) -> Outcome:
    """Apply Art. 27 to a complete set of votes; raises if a vote is still open."""
    t = tally(members, votes)
    if t.open:
        opened = [m.iso3 for m in members if votes.get(m.iso3, "open") == "open"]
        raise DesignError(f"votes still open for {', '.join(opened)}; use analyze() for them")
    vetoes = tuple(m.iso3 for m in members if m.permanent and votes.get(m.iso3) == "no")
    if not procedural and vetoes:
        return Outcome(
            False,
            t,
            vetoes,
            f"negative vote of permanent member{'s' if len(vetoes) > 1 else ''} "
            f"{', '.join(vetoes)} (veto)" + (f"; {t.yes} affirmative votes" if t.yes else ""),
        )
    if t.yes < required_yes:
        return Outcome(False, t, (), f"{t.yes} affirmative votes, {required_yes} required")
    note = ""
    p5_abst = [
        m.iso3 for m in members if m.permanent and votes.get(m.iso3) in ("abstain", "absent")
    ]
    if procedural:
        no_p5 = [m.iso3 for m in members if m.permanent and votes.get(m.iso3) == "no"]
        note = "procedural: no veto applies" + (
            f" (negative vote of {', '.join(no_p5)} is not a veto)" if no_p5 else ""
        )
    elif p5_abst:
        note = f"abstention of {', '.join(p5_abst)} is no veto"
    return Outcome(
        True,
        t,
        (),
        f"{t.yes} affirmative votes (>= {required_yes})" + (f"; {note}" if note else ""),
    )


@dataclass(frozen=True)
class Analysis:
    """What is decided and what is left to the members whose vote is open."""

    status: Literal["adopted", "not adopted", "open"]
    tally: Tally
    reason: str
    procedural: bool
    open_members: tuple[str, ...]
    veto_holders: tuple[str, ...]  # open permanent members: each can block alone
    yes_needed: int  # more affirmative votes needed from the open members
    necessary: tuple[str, ...]  # open members whose yes is in every passing coalition
    blocking_size: int  # this many open members withholding yes block it (0: n/a)
    n_minimal_coalitions: int
    minimal_coalitions: tuple[tuple[str, ...], ...] = field(default=())
    outcome: Outcome | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "tally": {
                "yes": self.tally.yes,
                "no": self.tally.no,
                "abstain": self.tally.abstain,
                "absent": self.tally.absent,
                "open": self.tally.open,
            },
            "reason": self.reason,
            "procedural": self.procedural,
            "open_members": list(self.open_members),
            "veto_holders": list(self.veto_holders),
            "yes_needed": self.yes_needed,
            "necessary": list(self.necessary),
            "blocking_size": self.blocking_size,
            "n_minimal_coalitions": self.n_minimal_coalitions,
            "minimal_coalitions": [list(c) for c in self.minimal_coalitions],
        }


def analyze(
    members: Sequence[Member],
    votes: Mapping[str, str],
    *,
    procedural: bool = False,
    required_yes: int = REQUIRED_YES,
    max_coalitions: int = 20,
) -> Analysis:
    """Decide the vote, or say which open members decide it.

    A *passing coalition* is a set of open members voting yes while every other
    open permanent member abstains (a "no" would veto). The minimal ones are
    exactly the sets of ``yes_needed`` open members; up to ``max_coalitions`` of
    them are listed, in the order of ``members``.
    """
    t = tally(members, votes)
    opened = tuple(m.iso3 for m in members if votes.get(m.iso3, "open") == "open")
    if not opened:
        out = outcome(members, votes, procedural=procedural, required_yes=required_yes)
        return Analysis(
            "adopted" if out.adopted else "not adopted",
            t,
            out.reason,
            procedural,
            (),
            (),
            0,
            (),
            0,
            0,
            (),
            out,
        )
    vetoes = [m.iso3 for m in members if m.permanent and votes.get(m.iso3) == "no"]
    needed = max(0, required_yes - t.yes)
    empty = Analysis("open", t, "", procedural, opened, (), needed, (), 0, 0)
    if vetoes and not procedural:
        return _replace(
            empty,
            status="not adopted",
            reason=f"already vetoed by {', '.join(vetoes)}, whatever the open members do",
        )
    if needed > len(opened):
        return _replace(
            empty,
            status="not adopted",
            reason=f"{t.yes} affirmative votes given and only {len(opened)} open: "
            f"at most {t.yes + len(opened)} < {required_yes}",
        )
    veto_holders = (
        () if procedural else tuple(m.iso3 for m in members if m.permanent and m.iso3 in opened)
    )
    if needed == 0 and not veto_holders:
        return _replace(
            empty,
            status="adopted",
            reason=f"{t.yes} affirmative votes already given and no open vote can veto",
        )
    n_coal = math.comb(len(opened), needed)
    coalitions = tuple(itertools.islice(itertools.combinations(opened, needed), max_coalitions))
    necessary = opened if needed == len(opened) else ()
    blocking = len(opened) - needed + 1 if needed else 0
    parts = []
    if needed:
        parts.append(
            f"needs {needed} more affirmative vote{'s' if needed > 1 else ''} "
            f"from the {len(opened)} open members"
        )
    if veto_holders:
        parts.append(
            f"{', '.join(veto_holders)} can each veto by voting no (an abstention is no veto)"
        )
    return _replace(
        empty,
        reason="; ".join(parts),
        veto_holders=veto_holders,
        necessary=necessary,
        blocking_size=blocking,
        n_minimal_coalitions=n_coal,
        minimal_coalitions=coalitions,
    )


def _replace(a: Analysis, **kw: object) -> Analysis:
    from dataclasses import replace

    return replace(a, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- recorded votes


@dataclass(frozen=True)
class RecordedVote:
    """One recorded vote (rows of ``unsc_votes.csv`` sharing a ``vote_id``)."""

    vote_id: str
    document: str
    date: str
    procedural: bool
    members: tuple[Member, ...]
    votes: dict[str, str]
    recorded_outcome: str | None
    recorded_vetoed_by: tuple[str, ...]
    recorded_tally: str | None
    source: str
    line: int


@dataclass(frozen=True)
class Replay:
    vote: RecordedVote
    outcome: Outcome
    matches: bool | None  # None: no recorded outcome to compare with
    mismatch: str = ""

    def to_dict(self) -> dict[str, object]:
        v = self.vote
        return {
            "vote_id": v.vote_id,
            "document": v.document,
            "date": v.date,
            "procedural": v.procedural,
            "tally": str(self.outcome.tally),
            "adopted": self.outcome.adopted,
            "vetoed_by": list(self.outcome.vetoed_by),
            "reason": self.outcome.reason,
            "recorded_outcome": v.recorded_outcome,
            "recorded_vetoed_by": list(v.recorded_vetoed_by),
            "matches": self.matches,
            "mismatch": self.mismatch,
            "source": v.source,
        }


_REQUIRED_COLUMNS = ("vote_id", "member_iso3", "permanent_member", "vote")
_YES_NO = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}


def read_votes(path: str | Path) -> list[RecordedVote]:
    """Read recorded votes in the format of ``unsc_votes.csv`` (one row per member)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DesignError(f"cannot read the votes: {exc.strerror}", file=str(p)) from exc
    rows = list(csv.DictReader(text.splitlines()))
    header = text.splitlines()[0].split(",") if text.strip() else []
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DesignError(
            f"missing column(s) {', '.join(missing)}; expected a header like "
            "vote_id,...,procedural,member_iso3,permanent_member,vote,...,outcome,vetoed_by",
            file=str(p),
            line=1,
        )
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for i, row in enumerate(rows, start=2):
        groups.setdefault(row["vote_id"], []).append((i, row))
    out = []
    for vid, grp in groups.items():
        first_line, first = grp[0]
        members: list[Member] = []
        votes: dict[str, str] = {}
        for line, row in grp:
            iso = (row.get("member_iso3") or "").strip().upper()
            if not iso:
                raise DesignError("empty member_iso3", file=str(p), line=line, field="member_iso3")
            perm = _YES_NO.get((row.get("permanent_member") or "").strip().lower())
            if perm is None:
                raise DesignError(
                    f"permanent_member is {row.get('permanent_member')!r}; expected yes or no",
                    file=str(p),
                    line=line,
                    field="permanent_member",
                )
            v = normalize_vote(row.get("vote") or "")
            if v is None or v == "open":
                raise DesignError(
                    f"vote is {row.get('vote')!r}; expected yes, no, abstain or absent",
                    file=str(p),
                    line=line,
                    field="vote",
                )
            if iso in votes:
                raise DesignError(
                    f"{iso} votes twice in {vid}", file=str(p), line=line, field="member_iso3"
                )
            members.append(Member(iso, perm))
            votes[iso] = v
        proc_text = (first.get("procedural") or "no").strip().lower()
        procedural = _YES_NO.get(proc_text)
        if procedural is None:
            raise DesignError(
                f"procedural is {first.get('procedural')!r}; expected yes or no",
                file=str(p),
                line=first_line,
                field="procedural",
            )
        recorded = (first.get("outcome") or "").strip() or None
        vetoed = tuple(
            x.strip().upper() for x in (first.get("vetoed_by") or "").split(";") if x.strip()
        )
        out.append(
            RecordedVote(
                vid,
                first.get("document", ""),
                first.get("date", ""),
                procedural,
                tuple(members),
                votes,
                recorded,
                vetoed,
                (first.get("tally_yes_no_abstain") or "").strip() or None,
                first.get("source", ""),
                first_line,
            )
        )
    return out


def replay(votes: Iterable[RecordedVote]) -> list[Replay]:
    """Apply the rule to each recorded vote and compare with the recorded outcome."""
    out = []
    for v in votes:
        o = outcome(v.members, v.votes, procedural=v.procedural)
        problems = []
        if v.recorded_outcome is not None:
            rec_adopted = v.recorded_outcome.lower().startswith("adopted")
            if rec_adopted != o.adopted:
                problems.append(
                    f"rule says {'adopted' if o.adopted else 'not adopted'}, "
                    f"record says {v.recorded_outcome!r}"
                )
            if set(v.recorded_vetoed_by) != set(o.vetoed_by if not o.adopted else ()):
                problems.append(
                    f"vetoed by {', '.join(o.vetoed_by) or 'nobody'}, record says "
                    f"{', '.join(v.recorded_vetoed_by) or 'nobody'}"
                )
        if v.recorded_tally is not None:
            mine = f"{o.tally.yes}-{o.tally.no}-{o.tally.abstain}"
            if mine != v.recorded_tally:
                problems.append(f"tally {mine}, record says {v.recorded_tally}")
        if len(v.members) != COUNCIL_SIZE:
            problems.append(f"{len(v.members)} members voted, the Council has {COUNCIL_SIZE}")
        matches = None if v.recorded_outcome is None else not problems
        out.append(Replay(v, o, matches, "; ".join(problems)))
    return out
