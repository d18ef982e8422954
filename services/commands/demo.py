"""jatkumo demo [--seed N] [--out DIR] [--second-handoff DATE] [--serve]: simulate North
Ostrobothnia, replay it, show what jatkumo finds, and prove it against the simulator's truth
row by row (and a failure-free run's, to show the gaps no failure causes). The first command
for a new user; it exits 1 if any row differs from the truth."""

import argparse
import os
import secrets
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from services import config
from services.commands.common import Console, out_folder, private, tcp_port
from services.commands.simulate import count, second_handoff
from services.replay import replay
from services.shown import shown
from services.simulate import RATES, SimConfig, simulate
from services.simulate.config import SimHandoff
from services.simulate.expect import Thresholds
from services.simulate.showcase import check, proof, show
from services.simulate.verify import Comparison
from streams.core.rules import Handoff

DEMO_KEY = b"jatkumo-demo-key-synthetic-data-only"


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="simulate a region, replay it and show the gaps (start here)",
        description="Simulate North Ostrobothnia's young people in youth workshops 2021-2024 "
        "(synthetic data, failures injected), replay the events into a DuckDB file, and print "
        "each handoff's story, the open gaps by internal area and the longest open gaps; then "
        "compare every gap, violation and handoff status with the simulator's truth, row by "
        "row, with recall and precision per type, and do the same for a small failure-free "
        "run to show the gaps no failure causes. Exit status 1 if any row differs.")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", default="jatkumo-demo", metavar="DIR",
                   help="folder for events.jsonl, truth.jsonl and jatkumo.duckdb "
                   "(default ./jatkumo-demo)")
    p.add_argument("--second-handoff", type=second_handoff, metavar="YYYY-MM-DD",
                   help="KTT moves back to the municipalities on this date (SOSKU stays): the "
                   "region lives through both handoffs, and the window runs a year past it")
    p.add_argument("--clients", type=count, metavar="N",
                   help="young people (default ≈ 5,000 for 2021-2024, more for a longer window)")
    p.add_argument("--clean-clients", type=int, default=1000, metavar="N",
                   help="young people in the failure-free run (default 1000; 0 skips it)")
    p.add_argument("--serve", action="store_true",
                   help="then serve the dashboard on 127.0.0.1 (a demo user is made for you)")
    p.add_argument("--port", type=tcp_port, default=8080, help="dashboard port (default 8080)")
    p.set_defaults(run=run)
    return p


def _rules_for(settings: config.Settings, handoffs: tuple[SimHandoff, ...]) -> config.Settings:
    """The replay's rules get the simulated region's handoffs (as `--handoffs FILE` would)."""
    configured = tuple(Handoff(h.name, h.services, h.from_kind, h.to_kind,
                               date.fromordinal(h.day), h.grace_days) for h in handoffs)
    return replace(settings, rules=replace(settings.rules, configured_handoffs=configured))


