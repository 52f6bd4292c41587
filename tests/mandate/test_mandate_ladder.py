"""The example mandates' ladders: whose violations engage each line."""

from __future__ import annotations

from pathlib import Path

from ceasefire.mandate import load_mandate
from ceasefire.mandate.ladder import counted_by, own_parties


def test_no_example_line_can_be_engaged_against_its_own_side(
    donbas_mandate_path: Path, frontline_mandate_path: Path
) -> None:
    for path in (donbas_mandate_path, frontline_mandate_path):
        m = load_mandate(path)
        for d in m.doc.response.escalation:
            by = counted_by(d, m.party_ids)
            assert not own_parties(d, m.party_ids) & set(by), (path, d.line)
            if d.armed:
                assert "undetermined" not in by and d.trigger.by is not None


def test_frontline_lines_answer_russian_violations_only(frontline_mandate_path: Path) -> None:
    m = load_mandate(frontline_mandate_path)
    ladder = m.doc.response.escalation
    assert [(d.line, d.armed, d.trigger.by) for d in ladder] == [
        (1, True, ["RU"]),
        (2, True, ["RU"]),
        (3, True, ["RU"]),
    ]
    assert [d.defends for d in ladder] == [None, "UA", "UA"]
    # the European force: surer attributions, and only after line 1 held for a while
    assert ladder[1].trigger.min_probability == 0.95 and ladder[1].trigger.after_below_h == 3
    # armour crossing engages line 3 at once
    assert ladder[2].trigger.kind == "crossing" and ladder[2].trigger.after_below_h is None


def test_donbas_lines_are_unarmed_bodies(donbas_mandate_path: Path) -> None:
    m = load_mandate(donbas_mandate_path)
    ladder = m.doc.response.escalation
    assert [(d.holder, d.armed) for d in ladder] == [("JCCC", False), ("TCG", False)]
    assert "undetermined" in counted_by(ladder[0], m.party_ids)
    assert ladder[1].trigger.after_below_h == 12
