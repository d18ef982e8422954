"""Alerts on the dashboard (acknowledge, silence, link from Alertmanager), the service map and
/metrics, in the browser against `jatkumo serve`."""

import re
import urllib.request
from typing import Any

from services.web.i18n import translate
from tests.e2e.web.conftest import PASSWORD
from tests.e2e.web.test_pages import counts_on, shot


def test_manager_sees_alerts_as_counts_and_no_single_alert(page_as: Any, server: str) -> None:
    page = page_as("maija")
    page.goto(server + "/alerts")
    assert page.locator("#alert-counts tbody tr").count() >= 2  # the region and its areas
    assert page.locator("#alerts-firing").count() == 0
    assert not [v for v in counts_on(page) if v in {"1", "2", "3", "4"}]
    shot(page, "alerts")
    analyst = page_as("antti")
    analyst.goto(server + "/alerts")
    link = analyst.locator("#alerts-firing tbody tr a").first.get_attribute("href")
    page = page_as("maija")
    page.goto(server + link)  # a manager from a notification: the counts, not the gap
    assert page.url == server + "/alerts"


def test_analyst_acknowledges_and_silences_an_alert(page_as: Any, server: str) -> None:
    page = page_as("antti")
    page.goto(server + "/alerts")
    assert page.locator("#alerts-firing tbody tr").count() > 5
    page.locator("#alerts-firing tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/alerts/[0-9a-f]{20}$"))
    assert "syn-" not in page.url
    page.fill("#ack-comment", "Soitettu työpajalle, siirto tulossa")
    page.click("#ack-form button")
    assert "antti" in page.locator("#alert-ack").inner_text()
    page.select_option("#silence-hours", "24")
    page.fill("#silence-comment", "lomalla")
    page.click("#silence-form button")
    assert page.locator("#alert-silence").inner_text() != "–"
    shot(page, "alert")


def test_an_alert_link_resolves_after_sign_in_and_analysts_reach_the_timeline(
        context: Any, server: str) -> None:
    context.clear_cookies()
    page = context.new_page()
    page.goto(server + "/alerts")
    assert page.url == server + "/login"
    page.fill("#username", "antti")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(server + "/alerts")
    link = page.locator("#alerts-firing tbody tr a").first.get_attribute("href")
    context.clear_cookies()
    page.goto(server + link)  # as from an Alertmanager notification
    page.fill("#username", "antti")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(server + link)
    page.click("#alert-timeline")
    page.wait_for_selector("#timeline-chart svg")
    page.close()


def test_service_map_groups_by_area_and_flags_places_without_a_workshop(page_as: Any,
                                                                       server: str) -> None:
    page = page_as("maija")
    page.goto(server + "/map")
    page.click("#map-services-box summary")  # below the choropleth, folded
    assert page.locator("table.map").count() == 1
    areas = {t.strip() for t in page.locator("table.map tbody td:first-child").all_inner_texts()}
    # the six internal areas, and the unknown one: one place, listed whatever the data
    assert len(areas) == 7 and translate("area_other", "fi") in areas
    assert page.locator("tr.nolocal").count() >= 1
    assert page.locator("#no-local").is_visible()
    assert not [v for v in counts_on(page) if v in {"1", "2", "3", "4"}]
    shot(page, "map")


def test_metrics_are_prometheus_text_without_client_ids(server: str) -> None:
    with urllib.request.urlopen(server + "/metrics", timeout=5) as r:
        text = r.read().decode()
    for name in ("jatkumo_events_taken_total", "jatkumo_dead_letters_total",
                 "jatkumo_page_seconds_bucket", "jatkumo_processing_seconds",
                 "jatkumo_consumer_lag"):
        assert name in text, name
    # without a token: as published (a hidden count is left out and marked)
    assert ('jatkumo_open_gaps{gap_type="SERVICE_BREAK"}' in text
            or 'jatkumo_open_gaps_suppressed{gap_type="SERVICE_BREAK"} 1.0' in text)
    assert "syn-" not in text
