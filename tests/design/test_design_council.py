"""The Art. 27 voting rule at its edges, and on the recorded Council votes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from ceasefire.design.council import Member, analyze, outcome, read_votes, replay
from ceasefire.model.errors import DesignError

P5 = ["CHN", "FRA", "GBR", "RUS", "USA"]
E10 = ["DZA", "DNK", "GRC", "GUY", "PAK", "PAN", "KOR", "SLE", "SVN", "SOM"]
MEMBERS = [Member(c, True) for c in P5] + [Member(c, False) for c in E10]
SHARED_VOTES = Path("/work/shared/data/unsc_votes.csv")
PACKAGED_VOTES = Path(__file__).resolve().parents[2] / "src/ceasefire/design/data/unsc_votes.csv"


def votes(
    yes: Sequence[str], no: Sequence[str] = (), abstain: Sequence[str] = ()
) -> dict[str, str]:
    v = {c: "absent" for c in P5 + E10}
    v.update(dict.fromkeys(yes, "yes"))
    v.update(dict.fromkeys(no, "no"))
    v.update(dict.fromkeys(abstain, "abstain"))
    return v


def test_nine_yes_adopts_eight_does_not() -> None:
    rest = P5 + E10
    nine = votes(yes=rest[:9], abstain=rest[9:])
    eight = votes(yes=rest[:8], abstain=rest[8:])
    assert outcome(MEMBERS, nine).adopted
    o8 = outcome(MEMBERS, eight)
    assert not o8.adopted
    assert o8.vetoed_by == ()
    assert "8 affirmative votes, 9 required" in o8.reason


def test_p5_abstention_is_no_veto() -> None:
    v = votes(yes=["CHN", "RUS", "USA", *E10], abstain=["FRA", "GBR"])
    o = outcome(MEMBERS, v)
    assert o.adopted
    assert (o.tally.yes, o.tally.no, o.tally.abstain) == (13, 0, 2)
    assert "abstention" in o.reason


def test_p5_no_is_a_veto_even_with_fourteen_yes() -> None:
    v = votes(yes=[c for c in P5 + E10 if c != "RUS"], no=["RUS"])
    o = outcome(MEMBERS, v)
    assert not o.adopted
    assert o.vetoed_by == ("RUS",)


def test_elected_no_is_not_a_veto() -> None:
    v = votes(yes=P5 + E10[:8], no=E10[8:])
    assert outcome(MEMBERS, v).adopted


def test_procedural_vote_cannot_be_vetoed_but_needs_nine() -> None:
    v = votes(yes=[c for c in P5 + E10 if c != "RUS"][:11], no=["RUS"])
    assert outcome(MEMBERS, v, procedural=True).adopted
    assert not outcome(MEMBERS, v, procedural=False).adopted
    v8 = votes(yes=E10[:8], no=["RUS"])
    assert not outcome(MEMBERS, v8, procedural=True).adopted


def test_open_votes_name_the_deciders() -> None:
    # 6 elected members said yes; the P5 and 4 elected are open.
    v = votes(yes=E10[:6])
    for c in P5 + E10[6:]:
        v[c] = "open"
    a = analyze(MEMBERS, v)
    assert a.status == "open"
    assert a.yes_needed == 3
    assert set(a.veto_holders) == set(P5)
    # any 3 of the 9 open members pass it (others abstain): C(9, 3)
    assert a.n_minimal_coalitions == math.comb(9, 3)
    assert all(len(c) == 3 for c in a.minimal_coalitions)
    # 7 open members withholding yes leave at most 6 + 2 = 8
    assert a.blocking_size == 7


def test_open_vote_already_vetoed_or_short_is_decided() -> None:
    v = votes(yes=E10, no=["RUS"])
    for c in ["CHN", "FRA"]:
        v[c] = "open"
    assert analyze(MEMBERS, v).status == "not adopted"
    v2 = votes(yes=E10[:5], no=E10[5:])
    for c in P5[:3]:
        v2[c] = "open"
    a2 = analyze(MEMBERS, v2)
    assert a2.status == "not adopted"  # 5 + 3 open < 9


def test_open_votes_all_needed() -> None:
    v = votes(yes=E10[:7], abstain=["FRA", "GBR", "USA"], no=E10[7:])
    v["CHN"] = "open"
    v["RUS"] = "open"
    a = analyze(MEMBERS, v)
    assert a.yes_needed == 2
    assert set(a.necessary) == {"CHN", "RUS"}
    assert a.minimal_coalitions == (("CHN", "RUS"),)


def test_outcome_refuses_open_votes() -> None:
    v = votes(yes=P5)
    v["KOR"] = "open"
    with pytest.raises(DesignError, match="KOR"):
        outcome(MEMBERS, v)


def test_reproduces_every_recorded_outcome() -> None:
    path = PACKAGED_VOTES  # the shipped copy of shared/data/unsc_votes.csv
    recorded = read_votes(path)
    results = {r.vote.vote_id: r for r in replay(recorded)}
    assert len(results) == 4
    assert all(r.matches for r in results.values()), [r.mismatch for r in results.values()]
    # the four kinds of case the table holds, reasoned from the rule:
    vetoed = results["UA-2022-02-25"]
    assert not vetoed.outcome.adopted and vetoed.outcome.vetoed_by == ("RUS",)
    procedural = results["UA-2022-02-27"]
    assert procedural.outcome.adopted and procedural.vote.procedural
    assert procedural.outcome.tally.no == 1  # Russia's no, not a veto
    short = results["UA-2022-03-23"]
    assert not short.outcome.adopted and short.outcome.tally.yes == 2
    abst = results["UA-2025-02-24"]
    assert abst.outcome.adopted and abst.outcome.tally.abstain == 5


def test_replay_flags_a_wrong_record(tmp_path: Path) -> None:
    text = SHARED_VOTES.read_text() if SHARED_VOTES.exists() else PACKAGED_VOTES.read_text()
    lines = text.splitlines()
    # claim the vetoed draft was adopted
    doctored = [lines[0]] + [
        ln.replace(",not adopted,RUS,", ",adopted,,") if ln.startswith("UA-2022-02-25") else ln
        for ln in lines[1:]
    ]
    p = tmp_path / "votes.csv"
    p.write_text("\n".join(doctored) + "\n")
    bad = [r for r in replay(read_votes(p)) if not r.matches]
    assert [r.vote.vote_id for r in bad] == ["UA-2022-02-25"]


def test_read_votes_names_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "v.csv"
    p.write_text(
        "vote_id,procedural,member_iso3,permanent_member,vote\n"
        "X,no,RUS,yes,no\n"
        "X,no,FRA,yes,maybe\n"
    )
    with pytest.raises(DesignError) as ei:
        read_votes(p)
    assert ei.value.line == 3 and ei.value.field == "vote"
    assert "maybe" in str(ei.value)
