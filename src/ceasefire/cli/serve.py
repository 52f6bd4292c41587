"""`ceasefire serve`: the mission service (FastAPI under uvicorn)."""

from __future__ import annotations

from pathlib import Path

import typer

from ceasefire.cli.common import console
from ceasefire.model.errors import StoreError


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main app."""

    @app.command("serve")
    def serve_cmd(
        mandate: Path | None = typer.Option(
            None, "--mandate", "-m", help="mandate YAML (needed when the store is new)"
        ),
        store: str = typer.Option(
            "ceasefire.db", "--store", "-s", help="SQLite path or postgresql+psycopg:// URL"
        ),
        host: str = typer.Option("127.0.0.1", "--host"),
        port: int = typer.Option(8000, "--port", min=0, max=65535),
        ledger: Path | None = typer.Option(None, "--ledger", help="evidence ledger directory"),
        audit: Path | None = typer.Option(None, "--audit", help="access audit directory"),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="render PDF reports"),
        nats: str | None = typer.Option(
            None, "--nats", help="live bus: publish observations, relay its violations"
        ),
        prefix: str = typer.Option("ceasefire", "--prefix", help="the bus's subject prefix"),
        patrol: Path | None = typer.Option(
            None, "--patrol", help="a drone patrol plan to show (`ceasefire patrol plan --out`)"
        ),
    ) -> None:
        """Serve the API on HOST:PORT (docs at /api/v1/docs); every request is audited."""
        import uvicorn

        from ceasefire.mandate import load_mandate
        from ceasefire.pipeline import init_store
        from ceasefire.service import ServiceConfig, create_app
        from ceasefire.service.places import service_dirs
        from ceasefire.store import Store, safe_url

        try:
            st = Store.open(store)
        except StoreError:
            if mandate is None:
                raise
            st = init_store(store, mandate)
        if mandate is not None:
            text = mandate.read_text(encoding="utf-8")
            stored = st.mandate_text()
            if stored is None:
                load_mandate(mandate)
                st.set_meta("mandate", text)
                st.set_meta("mandate_source", str(mandate))
            elif stored != text:
                raise StoreError(
                    f"{safe_url(store)} holds another mandate than {mandate}; serve it without "
                    "--mandate, or use a new store"
                )
        ledger_dir, audit_dir = service_dirs(st, store, ledger, audit)
        st.close()
        cfg = ServiceConfig(
            store=store,
            ledger_dir=ledger_dir,
            audit_dir=audit_dir,
            pdf=pdf,
            bus_url=nats,
            bus_prefix=prefix,
            patrol_dir=patrol,
        )
        application = create_app(cfg)
        console.print(
            f"serving {safe_url(store)} on http://{host}:{port}/api/v1 "
            f"(docs /api/v1/docs); audit {audit_dir}, ledger {ledger_dir}",
            highlight=False,
        )
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=5,
        )
