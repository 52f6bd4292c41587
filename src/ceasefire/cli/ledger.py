"""`ceasefire ledger ...` commands: init, append, head, verify, repair, prove, verify-proof,
export-key.

Every command takes the ledger directory as its first argument (except
``verify-proof``, which needs only a bundle and the public key). Verification
failures exit with status 1, other errors with status 2.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ceasefire.model.errors import CeasefireError, LedgerError, VerificationError

app = typer.Typer(
    help="the evidence ledger: append-only signed Merkle log, proofs, verification",
    no_args_is_help=True,
)

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

DIR_ARG = typer.Argument(..., help="the ledger directory")
KEY_OPT = typer.Option(
    None, "--key", help="private key file, or directory holding mission.key (default DIR/keys)"
)


def _fail(exc: CeasefireError) -> None:
    label = "verification failed" if isinstance(exc, VerificationError) else "error"
    err_console.print(f"[bold red]{label}:[/] {exc}", highlight=False)
    raise typer.Exit(1 if isinstance(exc, VerificationError) else 2)


def _open(
    path: Path, key: Path | None = None, *, must_exist: bool = True, readonly: bool = False
) -> Any:
    from ceasefire.ledger import Ledger

    if must_exist and not (path / "ledger.json").exists():
        raise LedgerError(f"{path}: no ledger here (no ledger.json); create one with `init`")
    led = Ledger.open(path, key, readonly=readonly)
    for torn in led.recovery:
        err_console.print(f"[bold yellow]recovered:[/] {torn.message()}", highlight=False)
    return led


def _parse_time(text: str | None) -> float:
    if text is None or text == "now":
        return time.time()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r}: expected epoch seconds, an ISO 8601 time with zone, or 'now'"
        ) from exc
    if dt.tzinfo is None:
        raise typer.BadParameter(f"{text!r}: give a time zone (e.g. Z); heads are UTC")
    return dt.timestamp()


def _head_table(heads: list[Any], title: str) -> Table:
    table = Table(title=title)
    for col in ("#", "size", "time (UTC)", "root hash", "key id"):
        table.add_column(col, justify="right" if col in ("#", "size") else "left")
    for i, h in heads:
        table.add_row(str(i), f"{h.size:,}", h.time, h.root_hash[:16] + "…", h.key_id[:16] + "…")
    return table


@app.command("init")
def init_cmd(
    path: Path = DIR_ARG,
    key: Path | None = KEY_OPT,
) -> None:
    """Create a ledger (and a mission key in DIR/keys unless --key names one)."""
    try:
        if (path / "ledger.json").exists():
            raise LedgerError(f"{path}: a ledger exists already")
        led = _open(path, key, must_exist=False)
        console.print(f"created ledger [bold]{path}[/]")
        console.print(f"  mission key id  {led.key_id}")
        console.print(f"  public key      {path / 'mission.pub.pem'}")
        if key is None:
            console.print(
                f"  private key     {path / 'keys' / 'mission.key'} (mode 0600; keep it off "
                "shared copies of the ledger)"
            )
        led.close()
    except CeasefireError as exc:
        _fail(exc)


@app.command("append")
def append_cmd(
    path: Path = DIR_ARG,
    file: Path = typer.Argument(..., help="NDJSON file: one record object per line"),
    batch: int = typer.Option(10_000, "--batch", min=1, help="records per atomic batch"),
    sign: bool = typer.Option(False, "--sign", help="sign a head after appending"),
    at: str | None = typer.Option(None, "--time", help="head time (epoch s, ISO 8601, now)"),
    key: Path | None = KEY_OPT,
) -> None:
    """Append the records of an NDJSON file (in atomic batches); optionally sign a head.

    Records already in the ledger with the same content are skipped, so an
    append cut short (a crash, a kill) is finished by running it again.
    """
    try:
        led = _open(path, key)
        records: list[dict[str, Any]] = []
        with file.open("rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    raise LedgerError(f"{file}:{line_no}: not JSON ({exc})") from exc
        first = led.size
        for i in range(0, len(records), batch):
            led.append(records[i : i + batch])
        added = led.size - first
        skipped = len(records) - added
        where = f" (indices {first:,}–{led.size - 1:,})" if added else ""
        console.print(
            f"appended {added:,} records{where}; size {led.size:,}, root {led.root_hash()}"
        )
        if skipped:
            console.print(
                f"  {skipped:,} records were already in the ledger, same content: skipped"
            )
        if sign:
            head = led.sign_head(_parse_time(at))
            console.print(f"signed head: size {head.size:,} at {head.time}, root {head.root_hash}")
    except CeasefireError as exc:
        _fail(exc)


@app.command("head")
def head_cmd(
    path: Path = DIR_ARG,
    sign: bool = typer.Option(False, "--sign", help="sign the current tree"),
    at: str | None = typer.Option(None, "--time", help="head time (epoch s, ISO 8601, now)"),
    all_heads: bool = typer.Option(False, "--all", help="list every head"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    checkpoint: bool = typer.Option(
        False, "--checkpoint", help="print the latest head as a C2SP checkpoint (signed note)"
    ),
    key: Path | None = KEY_OPT,
) -> None:
    """Show the latest signed head (or --all); --sign signs the current tree first."""
    try:
        led = _open(path, key, readonly=not sign)
        if sign:
            led.sign_head(_parse_time(at))
        heads = list(enumerate(led.heads(), start=1))
        shown = heads if all_heads else heads[-1:]
        if checkpoint:
            if not shown:
                raise LedgerError(f"{path}: no signed head yet; sign one with `head --sign`")
            for _, h in shown:
                typer.echo(h.checkpoint(), nl=False)
            return
        if as_json:
            console.print_json(data=[h.to_dict() for _, h in shown])
        elif not shown:
            console.print(f"no signed head yet; size {led.size:,}, root {led.root_hash()}")
        elif all_heads:
            console.print(_head_table(shown, f"signed tree heads of {path}"))
        else:
            number, h = shown[-1]
            console.print(f"signed tree head #{number} of {path}")
            console.print(f"  size       {h.size:,}")
            console.print(f"  time       {h.time}")
            console.print(f"  root hash  {h.root_hash}")
            console.print(f"  key id     {h.key_id}")
            console.print(f"  signature  {h.signature}")
            if led.size > h.size:
                console.print(f"  [yellow]{led.size - h.size:,} records since, not yet signed[/]")
    except CeasefireError as exc:
        _fail(exc)


@app.command("verify")
def verify_cmd(
    path: Path = DIR_ARG,
    pub: Path | None = typer.Option(
        None, "--key", help="the mission public key to trust (default: the ledger's own)"
    ),
    deep: bool = typer.Option(False, "--deep", help="also check every record's canonical form"),
    kept: list[Path] = typer.Option(
        [],
        "--head",
        help="a head you kept earlier (JSON of `head --json`, or a checkpoint); repeatable",
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Recompute the whole log and check every signed head; exit 1 on any difference.

    Never writes: a torn tail or a lagging index is reported (see `repair`).
    With --head, the log must extend each kept head: rollback, a removed head, a
    rewritten history or another key are caught.
    """
    from ceasefire.ledger.kept import load_kept

    try:
        heads = [k for p in kept for k in load_kept(p)]
        led = _open(path, readonly=True)
        report = led.verify(pub.read_bytes() if pub else None, deep=deep, kept=heads)
        if as_json:
            console.print_json(data=report.to_dict())
            return
        console.print(
            f"[bold green]verified[/] {report.size:,} records, {report.commits:,} batches, "
            f"{report.heads} signed heads in {report.elapsed_s:.2f} s "
            f"({report.records_per_s:,.0f} records/s)"
        )
        console.print(f"  root hash  {report.root_hash}")
        console.print(f"  key id     {report.key_id} ({report.key_source})")
        if report.latest_head:
            h = report.latest_head
            console.print(f"  last head  size {h.size:,} at {h.time}")
        for note in report.notes:
            console.print(f"  [yellow]note:[/] {note}")
    except OSError as exc:
        _fail(LedgerError(f"{pub}: {exc}"))
    except CeasefireError as exc:
        _fail(exc)


