"""An analyst's turn (services/web/sqlproc.SqlRunner.turn) lasts as long as the page holds it:
while a download is being made of one answer, the same user's next query is refused (429),
as a second query is while the first runs (sql_per_user). Before, the turn ended when the
query's process answered, and one analyst made three 1-million-cell downloads at once (a
hunt, 2026-12-06)."""

from pathlib import Path

import pytest

from services.config import WebSettings
from services.web.sqlproc import Busy, SqlRunner
from tests.helpers import run_apart


def test_a_held_turn_refuses_the_users_next_query_and_no_one_elses(tmp_path: Path) -> None:
    runner = SqlRunner(lambda: tmp_path / "none.duckdb", WebSettings(secret=b"turns"))

    async def go() -> None:
        with runner.turn("anna"):
            with pytest.raises(Busy):
                await runner.run("anna", "SELECT 1", 10)
            with pytest.raises(Busy), runner.turn("anna"):
                pass
            with runner.turn("olli"):  # another user's turn is their own
                pass
        with runner.turn("anna"):  # given back
            pass

    run_apart(go)  # (a browser test may have left this thread's loop marked running)
