"""jatkumo simulate --seed N --out FILE [--truth FILE] [--scale national] [--second-handoff DATE]
[--handoffs-out FILE.toml] [--rate-NAME X …]: a synthetic cohort of young people as a JSONL
event file, with injected failures, the truth of every gap, and the handoffs to replay with."""

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from schemas.types import LAST_DAY
from services.commands.common import Console, distinct_files, number_in, private, writable_file
from services.shown import shown
from services.simulate import RATES, SimConfig, SimReport, simulate
from services.simulate.config import MIN_DAYS_BETWEEN_HANDOFFS


def rate(text: str) -> float:
    value = number_in(text, float, 0.0, 1.0)
    if value is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate; give a share between 0 and 1, e.g. 0.05 (0 turns it off)")
    return value


def second_handoff(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or len(text) != 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; give YYYY-MM-DD, e.g. "
                                         "2025-01-01")
    if (day - date(2023, 1, 1)).days < MIN_DAYS_BETWEEN_HANDOFFS:
        raise argparse.ArgumentTypeError(
            f"{text} is too close to the 2023 handoff; give a date at least "
            f"{MIN_DAYS_BETWEEN_HANDOFFS} days after 2023-01-01, e.g. 2025-01-01")
    latest = date(LAST_DAY.year - 1, 12, 31)  # the simulation runs a year past it
    if day > latest:
        raise argparse.ArgumentTypeError(
            f"{text} is too late: the simulation runs a year past the handoff and event dates "
            f"end in {LAST_DAY.year}; give a date by {latest}, e.g. 2025-01-01")
    return day


# Finland has about 900,000 people of 16-29; a typo of many digits wrote 886 MB in 15 s
# before it was stopped, and would have filled the disk (a review, 2026-12-07)
MOST_CLIENTS = 2_000_000


def count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of young people; give a whole number, e.g. 500")
    if int(text) > MOST_CLIENTS:
        raise argparse.ArgumentTypeError(
            f"{text} young people is more than Finland has; give at most {MOST_CLIENTS:,} "
            "(--scale national simulates 250,000)")
    return int(text)


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "simulate", help="write a synthetic cohort of young people as events (JSONL)",
        description="Simulate young people (16-29) in youth workshops — NUPA, KTT and SOSKU "
        "periods, attendance, workers, referrals and the 1.1.2023 handoff to the wellbeing "
        "area — with failures injected at configurable rates. Synthetic data only. The same "
        "seed always gives the same file.",
        epilog="examples:\n  jatkumo simulate --seed 7 --out events.jsonl --truth truth.jsonl\n"
        "  jatkumo simulate --second-handoff 2025-01-01 --out e.jsonl --truth t.jsonl "
        "--handoffs-out h.toml\n    && jatkumo replay e.jsonl --db g.duckdb --handoffs h.toml "
        "--as-of 2025-12-31\n"
        "  jatkumo simulate --scale national --out national.jsonl\n"
        "  jatkumo simulate --out clean.jsonl --no-noise --rate-late-transfer 0",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--region", default="pohjois-pohjanmaa", choices=["pohjois-pohjanmaa"],
                   help="the region for --scale region (default pohjois-pohjanmaa)")
    p.add_argument("--scale", default="region", choices=["region", "national"],
                   help="region: one region 2021-2024, ≈ 5,000 young people; national: every "
                   "wellbeing area 2015-2024, ≈ 250,000 (tens of millions of events)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--clients", type=count, metavar="N",
                   help="number of young people (default: the scale's)")
    p.add_argument("--out", required=True, metavar="FILE.jsonl", help="event file to write")
    p.add_argument("--truth", metavar="FILE.jsonl",
                   help="also write the truth, one JSON a line: every gap, violation and "
                   "handoff status jatkumo must find (as of the window's end, default "
                   "thresholds), each with its cause (an injected failure or natural), and "
                   "every noise line")
    p.add_argument("--second-handoff", type=second_handoff, metavar="YYYY-MM-DD",
                   help="KTT moves back from the wellbeing areas to the municipalities on this "
                   "date (SOSKU stays; SPEC.md 4.1's ktt-back); the window then runs a year "
                   "past it")
    p.add_argument("--handoffs-out", metavar="FILE.toml",
                   help="write the handoffs this run lives through, for replay --handoffs "
                   "(default with --second-handoff: beside --out, as FILE.handoffs.toml)")
    p.add_argument("--no-noise", action="store_true",
                   help="no malformed lines and no duplicate deliveries")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    rates = p.add_argument_group("failure and noise rates (0 turns one off)")
    for name, (default, what) in RATES.items():
        rates.add_argument(f"--rate-{name.replace('_', '-')}", dest=f"rate_{name}", type=rate,
                           default=default, metavar="X", help=f"{what} (default {default})")
    p.set_defaults(run=run)
    return p


def config_from(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        seed=args.seed, scale=args.scale, region=args.region, clients=args.clients,
        rates={name: getattr(args, f"rate_{name}") for name in RATES}, noise=not args.no_noise,
        second_handoff=args.second_handoff)


def run(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    out, truth = writable_file(args.out, "--out"), writable_file(args.truth, "--truth")
    assert out is not None
    handoffs = writable_file(args.handoffs_out, "--handoffs-out")
    if handoffs is None and args.second_handoff is not None:
        handoffs = out.with_name(out.stem + ".handoffs.toml")
    distinct_files({"--out": out, "--truth": truth, "--handoffs-out": handoffs})
    private(out, truth, handoffs)
    if handoffs is not None:
        handoffs.write_text(cfg.handoffs_toml(), encoding="utf-8")
    if args.quiet:
        simulate(cfg, out, truth)
        return 0
    err = Console(stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task("simulating young people", total=cfg.n_clients)
        report = simulate(cfg, out, truth, lambda n: progress.update(task, completed=n))
    print_report(report, out, truth, Console(), handoffs, cfg.window[1])
    return 0


def print_report(report: SimReport, out: Path, truth: Path | None, console: Console,
                 handoffs: Path | None = None, as_of: date | None = None) -> None:
    t = Table(title="jatkumo simulate", show_header=False)
    t.add_row("young people", f"{report.clients:,}")
    t.add_row("  sent with an identity code", f"{report.hetu_clients:,}")
    t.add_row("  on KTT/SOSKU in a municipal workshop, first year",
              f"{report.municipal_first_year:,}")
    for service in ("NUPA", "KTT", "SOSKU"):
        t.add_row(f"{service} contracts", f"{report.contracts[service]:,}")
    t.add_row("events", f"{report.events:,}")
    t.add_row("lines (with noise)", f"{report.lines:,}")
    t.add_row("malformed lines / duplicate deliveries",
              f"{report.malformed:,} / {report.duplicates:,}")
    t.add_row("events per second", f"{report.events_per_second:,.0f}")
    console.print(t)
    f = Table(title="Injected failures")
    f.add_column("kind")
    f.add_column("count", justify="right")
    for kind, n in sorted(report.failures.items()):
        f.add_row(kind, f"{n:,}")
    console.print(f)
    where = f" and the truth to [bold]{shown(truth)}[/bold]" if truth else ""
    flags = f" --handoffs {shown(handoffs)}" if handoffs else ""
    flags += f" --as-of {as_of.isoformat()}" if as_of else ""
    console.print(f"Events written to [bold]{shown(out)}[/bold]{where}. Next: "
                  f"[bold]jatkumo replay {shown(out)} --db gaps.duckdb{flags}[/bold]")