@app.command("repair")
def repair_cmd(path: Path = DIR_ARG) -> None:
    """Finish what a crash left: set a torn tail aside in DIR/torn/, rebuild lagging indexes.

    Says what it moved; refuses (exit 1) when the damage reaches records a
    signed head covers, which is not a crash but loss or tampering.
    """
    try:
        led = _open(path, readonly=False)
        if not led.recovery:
            console.print(f"nothing to repair: {path} ends at a complete batch")
        for t in led.recovery:
            console.print(f"repaired: {t.message()}", highlight=False)
        console.print(f"size {led.size:,}, root {led.root_hash()}")
        led.close()
    except CeasefireError as exc:
        _fail(exc)


@app.command("prove")
def prove_cmd(
    path: Path = DIR_ARG,
    record_id: str = typer.Argument(..., help="the record's id"),
    out: Path = typer.Option(..., "--out", help="where to write the bundle (JSON)"),
) -> None:
    """Write a self-contained inclusion proof bundle for one record."""
    try:
        led = _open(path, readonly=True)
        bundle = led.prove(record_id)
        out.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
        console.print(
            f"wrote {out}: record {record_id!r} at index {bundle['leaf_index']:,} under the head "
            f"of size {bundle['tree_size']:,} ({bundle['signed_head']['time']}), "
            f"{len(bundle['inclusion_path'])} path hashes"
        )
    except CeasefireError as exc:
        _fail(exc)


