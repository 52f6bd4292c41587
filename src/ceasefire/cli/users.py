"""`ceasefire users`: add and list the service's users (tokens are shown once)."""

from __future__ import annotations

import typer
from rich.table import Table

from ceasefire.cli.common import console

app = typer.Typer(help="Users of `ceasefire serve`: roles, sectors, tokens.", no_args_is_help=True)


@app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="user name (unique)"),
    store: str = typer.Option("ceasefire.db", "--store", "-s"),
    role: str = typer.Option(..., "--role", help="monitor, analyst, chief, party or public"),
    sector: list[str] = typer.Option([], "--sector", help="an analyst's sector (repeat)"),
    party: str | None = typer.Option(None, "--party", help="the party of a liaison"),
) -> None:
    """Add a user and print its bearer token once (only its hash is stored)."""
    from ceasefire.model.errors import InputError
    from ceasefire.pipeline import mandate_of
    from ceasefire.service.auth import ROLES, hash_token, new_token
    from ceasefire.store import Store

    if role not in ROLES:
        raise InputError(f"role {role!r}; expected one of {', '.join(ROLES)}", field="--role")
    st = Store.open(store)
    m = mandate_of(st)
    known = [s.id for s in m.doc.sectors]
    for s in sector:
        if s not in known:
            raise InputError(f"unknown sector {s!r}; expected one of {known}", field="--sector")
    if role == "analyst" and not sector:
        raise InputError("an analyst needs at least one --sector", field="--sector")
    if role == "party":
        if party not in m.party_ids:
            raise InputError(f"party {party!r}; expected one of {m.party_ids}", field="--party")
    elif party is not None:
        raise InputError("--party is for role 'party' only", field="--party")
    token = new_token()
    st.add_user(name, role, hash_token(token), sectors=sector, party=party)
    st.close()
    console.print(f"user {name} ({role}) added. Token (shown once, keep it secret):")
    print(token)


@app.command("list")
def list_cmd(store: str = typer.Option("ceasefire.db", "--store", "-s")) -> None:
    """The users, their roles and sectors (never their tokens)."""
    from ceasefire.store import Store

    st = Store.open(store)
    t = Table(title="users")
    for col in ("name", "role", "sectors", "party", "disabled"):
        t.add_column(col)
    for u in st.users():
        t.add_row(
            u["name"], u["role"], ", ".join(u["sectors"]), u["party"] or "", str(u["disabled"])
        )
    console.print(t)
