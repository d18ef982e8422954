"""The client timeline's picture from a client's facts (no database: the facts are given as
the page reads them): lanes, attendance marks, handoff markers, thinned month labels, and an
end date equal to the as-of date of the tables."""

import itertools
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.web.pages import timeline as page
from services.web.timeline_svg import CHAR_PX, Bar, Chart, Lane, draw, month_step

AS_OF = date(2023, 4, 30)


def ev(kind: str, on: date, **payload: Any) -> dict[str, Any]:
    return {"event_type": kind, "effective_date": on, "payload": payload}


def facts() -> dict[str, Any]:
    signed = date(2022, 10, 3)
    return {
        "as_of": AS_OF,
        "contracts": [{"contract_id": "k1", "service": "KTT", "signed_organizer":
                       "municipality:564", "organizer": "wellbeing_area:pohjois-pohjanmaa",
                       "start_date": signed, "last_day": date(2023, 6, 30), "end_reason": None,
                       "producer_id": "PAJA-564", "producer_kind": "municipal",
                       "municipality": "564"}],
        "referrals": [{"referral_id": "r1", "target": "mental_health",
                       "made_on": date(2022, 11, 1), "started_on": date(2022, 12, 1),
                       "closed_on": None}],
        "gaps": [{"gap_type": "HANDOFF_MISSING", "subject_id": "k1", "started_on": CUT,
                  "ended_on": date(2023, 1, 20), "length_days": 19},
                 {"gap_type": "ATTENDANCE_SILENCE", "subject_id": "k1",
                  "started_on": date(2023, 3, 1), "ended_on": None, "length_days": 61}],
        "events": [
            ev("contract.signed", signed, contract_id="k1", service="KTT",
               organizer="municipality:564"),
            ev("worker.assigned", signed, worker_id="w-1", organization="municipality:564"),
            ev("worker.unassigned", CUT, worker_id="w-1", organization="municipality:564"),
            ev("responsibility.transferred", date(2023, 1, 20), contract_id="k1",
               from_organizer="municipality:564",
               to_organizer="wellbeing_area:pohjois-pohjanmaa"),
            ev("contract.suspended", date(2023, 2, 1), contract_id="k1", reason="illness"),
            ev("contract.resumed", date(2023, 2, 15), contract_id="k1"),
            *[ev("attendance.recorded", signed + timedelta(days=i), contract_id="k1",
                 present=i % 5 != 0) for i in range(0, 60)],
        ]}


CUT = date(2023, 1, 1)


@pytest.fixture(autouse=True)
def default_handoffs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JATKUMO_HANDOFFS", raising=False)
    monkeypatch.delenv("JATKUMO_CUTOVER", raising=False)


