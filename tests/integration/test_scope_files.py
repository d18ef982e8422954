"""A scope's database file (services/web/scopedb.py) keeps a client's contract rows by the pair
(client, contract id), SPEC.md 5's grain: contract ids are the sources' own and two clients may
carry the same one. Kept by the id alone, a scope that had one client with contract K-1 got
every other client's K-1 rows too: their compliance violations and events, from another area
(a hunt found it through an analyst's SQL)."""

from pathlib import Path

import duckdb

from services.config import Settings
from services.replay import replay
from services.scope import Scope
from services.web.scopedb import build
from tests.helpers import KEY, attendance, d, ended, registered, signed, write_jsonl

WBA = "wellbeing_area:pohjois-pohjanmaa"


def test_a_contract_id_shared_across_areas_lets_no_other_clients_rows_in(tmp_path: Path
                                                                         ) -> None:
    events = [
        # Oulu (564): a KTT contract K-1 produced by a company (a compliance violation)
        registered("2023-02-01", home="564", client="oulu-a"),
        signed("K-1", "2023-02-01", organizer=WBA, kind="company", producer_id="FIRMA-OULU",
               producer_municipality="564", days=5, hours=2, client="oulu-a"),
        attendance("K-1", "2023-02-02", client="oulu-a"),
        # Raahe (678): another client's contract, also called K-1
        registered("2023-02-01", home="678", client="raahe-b"),
        signed("K-1", "2023-02-01", service="SOSKU", organizer=WBA, producer_id="PAJA-RAAHE",
               producer_municipality="678", client="raahe-b"),
        # a client of Raahe now (latest contract) whose earlier K-1 was Oulu's
        registered("2022-01-01", home="564", client="moved-c"),
        signed("K-1", "2022-01-01", producer_id="PAJA-OULU", client="moved-c"),
        attendance("K-1", "2022-03-03", present=False, client="moved-c"),
        ended("K-1", "2022-06-30", reason="moved_away", client="moved-c"),
        signed("K-9", "2023-02-01", service="SOSKU", organizer=WBA, producer_id="PAJA-RAAHE",
               producer_municipality="678", client="moved-c"),
    ]
    main = tmp_path / "main.duckdb"
    replay(write_jsonl(tmp_path / "e.jsonl", events), main, Settings(pseudonym_key=KEY),
           d("2023-04-30"))
    with duckdb.connect(str(main), read_only=True) as con:  # the rows there are to leak
        leakable = con.execute("SELECT count(*) FROM compliance_violations WHERE client_id = "
                               "'oulu-a'").fetchall()
    assert leakable[0][0] >= 1

    scoped = tmp_path / "raahe.duckdb"
    build(main, scoped, Scope(municipalities=frozenset({"678"})))
    with duckdb.connect(str(scoped), read_only=True) as con:
        contracts = set(con.execute("SELECT client_id, contract_id FROM contracts").fetchall())
        assert contracts == {("raahe-b", "K-1"), ("moved-c", "K-9")}
        violations = con.execute("SELECT client_id, contract_id FROM compliance_violations "
                                 "WHERE contract_id IS NOT NULL").fetchall()
        assert set(violations) <= contracts
        assert not con.execute("SELECT * FROM compliance_violations WHERE client_id = 'oulu-a'"
                               ).fetchall()
        events_kept = con.execute(
            "SELECT client_id, json_extract_string(payload, '$.contract_id') FROM events "
            "WHERE json_extract_string(payload, '$.contract_id') IS NOT NULL").fetchall()
        assert events_kept and set(events_kept) <= contracts
        assert not con.execute("SELECT * FROM events WHERE client_id = 'oulu-a'").fetchall()