@app.command("prove-consistency")
def prove_consistency_cmd(
    path: Path = DIR_ARG,
    old: int | None = typer.Option(None, "--old", help="number (1-based) of the older head"),
    new: int | None = typer.Option(None, "--new", help="number of the newer head (default last)"),
    kept: Path | None = typer.Option(
        None, "--from", help="instead of --old: a head a party kept (JSON of `head --json`)"
    ),
    out: Path = typer.Option(..., "--out", help="where to write the bundle (JSON)"),
) -> None:
    """Write a consistency proof bundle between two signed heads (numbers as in `head --all`)."""
    from ceasefire.ledger.kept import load_kept

    try:
        led = _open(path, readonly=True)
        heads = led.heads()
        for n in (old, new):
            if n is not None and not 1 <= n <= len(heads):
                raise LedgerError(f"head number {n}; the ledger has heads 1–{len(heads)}")
        if (old is None) == (kept is None):
            raise LedgerError("give the older head as --old NUMBER or --from HEAD.json (one)")
        if kept is not None:
            first = load_kept(kept)[-1].head
            if first is None:
                raise LedgerError(f"{kept}: --from takes a head's JSON (`head --json`)")
        else:
            assert old is not None
            first = heads[old - 1]
        if first.size > (heads[new - 1] if new else heads[-1]).size:
            raise VerificationError(
                f"the kept head signs {first.size} records; the log's head signs fewer: the "
                "log was rolled back"
            )
        bundle = led.prove_consistency(first, heads[new - 1] if new else None)
        out.write_text(json.dumps(bundle, indent=2) + "\n")
        console.print(
            f"wrote {out}: size {bundle['old_head']['size']:,} → {bundle['new_head']['size']:,}"
        )
    except CeasefireError as exc:
        _fail(exc)


@app.command("verify-proof")
def verify_proof_cmd(
    bundle_path: Path = typer.Argument(..., help="a bundle written by `prove`"),
    pub: Path = typer.Option(..., "--key", help="the mission public key (PEM)"),
    kept: Path | None = typer.Option(
        None, "--head", help="a head you kept: a consistency bundle must start from it"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Check a proof bundle offline with the mission public key alone; exit 1 if it fails."""
    from ceasefire.ledger import verify_bundle
    from ceasefire.ledger.kept import load_kept

    try:
        kept_head = load_kept(kept)[-1].head if kept is not None else None
        if kept is not None and kept_head is None:
            raise VerificationError(f"{kept}: --head takes a head's JSON (`head --json`)")
        try:
            bundle = json.loads(bundle_path.read_text())
        except (OSError, ValueError) as exc:
            raise VerificationError(f"{bundle_path}: cannot read the bundle ({exc})") from exc
        try:
            pem = pub.read_bytes()
        except OSError as exc:
            raise VerificationError(f"{pub}: cannot read the public key ({exc})") from exc
        check = verify_bundle(bundle, pem, kept_head)
        if as_json:
            console.print_json(data=check.to_dict())
            return
        h = check.head
        if check.kind == "inclusion":
            console.print(
                f"[bold green]proof verified:[/] record {check.record_id!r} "
                f"({check.record_type}) is leaf {check.leaf_index:,} of the log signed at "
                f"{h.time} with size {h.size:,}"
            )
        else:
            assert check.old_head is not None
            console.print(
                f"[bold green]proof verified:[/] the log of size {check.old_head.size:,} "
                f"({check.old_head.time}) is a prefix of the log of size {h.size:,} ({h.time})"
            )
        console.print(f"  root hash  {h.root_hash}")
        console.print(f"  key id     {check.key_id}")
    except CeasefireError as exc:
        _fail(exc)


@app.command("export-key")
def export_key_cmd(
    path: Path = DIR_ARG,
    out: Path = typer.Option(..., "--out", help="where to write the public key (PEM)"),
) -> None:
    """Write the mission public key (never the private key) for the parties."""
    try:
        led = _open(path, readonly=True)
        out.write_bytes(led.public_key_pem())
        console.print(f"wrote {out}: mission public key, key id {led.key_id}")
    except CeasefireError as exc:
        _fail(exc)
