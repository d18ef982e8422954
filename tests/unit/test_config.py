"""Configuration: thresholds, cutover and internal areas come from the environment."""

from datetime import date
from pathlib import Path

import pytest

from schemas import reference
from schemas.errors import ConfigError
from services import config


def test_thresholds_cutover_and_grace_days_are_read_from_the_environment() -> None:
    s = config.load({"JATKUMO_CUTOVER": "2026-01-01", "JATKUMO_HANDOFF_GRACE_DAYS": "7",
                     "JATKUMO_THRESHOLDS": "SERVICE_BREAK=45,REFERRAL_STALLED.health=10",
                     "JATKUMO_PSEUDONYM_KEY": "k"})
    assert s.rules.cutover == date(2026, 1, 1)
    assert s.rules.handoff_grace_days == 7
    assert s.rules.thresholds["SERVICE_BREAK"] == 45
    assert s.rules.thresholds["HANDOFF_MISSING"] == 14
    assert s.rules.referral_thresholds["health"] == 10
    assert s.rules.referral_thresholds["mental_health"] == 28
    assert s.pseudonym_key == b"k"


@pytest.mark.parametrize("bad", ["SERVICE_BREAK", "NOPE=3", "SERVICE_BREAK=x"])
def test_a_malformed_threshold_says_how_to_write_one(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"SERVICE_BREAK|threshold"):
        config.load({"JATKUMO_THRESHOLDS": bad})


def test_a_bad_cutover_date_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        config.load({"JATKUMO_CUTOVER": "1.1.2023"})


def test_internal_areas_can_be_regrouped_from_a_csv(tmp_path: Path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text("code,internal_area\n244,Oulu\n564,Oulu\n", encoding="utf-8")
    try:
        config.apply_reference(config.load({"JATKUMO_AREAS_FILE": str(areas)}))
        assert reference.internal_area("244") == "Oulu"  # Kempele, Lakeus by default
        assert reference.internal_area("425") == "Lakeus"  # not listed: the default stays
    finally:
        reference.use_internal_areas({})
    assert reference.internal_area("244") == "Lakeus"


def test_an_area_file_naming_an_unknown_municipality_is_refused(tmp_path: Path) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text("code,internal_area\n999,Nowhere\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="999"):
        config.apply_reference(config.load({"JATKUMO_AREAS_FILE": str(areas)}))


@pytest.mark.parametrize("read", [
    lambda p: config.read_areas(p),
    lambda p: __import__("services.web.auth", fromlist=["load_users"]).load_users(p),
    lambda p: config.read_handoffs(p),
])
def test_a_settings_file_that_never_ends_is_refused_not_read_to_the_end(read: object) -> None:
    """Attack (2026-12-04): JATKUMO_USERS=/dev/zero and JATKUMO_AREAS_FILE=/dev/zero read until
    the memory ran out; the handoffs file already stopped at 64 KiB."""
    with pytest.raises(ConfigError, match="is larger than"):
        read("/dev/zero")  # type: ignore[operator]


def test_an_area_file_that_is_no_text_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_bytes(b"code,internal_area\n\xff\xfe564,Oulu\n")
    with pytest.raises(ConfigError, match="cannot read JATKUMO_AREAS_FILE"):
        config.read_areas(str(bad))


def test_alert_links_name_the_port_served_on_when_no_public_url_is_set() -> None:
    assert config.load_web({}, host="127.0.0.1", port=9123).public_url == "http://127.0.0.1:9123"
    assert config.load_web({}, host="0.0.0.0", port=80).public_url == "http://127.0.0.1:80"
    assert config.load_web({}, host="::1", port=8443).public_url == "http://[::1]:8443"
    given = {"JATKUMO_PUBLIC_URL": "https://jatkumo.example.fi/"}
    assert config.load_web(given, port=9123).public_url == "https://jatkumo.example.fi"


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", "file:///etc/passwd", "ftp://host", "jatkumo.example.fi",
    "https://user:secret@jatkumo.example.fi", "https://jatkumo.example.fi/?q=1",
    "https://jatkumo.example.fi/#x", "http://host:99999", "http://host:port",
    "https://jatkumo.example.fi/a b", "https://jatkumo.example.fi/\x00", "http://", "https://\n"])
def test_a_public_url_that_is_no_dashboard_address_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_PUBLIC_URL must be") as e:
        config.load_web({"JATKUMO_PUBLIC_URL": bad})
    assert "secret" not in str(e.value)


def test_a_threshold_under_five_that_would_give_counts_away_is_refused() -> None:
    for k in ("2", "3", "4"):
        with pytest.raises(ConfigError, match=f"JATKUMO_SUPPRESS_BELOW={k} would let"):
            config.load_web({"JATKUMO_SUPPRESS_BELOW": k})
    for given, k_ in (("", 5), ("0", 1), ("1", 1), ("5", 5), ("10", 10)):
        assert config.load_web({"JATKUMO_SUPPRESS_BELOW": given}).suppress_below == k_
