"""The closing summary of a replay, read back from the DuckDB file it wrote.

Everything in it that a user or a source controls (a dead letter's reason quotes the key it
refused, a handoff's name comes from a settings file, the path of the DuckDB file) is printed
as plain text, never as rich markup: a payload key `[/x]` crashed the summary (MarkupError),
`[link=http://evil]click[/link]` became a link, and an ESC or OSC sequence in a key reached
the terminal. `shown_text` (services/shown.py) makes it a rich Text (no markup read) with
every control or formatting character written as an escape and identity codes masked."""

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from analytics.store import connect
from schemas.errors import JatkumoError
from services.replay import ReplayReport
from services.shown import shown_text
from streams.core.rules import GAP_TYPES, Handoff

HANDOFF_STATUSES = ("transferred", "transferred_late", "ended_untransferred", "pending")


def print_summary(report: ReplayReport, db: str, console: Console,
                  handoffs: Sequence[Handoff] = ()) -> None:
    """`handoffs`: the run's (SPEC.md 4.1), a column each in the handoff table.

    Called after the replay has replaced `db` with the finished file: whatever goes wrong
    here, the relations are written, and the error says so (it was reported as an unexpected
    failure after which "Nothing was committed", which was not true)."""
    try:
        _print_summary(report, db, console, handoffs)
    except Exception as e:
        where, why = shown_text(db).plain, shown_text(f"{type(e).__name__}: {e}").plain
        raise JatkumoError(
            f"the replay finished and its relations were written to {where}, but its summary "
            f"could not be shown ({why}). The file is complete: ask it questions with "
            "jatkumo sql") from e


def _print_summary(report: ReplayReport, db: str, console: Console,
                   handoffs: Sequence[Handoff]) -> None:
    con = connect(db, read_only=True)
    try:
        open_gaps = dict(con.execute(
            "SELECT gap_type, count(*) FROM continuity_gaps WHERE is_open GROUP BY ALL").fetchall())
        all_gaps = dict(con.execute(
            "SELECT gap_type, count(*) FROM continuity_gaps GROUP BY ALL").fetchall())
        counts = {(name, status): n for name, status, n in con.execute(
            "SELECT handoff, status, count(*) FROM handoff_status GROUP BY ALL").fetchall()}
        # every configured handoff has its column, an empty cohort too: in the order of
        # their dates (the pages' order), from the relation's rows where there is no config
        names = [h.name for h in sorted(handoffs, key=lambda h: h.date)] or sorted(
            {name for name, _ in counts})
        violations = con.execute(
            "SELECT violation_type, count(*) FROM compliance_violations GROUP BY ALL ORDER BY 1"
        ).fetchall()
        issues = con.execute("SELECT count(*) FROM data_issues").fetchone()
    finally:
        con.close()

    t = Table(title=f"jatkumo replay — as of {report.as_of}", show_header=False)
    t.add_row("lines read", f"{report.lines:,}")
    t.add_row("events taken", f"{report.taken:,}")
    t.add_row("duplicates ignored", f"{report.duplicates:,}")
    if report.conflicts:
        t.add_row("other contents under a taken event_id", f"{report.conflicts:,}")
    t.add_row("dead letters", f"{sum(report.dead_letters.values()):,}")
    t.add_row("clients", f"{report.clients:,}")
    t.add_row("data issues", f"{issues[0] if issues else 0:,}")
    console.print(t)

    if report.dead_letters:
        d = Table(title="Dead letters by reason")
        d.add_column("reason")
        d.add_column("count", justify="right")
        for reason, n in report.dead_letters.most_common(15):
            d.add_row(shown_text(reason), f"{n:,}")
        if len(report.dead_letters) > 15:
            d.add_row(f"… {len(report.dead_letters) - 15} more reasons", "")
        console.print(d)

    g = Table(title="Continuity gaps by type")
    g.add_column("gap type")
    g.add_column("open", justify="right")
    g.add_column("all", justify="right")
    for gap_type in GAP_TYPES:
        g.add_row(shown_text(gap_type), f"{open_gaps.get(gap_type, 0):,}",
                  f"{all_gaps.get(gap_type, 0):,}")
    console.print(g)

    # one column per handoff (SPEC.md 4.1): a sum over the 2023 move and KTT's move back
    # under one title said nothing true about either
    h = Table(title="Handoffs: contracts by status")
    h.add_column("status")
    for name in names:
        h.add_column(shown_text(name), justify="right")
    for status in HANDOFF_STATUSES:
        h.add_row(status, *(f"{counts.get((name, status), 0):,}" for name in names))
    console.print(h)

    if violations:
        v = Table(title="Compliance violations")
        v.add_column("violation")
        v.add_column("contracts", justify="right")
        for name, n in violations:
            v.add_row(shown_text(name), f"{n:,}")
        console.print(v)
    console.print(Text.assemble("Relations written to ", shown_text(db, "bold"),
                                ". Ask them questions with ",
                                shown_text(f'jatkumo sql "SELECT …" --db {db}', "bold"), "."))