def test_every_kind_of_fact_gets_its_lane_and_the_chart_ends_on_the_as_of_date() -> None:
    c = page.chart(facts(), "fi")
    kinds = [lane.kind for lane in c.lanes]
    assert kinds == ["contract", "suspension", "worker", "referral", "gap", "gap"]
    assert c.last == AS_OF and c.first == date(2022, 10, 1)
    contract = c.lanes[0]
    assert [(b.style, b.start, b.end) for b in contract.bars] == [
        ("municipality", date(2022, 10, 3), date(2023, 1, 19)),
        ("wellbeing_area", date(2023, 1, 20), date(2023, 6, 30))]
    assert contract.bars[0].text == "Kunta Oulu"
    suspension = c.lanes[1].bars[0]
    assert (suspension.start, suspension.end) == (date(2023, 2, 1), date(2023, 2, 14))
    assert "sairaus" in suspension.label
    svg = draw(c)
    assert f'data-last="{AS_OF.isoformat()}"' in svg
    # No mark reaches past the as-of date: the contract's planned end is cut there.
    xs = [float(a) + float(b) for a, b in re.findall(
        r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="\d+" fill=', svg)]
    assert max(xs) <= 1100 - 16 + 0.1


@pytest.mark.parametrize("last", ["municipality:678", "wellbeing_area:pohjois-pohjanmaa"])
def test_of_two_transfers_of_one_day_the_later_correction_is_drawn(last: str) -> None:
    """SPEC.md 1.4: the events come in their effect order (the later correction of a day last);
    the chart sorted a day's transfers by organiser and drew the wellbeing area either way."""
    f = facts()
    first = ("wellbeing_area:pohjois-pohjanmaa" if last == "municipality:678"
             else "municipality:678")
    moves = [ev("responsibility.transferred", date(2023, 1, 20), contract_id="k1",
                from_organizer="municipality:564", to_organizer=to) for to in (first, last)]
    f["events"] = [e for e in f["events"] if e["event_type"] != "responsibility.transferred"]
    f["events"].extend(moves)
    bars = page.chart(f, "en").lanes[0].bars
    assert [(b.style, b.start) for b in bars] == [
        ("municipality", date(2022, 10, 3)), (last.split(":")[0], date(2023, 1, 20))]
    assert ("Raahe" in bars[1].text) == (last == "municipality:678"), bars[1].text  # 678


def test_attendance_is_a_mark_per_day_and_an_absence_is_a_short_mark() -> None:
    svg = draw(page.chart(facts(), "fi"))
    present = re.findall(r'height="(\d+)" fill="[^"]+" data-mark="[^"]+" '
                         r'data-style="present"', svg)
    absent = re.findall(r'height="(\d+)" fill="[^"]+" data-mark="[^"]+" '
                        r'data-style="absent"', svg)
    assert (len(present), len(absent)) == (48, 12)
    assert int(absent[0]) < int(present[0])


def test_the_handoff_day_is_marked_and_a_configured_second_one_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svg = draw(page.chart(facts(), "fi"))
    assert svg.count('class="tl-handoff"') == 1 and 'data-date="2023-01-01"' in svg
    assert ">1.1.2023</text>" in svg
    conf = tmp_path / "h.toml"
    conf.write_text(
        '[[handoff]]\nname = "2023"\nservices = ["KTT", "SOSKU"]\nfrom = "municipality"\n'
        'to = "wellbeing_area"\ndate = 2023-01-01\n\n'
        '[[handoff]]\nname = "ktt-back"\nservices = ["KTT"]\nfrom = "wellbeing_area"\n'
        'to = "municipality"\ndate = 2023-04-01\n', encoding="utf-8")
    monkeypatch.setenv("JATKUMO_HANDOFFS", str(conf))
    svg = draw(page.chart(facts(), "fi"))
    assert re.findall(r'class="tl-handoff" data-date="([\d-]+)"', svg) == [
        "2023-01-01", "2023-04-01"]


def test_legend_names_each_kind_of_mark_in_the_language_of_the_page() -> None:
    c = page.chart(facts(), "sv")
    words = [w for _, w in page.legend(c, "sv")]
    assert words[:2] == ["Anordnare: kommun", "Anordnare: välfärdsområde"]
    assert "Överföringsdag (streckad linje)" in words and "Frånvarande (lågt märke)" in words
    assert len(words) == 9  # no "other" organiser in these facts


@pytest.mark.parametrize("days", [20, 45, 120, 400, 800, 1500, 3000, 7000])
def test_month_labels_never_overlap_whatever_the_span(days: int) -> None:
    first = date(2021, 1, 1)
    svg = draw(Chart("t", first, first + timedelta(days=days),
                     (Lane("a", "worker"),), months=[f"kuukausi{i}" for i in range(1, 13)]))
    labels = [(float(x), text) for x, text in re.findall(
        r'<text x="([\d.]+)" y="\d+" class="tl-month" text-anchor="middle">([^<]+)</text>',
        svg)]
    assert labels or days < 31
    for (x0, t0), (x1, t1) in itertools.pairwise(labels):
        assert x1 - x0 >= (len(t0) + len(t1)) / 2 * CHAR_PX, (t0, t1)


def test_month_step_grows_as_months_get_narrow() -> None:
    assert month_step(200, 10) == 1
    assert month_step(40, 10) == 3
    assert month_step(2, 10) >= 60


def test_event_texts_are_words_not_codes() -> None:
    w = page.Words("fi")
    texts = [page.event_text(e, w) for e in facts()["events"][:6]]
    assert texts[1] == ("w-1", "Kunta Oulu")
    assert texts[3] == ("k1", "Kunta Oulu → hyvinvointialue")
    assert texts[4] == ("k1", "sairaus")
    assert w.maybe("tl_event", "worker.assigned") == "Vastuutyöntekijä nimetty"


def test_overlapping_bars_of_a_lane_get_rows_of_their_own_and_text_only_where_it_fits() -> None:
    first = date(2023, 1, 1)
    bars = (Bar(first, date(2023, 6, 30), "worker", "w-1", "w-1"),
            Bar(date(2023, 3, 1), date(2023, 12, 31), "worker", "w-2", "w-2"),
            Bar(date(2023, 7, 1), date(2023, 7, 2), "worker", "w-3", "a long name here"))
    svg = draw(Chart("t", first, date(2023, 12, 31), (Lane("workers", "worker", bars),)))
    rects = [(float(x), int(y), float(x) + float(w)) for x, y, w in re.findall(
        r'<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)" height="\d+" fill=', svg)]
    assert len({y for _, y, _ in rects}) == 2  # w-1 and w-3 share a row, w-2 has its own
    for i, (x0, y0, x1) in enumerate(rects):
        for a0, b0, a1 in rects[i + 1:]:
            assert y0 != b0 or x1 <= a0 or a1 <= x0
    assert ">w-1</text>" in svg and ">w-2</text>" in svg and "a long name" not in svg


def test_a_long_lane_name_is_cut_at_a_word_and_given_whole_in_its_tooltip() -> None:
    name = "Ansvariga socialarbetare inom välfärdsområdet"
    svg = draw(Chart("t", date(2023, 1, 1), date(2023, 3, 1), (Lane(name, "worker"),)))
    shown = re.search(r'class="tl-lane-name"><title>([^<]+)</title>([^<]+)</text>', svg)
    assert shown is not None and shown.group(1) == name
    cut = shown.group(2)
    assert cut.endswith(" …") and name.startswith(cut[:-2] + " ")  # whole words, then …
    assert len(cut) * CHAR_PX <= 230 - 12
