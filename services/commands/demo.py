"""jatkumo demo [--seed N] [--out DIR] [--serve]: simulate North Ostrobothnia, replay it, and
show what jatkumo finds: the first command for a new user."""

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from schemas.errors import UsageError
from services import config
from services.replay import replay
from services.simulate import SimConfig, simulate
from services.simulate.showcase import show

DEMO_KEY = b"jatkumo-demo-key-synthetic-data-only"


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="simulate a region, replay it and show the gaps (start here)",
        description="Simulate North Ostrobothnia's young people in youth workshops 2021-2024 "
        "(synthetic data, failures injected), replay the events into a DuckDB file, and print "
        "the handoff, the open gaps by internal area, the longest open gaps and how many of "
        "the injected failures were found.")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", default="jatkumo-demo", metavar="DIR",
                   help="folder for events.jsonl, truth.jsonl and jatkumo.duckdb "
                   "(default ./jatkumo-demo)")
    p.add_argument("--serve", action="store_true",
                   help="then serve the dashboard on 127.0.0.1 (a demo user is made for you)")
    p.add_argument("--port", type=int, default=8080, help="dashboard port (default 8080)")
    p.set_defaults(run=run)
    return p


def _folder(text: str) -> Path:
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; give --out a folder (it is created if missing)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def run(args: argparse.Namespace) -> int:
    out = _folder(args.out)
    events, truth, db = out / "events.jsonl", out / "truth.jsonl", out / "jatkumo.duckdb"
    console = Console()
    settings = config.load()
    key = settings.pseudonym_key
    if key is None:  # synthetic codes only, so a fixed, published key is harmless here
        key = DEMO_KEY
        settings = config.Settings(pseudonym_key=key, rules=settings.rules,
                                   bootstrap=settings.bootstrap)
    cfg = SimConfig(seed=args.seed)
    with console.status("Simulating North Ostrobothnia 2021-2024 …"):
        sim = simulate(cfg, events, truth)
    console.print(f"[green]1/2[/green] Simulated {sim.clients:,} young people "
                  f"({sim.municipal_first_year:,} on KTT or SOSKU in municipal workshops in "
                  f"2021): {sim.events:,} events, {sim.malformed:,} malformed lines and "
                  f"{sim.duplicates:,} duplicate deliveries mixed in, in {sim.seconds:.1f} s.")
    with console.status("Replaying the events through jatkumo's rules …"):
        rep = replay(events, db, settings, cfg.window[1])
    console.print(f"[green]2/2[/green] Replayed {rep.lines:,} lines as of {rep.as_of}: "
                  f"{rep.taken:,} events taken, {rep.duplicates:,} duplicates ignored, "
                  f"{sum(rep.dead_letters.values()):,} dead letters kept.")
    show(db, truth, key, console)
    console.print(f"\nFiles in [bold]{out}/[/bold]: events.jsonl (the events), truth.jsonl "
                  "(what was injected), jatkumo.duckdb (the relations).")
    console.print(f"Ask questions: [bold]jatkumo sql \"SELECT gap_type, internal_area, count(*) "
                  f"FROM gaps_by_place WHERE is_open GROUP BY ALL\" --db {db}[/bold]")
    return _offer_dashboard(args, db, console)


def _serve_exists() -> bool:
    from services.commands import REGISTRY

    return any(r.__module__.endswith(".serve") for r in REGISTRY)


def _offer_dashboard(args: argparse.Namespace, db: Path, console: Console) -> int:
    if not _serve_exists():
        return 0
    if not args.serve:
        console.print(f"See it in the dashboard: [bold]jatkumo demo --serve[/bold] (or "
                      f"[bold]jatkumo serve --db {db}[/bold] with JATKUMO_USERS set).")
        return 0
    from services.web.auth import hash_password

    env = dict(os.environ)
    if not env.get("JATKUMO_USERS"):
        password = secrets.token_urlsafe(12)
        users = db.parent / "demo-users.toml"
        users.write_text(f'[users.demo]\nrole = "analyst"\npassword = '
                         f'"{hash_password(password)}"\n', encoding="utf-8")
        env["JATKUMO_USERS"] = str(users)
        console.print(f"Sign in as [bold]demo[/bold] with password [bold]{password}[/bold] "
                      f"(written hashed to {users}).")
    console.print(f"Dashboard: [bold]http://127.0.0.1:{args.port}/[/bold] — Ctrl-C stops it.")
    done = subprocess.run([sys.executable, "-m", "services.cli", "serve", "--db", str(db),
                           "--port", str(args.port)], env=env, check=False)
    return 0 if done.returncode in (0, -2, 130) else 1



