"""`ceasefire audit`: the service's access audit, one request a line; its heads and proofs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from ceasefire.cli.common import console

app = typer.Typer(
    help="The access audit of `ceasefire serve` (a signed Merkle log).",
    invoke_without_command=True,
)


def _open(store: str):  # type: ignore[no-untyped-def]
    from ceasefire.service.audit import AuditLog
    from ceasefire.service.places import audit_dir
    from ceasefire.store import Store

    st = Store.open(store)
    path = audit_dir(st)
    st.close()
    return AuditLog(path)


@app.callback()
def audit_cmd(
    ctx: typer.Context,
    store: str = typer.Option("ceasefire.db", "--store", "-s"),
    user: str | None = typer.Option(None, "--user", help="only this user's requests"),
    since: str | None = typer.Option(None, "--since", help="ISO 8601 time or day"),
) -> None:
    """Print the audit, one request a line: time, user, role, method, resource,
    filters, returned, written, status, outcome."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = store
        return
    since_s = None
    if since is not None:
        try:
            dt = datetime.fromisoformat(since)
        except ValueError as exc:
            raise typer.BadParameter(f"{since!r} is not ISO 8601", param_hint="--since") from exc
        since_s = (dt if dt.tzinfo else dt.astimezone()).timestamp()
    log = _open(store)
    for r in log.entries(user=user, since_s=since_s):
        filters = "&".join(f"{k}={v}" for k, v in r["filters"].items())
        console.print(
            f"{r['time']}  {r['user'] or '-'} ({r['role'] or '-'})  {r['method']} "
            f"{r['resource']}{'?' + filters if filters else ''}  returned={r['returned']} "
            f"written={r['written']}  {r['status']} {r['outcome']}",
            highlight=False,
            soft_wrap=True,
        )
    log.close()


@app.command("sign")
def sign_cmd(ctx: typer.Context) -> None:
    """Sign the audit log's current head and print it."""
    log = _open(ctx.obj)
    head = log.sign()
    log.close()
    print(json.dumps(head.to_dict(), indent=2))


@app.command("prove")
def prove_cmd(
    ctx: typer.Context,
    old_size: int = typer.Option(..., "--from-size", help="size of the earlier signed head"),
    out: Path = typer.Option(Path("audit-consistency.json"), "--out"),
) -> None:
    """A consistency proof from an earlier signed head to the latest (for a party
    to check with `ceasefire ledger verify-proof`)."""
    from ceasefire.model.errors import LedgerError

    log = _open(ctx.obj)
    heads = log.heads()
    old = [h for h in heads if h.size == old_size]
    if not old:
        raise LedgerError(
            f"no signed audit head of size {old_size}; signed sizes: {[h.size for h in heads]}"
        )
    out.write_text(json.dumps(log.prove_consistency(old[0]), indent=2) + "\n")
    log.close()
    console.print(f"wrote {out}")
