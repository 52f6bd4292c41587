"""Proofs made in one process verify in a fresh one that holds only the public key."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ceasefire.ledger import Ledger, generate_key, verify_bundle
from ceasefire.ledger.heads import sign_tree_head
from ceasefire.ledger.keys import load_private_key
from ceasefire.model.errors import VerificationError

CHECKER = r"""
import json, sys
from ceasefire.ledger import verify_bundle
from ceasefire.model.errors import VerificationError
pem = open(sys.argv[1], "rb").read()
for path in sys.argv[2:]:
    try:
        check = verify_bundle(json.load(open(path)), pem)
        print("OK", check.kind, check.record_id, check.head.size)
    except VerificationError as exc:
        print("REFUSED", exc)
"""


@pytest.fixture()
def proven(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    led = Ledger.open(tmp_path / "led")
    led.append([{"id": f"v{i}", "type": "violation", "n": i} for i in range(37)])
    old = led.sign_head(1_700_000_000)
    led.append([{"id": "esc-1", "type": "escalation", "line": 2}])
    led.sign_head(1_700_086_400)
    pub = tmp_path / "mission.pub.pem"
    pub.write_bytes(led.public_key_pem())
    out = []
    for rid in ("v0", "v36", "esc-1"):
        p = tmp_path / f"{rid}.json"
        p.write_text(json.dumps(led.prove(rid)))
        out.append(p)
    p = tmp_path / "consistency.json"
    p.write_text(json.dumps(led.prove_consistency(old)))
    out.append(p)
    led.close()
    return tmp_path, pub, out


def _check(pub: Path, bundles: list[Path], cwd: Path) -> list[str]:
    res = subprocess.run(
        [sys.executable, "-c", CHECKER, str(pub), *map(str, bundles)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    return res.stdout.splitlines()


def test_fresh_process_with_only_the_public_key(proven: tuple[Path, Path, list[Path]]) -> None:
    tmp, pub, bundles = proven
    offline = tmp / "analyst"
    offline.mkdir()
    (offline / "pub.pem").write_bytes(pub.read_bytes())
    for b in bundles:
        (offline / b.name).write_bytes(b.read_bytes())
    lines = _check(offline / "pub.pem", [offline / b.name for b in bundles], offline)
    assert lines == [
        "OK inclusion v0 38",
        "OK inclusion v36 38",
        "OK inclusion esc-1 38",
        "OK consistency None 38",
    ]


def test_wrong_key_is_refused(proven: tuple[Path, Path, list[Path]]) -> None:
    tmp, _, bundles = proven
    generate_key(tmp / "other")
    lines = _check(tmp / "other" / "mission.pub.pem", bundles, tmp)
    assert all(line.startswith("REFUSED") and "wrong key" in line for line in lines)


def test_altered_bundles_are_refused(proven: tuple[Path, Path, list[Path]]) -> None:
    _, pub, bundles = proven
    pem = pub.read_bytes()
    good = json.loads(bundles[0].read_text())
    verify_bundle(good, pem)

    def refused(mutate, match: str) -> None:  # type: ignore[no-untyped-def]
        b = copy.deepcopy(good)
        mutate(b)
        with pytest.raises(VerificationError, match=match):
            verify_bundle(b, pem)

    refused(lambda b: b["record"].update(n=99), "record was altered")
    refused(lambda b: (b["record"].update(n=99), b.pop("leaf_hash")), "leads to")
    refused(lambda b: b.update(leaf_index=1), "leads to")
    refused(lambda b: b["inclusion_path"].reverse(), "leads to")
    refused(lambda b: b["signed_head"].update(size=37, timestamp_ms=1), "signature does not")
    refused(lambda b: b["signed_head"].update(root_hash="00" * 32), "signature does not")
    refused(lambda b: b.update(format="other"), "format")


def test_forged_head_is_refused(proven: tuple[Path, Path, list[Path]], tmp_path: Path) -> None:
    """A head signed by some other key, dressed up with the mission's key id."""
    tmp, pub, bundles = proven
    pem = pub.read_bytes()
    bundle = json.loads(bundles[0].read_text())
    forger = load_private_key(generate_key(tmp_path / "forger"))
    head = sign_tree_head(forger, 38, bytes.fromhex(bundle["signed_head"]["root_hash"]), 5.0)
    forged = head.to_dict() | {"key_id": bundle["key_id"]}
    bundle["signed_head"] = forged
    with pytest.raises(VerificationError, match="forged"):
        verify_bundle(bundle, pem)
    # and in the stored log: verify names the head
    led_dir = tmp / "led"
    with (led_dir / "heads.ndjson").open("a") as fh:
        stored = {k: forged[k] for k in ("key_id", "root_hash", "signature", "size")}
        fh.write(
            json.dumps(stored | {"timestamp_ms": 5000}, separators=(",", ":"), sort_keys=True)
            + "\n"
        )
    with pytest.raises(VerificationError, match=r"heads.ndjson line 3.*forged"):
        Ledger.open(led_dir).verify()
