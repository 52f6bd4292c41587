"""`ceasefire ledger ...`: init, append, head, verify, prove, verify-proof, export-key."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ceasefire.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["ledger", *args])
    return res.exit_code, res.output


def test_cli_round_trip(tmp_path: Path) -> None:
    led = tmp_path / "led"
    code, out = _run("init", str(led))
    assert code == 0 and "mission key id" in out
    assert "PRIVATE KEY" not in out
    code, out = _run("init", str(led))
    assert code == 2 and "exists already" in out
    records = tmp_path / "recs.ndjson"
    records.write_text(
        "\n".join(json.dumps({"id": f"v{i}", "type": "violation", "i": i}) for i in range(25))
        + "\n"
    )
    code, out = _run("append", str(led), str(records), "--batch", "10")
    assert code == 0 and "appended 25 records" in out
    code, out = _run("head", str(led), "--sign", "--time", "2025-06-01T00:00:00Z")
    assert code == 0 and "2025-06-01T00:00:00.000Z" in out
    code, out = _run("head", str(led), "--json")
    head = json.loads(out)[0]
    assert head["size"] == 25 and head["time_s"] == 1748736000.0
    code, out = _run("verify", str(led))
    assert code == 0 and "verified" in out and "25 records" in out
    pub = tmp_path / "pub.pem"
    code, out = _run("export-key", str(led), "--out", str(pub))
    assert code == 0 and pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    code, out = _run("verify", str(led), "--key", str(pub), "--json")
    assert code == 0 and json.loads(out)["key_source"] == "the key given"
    bundle = tmp_path / "v7.json"
    code, out = _run("prove", str(led), "v7", "--out", str(bundle))
    assert code == 0 and bundle.exists()
    code, out = _run("verify-proof", str(bundle), "--key", str(pub))
    assert code == 0 and "proof verified" in out and "'v7'" in out
    _run("append", str(led), str(records).replace("recs", "none"))  # missing file
    cons = tmp_path / "cons.json"
    (tmp_path / "more.ndjson").write_text(json.dumps({"id": "x", "type": "escalation"}) + "\n")
    _run("append", str(led), str(tmp_path / "more.ndjson"), "--sign", "--time", "1750000000")
    code, out = _run("prove-consistency", str(led), "--old", "1", "--out", str(cons))
    assert code == 0
    code, out = _run("verify-proof", str(cons), "--key", str(pub))
    assert code == 0 and "is a prefix of" in out


def test_cli_failures_exit_nonzero(tmp_path: Path) -> None:
    led = tmp_path / "led"
    _run("init", str(led))
    recs = tmp_path / "r.ndjson"
    recs.write_text(json.dumps({"id": "a", "type": "violation"}) + "\n")
    _run("append", str(led), str(recs), "--sign", "--time", "100")
    bundle = tmp_path / "a.json"
    _run("prove", str(led), "a", "--out", str(bundle))
    other = tmp_path / "other"
    _run("init", str(other))
    other_pub = tmp_path / "other.pem"
    _run("export-key", str(other), "--out", str(other_pub))
    code, out = _run("verify-proof", str(bundle), "--key", str(other_pub))
    assert code == 1 and "wrong key" in out
    code, out = _run("verify", str(led), "--key", str(other_pub))
    assert code == 1 and "verification failed" in out
    data = json.loads(bundle.read_text())
    data["record"]["type"] = "escalation"
    bundle.write_text(json.dumps(data))
    pub = tmp_path / "pub.pem"
    _run("export-key", str(led), "--out", str(pub))
    code, out = _run("verify-proof", str(bundle), "--key", str(pub))
    assert code == 1 and "altered" in out
    raw = bytearray((led / "records.log").read_bytes())
    raw[40] ^= 1
    (led / "records.log").write_bytes(bytes(raw))
    code, out = _run("verify", str(led))
    assert code == 1 and "byte offset 28" in out and "checksum" in out
    code, out = _run("append", str(led), str(recs))
    assert code != 0
    code, out = _run("verify", str(tmp_path / "nothing"))
    assert code == 2 and "no ledger here" in out