def run(args: argparse.Namespace) -> int:
    out = out_folder(args.out)
    events, truth, db = out / "events.jsonl", out / "truth.jsonl", out / "jatkumo.duckdb"
    private(events, truth, out / "handoffs.toml", out / "demo-users.toml")
    console = Console()
    settings = config.load()
    key = settings.pseudonym_key
    if key is None:  # synthetic codes only, so a fixed, published key is harmless here
        key = DEMO_KEY
        settings = replace(settings, pseudonym_key=key)
    # The truth is derived with the thresholds the replay will use (JATKUMO_THRESHOLDS).
    limits = Thresholds(settings.rules.thresholds, settings.rules.referral_thresholds)
    cfg = SimConfig(seed=args.seed, clients=args.clients, second_handoff=args.second_handoff)
    settings = _rules_for(settings, cfg.handoffs)
    (out / "handoffs.toml").write_text(cfg.handoffs_toml(), encoding="utf-8")
    first, last = cfg.window
    with console.status(f"Simulating North Ostrobothnia {first.year}-{last.year} …"):
        sim = simulate(cfg, events, truth, thresholds=limits)
    console.print(f"[green]1/3[/green] Simulated {sim.clients:,} young people "
                  f"({sim.municipal_first_year:,} on KTT or SOSKU in municipal workshops in "
                  f"{first.year}) through {len(cfg.handoffs)} handoff(s): {sim.events:,} "
                  f"events, {sum(sim.failures.values()):,} failures injected, "
                  f"{sim.malformed:,} malformed lines and {sim.duplicates:,} duplicate "
                  f"deliveries mixed in, in {sim.seconds:.1f} s.")
    with console.status("Replaying the events through jatkumo's rules …"):
        rep = replay(events, db, settings, last)
    console.print(f"[green]2/3[/green] Replayed {rep.lines:,} lines as of {rep.as_of}: "
                  f"{rep.taken:,} events taken, {rep.duplicates:,} duplicates ignored, "
                  f"{sum(rep.dead_letters.values()):,} dead letters kept.")
    clean = _clean_run(args, out, settings, limits, console)
    comparison = show(db, truth, key, console, cfg.handoffs)
    if clean is not None:
        proof(clean, console, f"A failure-free run ({args.clean_clients:,} young people, "
              "every failure rate 0): the gaps that occur anyway")
    console.print(f"\nFiles in [bold]{shown(out)}/[/bold]: events.jsonl (the events), "
                  "truth.jsonl "
                  "(every gap, violation and handoff status to find, with its cause), "
                  "handoffs.toml (for replay --handoffs), jatkumo.duckdb (the relations).")
    console.print(f"Ask questions: [bold]jatkumo sql \"SELECT gap_type, internal_area, count(*) "
                  f"FROM gaps_by_place WHERE is_open GROUP BY ALL\" --db {shown(db)}[/bold]")
    failed = [c for c in (comparison, clean) if c is not None and not c.ok]
    if failed:
        n = sum(len(c.differences) + len(c.unobservable) for c in failed)
        console.print(f"[red bold]The demo does not prove what it claims: {n:,} rows differ "
                      "from the truth (listed above).[/red bold]")
        return 1
    return _offer_dashboard(args, db, console)


def _clean_run(args: argparse.Namespace, out: Path, settings: config.Settings,
               limits: Thresholds, console: Console) -> Comparison | None:
    """The same region with every failure rate 0: which gaps still occur, and are they all in
    the truth?"""
    if args.clean_clients <= 0:
        return None
    cfg = SimConfig(seed=args.seed, clients=args.clean_clients,
                    rates=dict.fromkeys(RATES, 0.0), second_handoff=args.second_handoff)
    events, truth, db = out / "clean-events.jsonl", out / "clean-truth.jsonl", out / "clean.duckdb"
    with console.status("A failure-free run …"):
        simulate(cfg, events, truth, thresholds=limits)
        replay(events, db, settings, cfg.window[1])
    console.print(f"[green]3/3[/green] Simulated and replayed {cfg.n_clients:,} young people "
                  "with no failure injected.")
    assert settings.pseudonym_key is not None
    return check(db, truth, settings.pseudonym_key)


def _offer_dashboard(args: argparse.Namespace, db: Path, console: Console) -> int:
    if not args.serve:
        console.print(f"See it in the dashboard: [bold]jatkumo demo --serve[/bold] (or "
                      f"[bold]jatkumo serve --db {shown(db)} --handoffs "
                      f"{shown(db.parent / 'handoffs.toml')}[/bold] with JATKUMO_USERS set).")
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
                      f"(written hashed to {shown(users)}).")
    console.print(f"Dashboard: [bold]http://127.0.0.1:{args.port}/[/bold] — Ctrl-C stops it.")
    # the region's handoffs (written beside the file), so the overview labels and splits each
    handoffs = db.parent / "handoffs.toml"
    extra = ["--handoffs", str(handoffs)] if handoffs.is_file() else []
    done = subprocess.run([sys.executable, "-m", "services.cli", "serve", "--db", str(db),
                           "--port", str(args.port), *extra], env=env, check=False)
    return 0 if done.returncode in (0, -2, 130) else 1



