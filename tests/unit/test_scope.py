"""Scopes: the users file's scope keys, which cube cells and rows a scope allows, and the alert
work list's order and filters on a real DuckDB web file."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from schemas.errors import ConfigError
from services.alerts.state import AlertState, OpenGap
from services.scope import WHOLE, Scope, parse
from services.web.auth import load_users
from services.web.published import ALL
from services.web.webstore import WebStore


def test_a_users_file_without_scope_means_the_whole_area(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text('[users.maija]\nrole = "manager"\npassword = "scrypt$1$1$1$00$00"\n'
                    '[users.kaisa]\nrole = "caseworker"\npassword = "scrypt$1$1$1$00$00"\n'
                    'areas = ["Oulunkaari"]\nmunicipalities = ["678"]\n', encoding="utf-8")
    users = load_users(str(path))
    assert users["maija"].scope == WHOLE and users["maija"].scope.whole
    assert users["kaisa"].role == "caseworker"
    assert users["kaisa"].scope == Scope(frozenset({"Oulunkaari"}), frozenset({"678"}))


def test_a_bad_scope_is_refused_with_what_to_write() -> None:
    with pytest.raises(ConfigError, match="3-digit codes"):
        parse("x", {"municipalities": ["Oulu"]}, "users.toml")
    with pytest.raises(ConfigError, match="list of names"):
        parse("x", {"areas": [3]}, "users.toml")
    assert parse("x", {"areas": "Lakeus"}, "u").areas == {"Lakeus"}


def test_cells_inside_the_scope_only() -> None:
    lakeus = Scope(frozenset({"Lakeus"}))
    raahe = Scope(municipalities=frozenset({"678"}))
    assert WHOLE.allows_place(ALL, ALL)
    assert not lakeus.allows_place(ALL, ALL)  # the region's total holds other areas
    assert lakeus.allows_place("Lakeus", ALL) and lakeus.allows_place("Lakeus", "244")
    assert not lakeus.allows_place("Oulu", "564")
    assert raahe.allows_place("Rannikko", "678")
    assert not raahe.allows_place("Rannikko", ALL)  # the area's total holds Pyhäjoki too
    assert not raahe.allows_place("Rannikko", "625")
    assert lakeus.key != raahe.key and WHOLE.key == "whole"
    assert "Lakeus" not in lakeus.key  # no place names in file names


def test_scope_sql_literal_quotes_values() -> None:
    s = Scope(frozenset({"O'Brien"}))
    assert s.literal_sql("a", "m") == "(a IN ('O''Brien') OR m IN (NULL))"
    assert WHOLE.sql("a", "m") == ("TRUE", [])


def gap(client: str, gap_type: str, started: date, area: str, muni: str,
        threshold: int) -> OpenGap:
    return OpenGap(client, gap_type, None, started, area, muni, "KTT", "municipality:" + muni,
                   threshold)


def test_the_work_list_puts_what_needs_action_first(tmp_path: Path) -> None:
    store = WebStore(tmp_path / "w.web.duckdb")
    try:
        state = AlertState(store, b"k" * 32)
        now = datetime(2023, 5, 1, tzinfo=UTC)
        gaps = [gap("c1", "SERVICE_BREAK", date(2023, 3, 1), "Lakeus", "244", 30),  # over 31
                gap("c2", "HANDOFF_MISSING", date(2023, 1, 1), "Lakeus", "244", 14),  # 76
                gap("c3", "ATTENDANCE_SILENCE", date(2023, 3, 20), "Oulu", "564", 21),  # 20
                gap("c4", "NO_RESPONSIBLE_WORKER", date(2023, 1, 5), "Lakeus", "859", 14)]
        assert state.sync(gaps, lambda c: "ref-" + c, now) == (4, 0)
        state.sync(gaps[:3], lambda c: "ref-" + c, now + timedelta(hours=1))  # c4 ends
        total, rows = state.work_list("TRUE", [], 0, 10)
        assert total == 4
        assert [r["client_ref"] for r in rows] == ["ref-c2", "ref-c1", "ref-c3", "ref-c4"]
        assert rows[0]["organizer"] == "municipality:244" and rows[0]["threshold_days"] == 14
        # acknowledged: after the ones nobody has handled yet
        state.acknowledge(rows[0]["alert_ref"], "kaisa", "soitettu", now)
        _, rows = state.work_list("TRUE", [], 0, 10)
        assert [r["client_ref"] for r in rows] == ["ref-c1", "ref-c3", "ref-c2", "ref-c4"]
        assert rows[2]["ack_by"] == "kaisa" and rows[2]["ack_comment"] == "soitettu"
        # paged, filtered, and scoped
        total, page2 = state.work_list("TRUE", [], 2, 2)
        assert total == 4 and [r["client_ref"] for r in page2] == ["ref-c2", "ref-c4"]
        where, params = Scope(frozenset({"Lakeus"})).sql("area", "municipality")
        total, rows = state.work_list(where + " AND state = ?", [*params, "firing"], 0, 10)
        assert total == 2 and {r["client_ref"] for r in rows} == {"ref-c1", "ref-c2"}
        ref3 = next(r["alert_ref"] for r in state.rows() if r["client_ref"] == "ref-c3")
        assert state.get(ref3, Scope(frozenset({"Lakeus"}))) is None
        assert state.get(ref3) is not None
        state.silence(ref3, now + timedelta(hours=4), None, "kaisa", "lomalla", now)
        got = state.get(ref3)
        assert got is not None and got["silence_by"] == "kaisa"
        assert got["silence_comment"] == "lomalla"
    finally:
        store.close()


def test_a_scoped_cube_holds_the_cells_of_its_scope_and_nothing_else() -> None:
    """Every kind of cell the cube publishes, for a scope of one area and one of one
    municipality: the texts are the whole cube's, cells outside are OUT, and a kind of cell
    the filter does not know is not shown."""
    from analytics.disclosure import Suppressed
    from services.web.published import OUT, Cube, HandoffPart

    texts = {
        ("gap", "SERVICE_BREAK", ALL, ALL, ALL): "40",
        ("gap", "SERVICE_BREAK", "Lakeus", ALL, ALL): "12",
        ("gap", "SERVICE_BREAK", "Lakeus", "244", ALL): "..",
        ("gap", "SERVICE_BREAK", "Lakeus", "244", "KTT"): "<5",
        ("gap", "SERVICE_BREAK", "Oulu", "564", ALL): "28",
        ("gap", "SERVICE_BREAK", "Rannikko", "678", ALL): "7",
        ("trend", "2023-03-31", "SERVICE_BREAK", "Lakeus"): "9",
        ("trend", "2023-03-31", "SERVICE_BREAK", ALL): "30",
        ("handoff", "2023", "Lakeus", "244", "cohort"): "6",
        ("handoff", "2023", "Oulu", "564", "cohort"): "60",
        ("transfer", "2023", "2023-01", "Lakeus", "transferred"): "5",
        ("transfer", "2023", "2023-01", ALL, "transferred"): "50",
        ("in_service", "2023-03-31", "KTT", "Lakeus"): "33",
        ("in_service", "2023-03-31", "KTT", "Oulu"): "300",
        ("began", "2023", "SERVICE_BREAK", "Lakeus", "before"): "<5",
        ("clients", "Lakeus", "244", "KTT"): "20",
        ("clients", "Rannikko", "678", "KTT"): "8",
        ("new_kind", "Lakeus"): "3",
    }
    whole = Cube(k=5, as_of=date(2023, 4, 30), cells=Suppressed(5, texts),
                 areas=["Lakeus", "Oulu", "Rannikko"],
                 munis={"Lakeus": ["244"], "Oulu": ["564"], "Rannikko": ["678"]},
                 names={"244": "Kempele", "564": "Oulu", "678": "Raahe"},
                 gap_services={"244": ["KTT"]}, trend_months=[date(2023, 3, 31)],
                 handoffs={"2023": HandoffPart("2023", ["Lakeus", "Oulu"],
                                               {"Lakeus": ["244"], "Oulu": ["564"]})})
    lakeus = whole.scoped(Scope(frozenset({"Lakeus"})))
    assert {k for k in texts if lakeus.in_scope(k)} == {k for k in texts if k != ("new_kind",
                                                                               "Lakeus")
                                                        and "Lakeus" in k}
    assert all(lakeus.text(*k) == texts[k] for k in texts if lakeus.in_scope(k))
    assert lakeus.text("gap", "SERVICE_BREAK", ALL, ALL, ALL) == OUT
    assert lakeus.value("in_service", "2023-03-31", "KTT", "Oulu") is None
    assert lakeus.text("new_kind", "Lakeus") == OUT  # fail closed
    assert lakeus.areas == ["Lakeus"] and lakeus.names == {"244": "Kempele"}
    assert lakeus.handoffs["2023"].areas == ["Lakeus"]
    assert [r["open_gaps"] for r in lakeus.open_now()][1] == "12"  # the area's own total
    assert {r["internal_area"] for r in lakeus.gap_rows()} == {"Lakeus"}
    raahe = whole.scoped(Scope(municipalities=frozenset({"678"})))
    assert raahe.text("gap", "SERVICE_BREAK", "Rannikko", "678", ALL) == "7"
    assert raahe.text("gap", "SERVICE_BREAK", "Rannikko", ALL, ALL) == OUT
    assert raahe.text("clients", "Rannikko", "678", "KTT") == "8"
    assert raahe.text("trend", "2023-03-31", "SERVICE_BREAK", "Lakeus") == OUT
    assert [r["open_gaps"] for r in raahe.open_now()][1] == "7"
    assert whole.scoped(WHOLE) is whole
