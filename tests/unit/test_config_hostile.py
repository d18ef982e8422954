"""Hostile settings (attack, H5-H8, M3, M4, M9): every wrong value is a ConfigError that names
the variable and says what to write: never a traceback, a hang, or a value taken silently."""

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.errors import ConfigError, JatkumoError
from services import config
from streams.core.rules import Rules

NINES = "9" * 5000  # past int()'s 4300 digits: ValueError, not a ConfigError, before


def _ends(read: Callable[[], object], seconds: float = 5.0) -> BaseException | None:
    """What `read` raised, failing the test if it did not end within `seconds` (a daemon
    thread: a read that hangs cannot keep the test run from ending)."""
    caught: list[BaseException | None] = []

    def run() -> None:
        try:
            read()
            caught.append(None)
        except BaseException as e:  # handed to the test to judge
            caught.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert caught, f"the read did not end within {seconds} s"
    return caught[0]


@pytest.mark.parametrize("read", [
    lambda p: config.read_areas(p),
    lambda p: config.read_handoffs(p),
    lambda p: config.read_small(p, f"the users file {p}"),
])
def test_a_fifo_as_a_settings_file_is_refused_at_once(
        tmp_path: Path, read: Callable[[str], object]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    e = _ends(lambda: read(str(fifo)))
    assert isinstance(e, ConfigError)
    assert "FIFO" in str(e) and "not a regular file" in str(e) and str(fifo) in str(e)


def test_a_directory_or_a_character_device_as_a_settings_file_is_refused(
        tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"JATKUMO_AREAS_FILE .*: Is a directory"):
        config.read_areas(str(tmp_path))
    with pytest.raises(ConfigError, match="JATKUMO_AREAS_FILE /dev/null must be a CSV"):
        config.read_areas("/dev/null")  # read as the empty file it is, without blocking


def test_a_regular_file_past_the_limit_is_still_refused_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"code,internal_area\n" + b"564,A\n" * (config.SETTINGS_FILE_MAX_BYTES // 6))
    with pytest.raises(ConfigError, match="is larger than 1 MiB"):
        config.read_areas(str(big))


def test_the_handoffs_flag_is_named_when_its_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the handoffs file of --handoffs .*missing\.toml"):
        config.load({}, handoffs=str(tmp_path / "missing.toml"))


@pytest.mark.parametrize("flag", ["", " ", "\t"])
def test_an_empty_handoffs_flag_is_refused_not_taken_as_absent(flag: str, tmp_path: Path
                                                              ) -> None:
    """A hunt (2026-12-06): `--handoffs ""` (a shell variable left unset) ran the default
    handoff, or read JATKUMO_HANDOFFS, which the flag is given to override, without a word."""
    stale = tmp_path / "stale.toml"
    stale.write_text('[[handoff]]\nname = "x"\nservices = ["KTT"]\nfrom = "municipality"\n'
                     'to = "wellbeing_area"\ndate = 2023-01-01\n')
    for env in ({}, {"JATKUMO_HANDOFFS": str(stale)}):
        with pytest.raises(ConfigError, match="--handoffs is empty; give a UTF-8 TOML file"):
            config.load(env, handoffs=flag)
    # absent is absent: the variable, else the default list
    assert config.load({"JATKUMO_HANDOFFS": str(stale)}).rules.configured_handoffs is not None
    assert config.load({}).rules.configured_handoffs is None


@pytest.mark.parametrize("text", ["²", "１４", "٣", "-1", "1.5", " ", "14 days"])
def test_a_grace_period_of_no_ascii_digits_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_HANDOFF_GRACE_DAYS must be a whole number"):
        config.load({"JATKUMO_HANDOFF_GRACE_DAYS": text})


@pytest.mark.parametrize("text", ["3651", "9999999", "99999999999999999999", NINES])
def test_a_grace_period_past_the_handoffs_files_bound_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="from 0 to 3650") as e:
        config.load({"JATKUMO_HANDOFF_GRACE_DAYS": text})
    assert len(str(e.value)) < 200  # 5000 digits are not repeated back


def test_a_grace_period_within_the_bound_is_taken() -> None:
    assert config.load({"JATKUMO_HANDOFF_GRACE_DAYS": "3650"}).rules.handoff_grace_days == 3650
    assert config.load({"JATKUMO_HANDOFF_GRACE_DAYS": "0"}).rules.handoff_grace_days == 0


@pytest.mark.parametrize("text", ["SERVICE_BREAK=²", "SERVICE_BREAK=٣٠",
                                  "REFERRAL_STALLED.health=²"])
def test_a_threshold_of_no_ascii_digits_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError, match="must be NAME=DAYS"):
        config.parse_thresholds(text, Rules())


@pytest.mark.parametrize("days", ["3651", "99999999999999999999", NINES])
def test_a_threshold_of_more_than_ten_years_is_refused(days: str) -> None:
    with pytest.raises(ConfigError, match=r"threshold SERVICE_BREAK must be .* 0 to 3650"):
        config.load({"JATKUMO_THRESHOLDS": f"SERVICE_BREAK={days}"})


@pytest.mark.parametrize("size", ["0GB", "1KB", "10MB", "999999999TB", "2000TiB", "١GB", "nanGB",
                                  "infGB", f"{NINES}GB"])
def test_a_duckdb_memory_limit_out_of_range_is_refused_before_duckdb_sees_it(
        size: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_DUCKDB_MEMORY must be a size from 64MB"):
        config.load({"JATKUMO_DUCKDB_MEMORY": size})


@pytest.mark.parametrize("size", ["64MB", "1GB", "1.5GB", "512MiB", "1024TiB"])
def test_a_duckdb_memory_limit_in_range_is_taken(size: str) -> None:
    assert config.load({"JATKUMO_DUCKDB_MEMORY": size}).duckdb_memory == size


@pytest.mark.parametrize("size", ["0MB", "32MB", "1025GB", "99999999999999GB", f"{NINES}MB",
                                  "١٢MB"])
def test_an_sql_memory_limit_out_of_range_is_refused(size: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_SQL_MEMORY_LIMIT must be a size from 64MB"):
        config.load_web({"JATKUMO_SQL_MEMORY_LIMIT": size})


@pytest.mark.parametrize("load, name", [
    (lambda env: config.load(env), config.KEY_VAR),
    (lambda env: config.load_web(env), "JATKUMO_WEB_SECRET"),
])
def test_a_key_holding_bytes_that_are_not_utf8_is_refused(
        load: Callable[[dict[str, str]], object], name: str) -> None:
    # os.environ holds an undecodable byte 0xff as the lone surrogate U+DCFF
    with pytest.raises(ConfigError, match=f"{name} must be UTF-8 text"):
        load({name: "key-\udcff"})


def test_a_key_of_text_is_its_utf8_bytes() -> None:
    assert config.load({config.KEY_VAR: "avain-ä"}).pseudonym_key == "avain-ä".encode()
    assert config.load_web({"JATKUMO_WEB_SECRET": "s"}).secret == b"s"


@pytest.mark.parametrize("name", [
    "JATKUMO_ALERT_RESEND_SECONDS", "JATKUMO_ALERT_SYNC_SECONDS",
    "JATKUMO_SQL_TIMEOUT_SECONDS", "JATKUMO_SNAPSHOT_SECONDS"])
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "-5", "0", "1e999", "١٢", NINES])
def test_a_web_setting_of_seconds_must_be_finite_and_in_range(name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a number of seconds from"):
        config.load_web({name: text})


@pytest.mark.parametrize("name", ["JATKUMO_INGEST_READ_SECONDS",
                                  "JATKUMO_INGEST_EVENTS_PER_SECOND"])
@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-1", "0", "0.01", "1e9", NINES])
def test_an_ingest_setting_must_be_finite_and_in_range(name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a number of"):
        config.load_ingest({name: text})


def test_settings_of_seconds_in_range_are_taken() -> None:
    web = config.load_web({"JATKUMO_SNAPSHOT_SECONDS": "0.2", "JATKUMO_SQL_TIMEOUT_SECONDS": "120",
                           "JATKUMO_ALERT_SYNC_SECONDS": "3600"})
    assert (web.snapshot_seconds, web.sql_timeout_seconds, web.alert_sync_seconds) == (
        0.2, 120.0, 3600.0)
    ingest = config.load_ingest({"JATKUMO_INGEST_READ_SECONDS": "2",
                                 "JATKUMO_INGEST_EVENTS_PER_SECOND": "2"})
    assert (ingest.read_seconds, ingest.events_per_second) == (2.0, 2.0)


@pytest.mark.parametrize("text", ["inf", "nan", "0", "0.5", "1e3", "²", "100001", NINES])
def test_an_sql_row_limit_is_a_whole_number_of_rows(text: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_SQL_ROW_LIMIT must be a whole number"):
        config.load_web({"JATKUMO_SQL_ROW_LIMIT": text})
    assert config.load_web({"JATKUMO_SQL_ROW_LIMIT": "50"}).sql_row_limit == 50


@pytest.mark.parametrize("name, text", [
    ("JATKUMO_SUPPRESS_BELOW", "²"), ("JATKUMO_SUPPRESS_BELOW", "1001"),
    ("JATKUMO_SUPPRESS_BELOW", NINES), ("JATKUMO_SQL_PROCESSES", "99999"),
    ("JATKUMO_SQL_PROCESSES", "٢"), ("JATKUMO_SQL_PER_USER", "65")])
def test_a_whole_web_setting_of_other_digits_or_past_its_bound_is_refused(
        name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a whole number from 0 to"):
        config.load_web({name: text})


@pytest.mark.parametrize("name, text", [
    ("JATKUMO_PARTITIONS", "0"), ("JATKUMO_PARTITIONS", "²"), ("JATKUMO_PARTITIONS", NINES),
    ("JATKUMO_REPLICATION", "0"), ("JATKUMO_REPLICATION", "17"),
    ("JATKUMO_WORKER_WEB_PORT", "65536"), ("JATKUMO_WORKER_SESSION_TIMEOUT", "nan"),
    ("JATKUMO_WORKER_SESSION_TIMEOUT", "inf")])
def test_a_kafka_setting_out_of_range_is_refused(name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a"):
        config.load_kafka({name: text})


@pytest.mark.parametrize("text", ["\udcff:9092", "host:99999", "host:port", "a b:9092", ",",
                                  "kafka://host:9092"])
def test_a_bootstrap_that_is_no_host_and_port_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_BOOTSTRAP must be"):
        config.load_kafka({"JATKUMO_BOOTSTRAP": text})


def test_bootstrap_servers_of_hosts_and_ports_are_taken() -> None:
    given = "k1.example.fi:9092, 10.0.0.2:9093,[::1]:9094,localhost"
    assert config.load_kafka({"JATKUMO_BOOTSTRAP": given}).bootstrap == given


@pytest.mark.parametrize("text", ["http://h:99999", "ftp://h", "h:9093", "http://\udcff:9093",
                                  "http://u:p@h:9093/?q=1", "http://h:9093/#x"])
def test_an_alertmanager_url_that_is_no_address_is_refused_without_repeating_it(
        text: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_ALERTMANAGER_URL must be") as e:
        config.load_web({"JATKUMO_ALERTMANAGER_URL": text})
    assert text not in str(e.value)  # it may hold a password


def test_an_alertmanager_url_with_a_user_and_a_path_is_taken() -> None:
    url = "https://am:s%40cret@am.example.fi:9093/alertmanager/"
    assert config.load_web({"JATKUMO_ALERTMANAGER_URL": url}).alertmanager_url == url[:-1]
    assert config.load_web({"JATKUMO_ALERTMANAGER_URL": ""}).alertmanager_url is None


def _areas(tmp_path: Path, text: str) -> str:
    path = tmp_path / "areas.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("text", [
    "code,internal_area\n564\n",  # a short row: no cell at all (None) for internal_area
    'code,internal_area\n"564\n',  # an unclosed quote swallows the rest of the file
    "code,internal_area\n564,\n",  # an empty area
    "code,internal_area\n564,   \n",
])
def test_an_area_row_without_an_area_is_refused_with_its_line(
        tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"line 2: municipality 564 has no internal_area"):
        config.read_areas(_areas(tmp_path, text))


def test_a_municipality_listed_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = _areas(tmp_path, "code,internal_area\n564,A\n244,B\n564,C\n")
    with pytest.raises(ConfigError, match="line 4: municipality 564 is already on line 2"):
        config.read_areas(path)
    path = _areas(tmp_path, "code,internal_area\n91,A\n091,B\n")  # one code, two spellings
    with pytest.raises(ConfigError, match="line 3: municipality 091 is already on line 2"):
        config.read_areas(path)


@pytest.mark.parametrize("code", ["", "²", "5640", "abc", "٥٦٤"])
def test_an_area_row_of_no_municipality_code_is_refused_with_its_line(
        tmp_path: Path, code: str) -> None:
    path = _areas(tmp_path, f"code,internal_area\n244,A\n{code},B\n")
    with pytest.raises(ConfigError, match="line 3: code must be a municipality code"):
        config.read_areas(path)


@pytest.mark.parametrize("text", ["", "code,internal_area\n", "code;internal_area\n564;A\n"])
def test_an_area_file_without_rows_or_columns_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="columns code,internal_area"):
        config.read_areas(_areas(tmp_path, text))


def test_a_well_formed_area_file_is_read_with_padded_codes(tmp_path: Path) -> None:
    path = _areas(tmp_path, "\ufeffcode,internal_area,note\n91,Helsinki area,x\n564, Oulu \n")
    assert config.read_areas(path) == {"091": "Helsinki area", "564": "Oulu"}


@pytest.mark.parametrize("env, said", [
    ({"JATKUMO_KAFKA_HEAP": "512m"}, "JATKUMO_KAFKA_HEAP must be"),
    ({"JATKUMO_KAFKA_HEAP": "-Xmx512m -jar evil.jar"}, "JATKUMO_KAFKA_HEAP must be"),
    ({"JATKUMO_KAFKA_HEAP": "-Xmx" + NINES}, "JATKUMO_KAFKA_HEAP must be"),
    ({"JATKUMO_KAFKA_JIT": "-javaagent:/tmp/x.jar"}, "JATKUMO_KAFKA_JIT must be"),
    ({"JATKUMO_KAFKA_JIT": "-XX:TieredStopAtLevel=1 -cp /tmp"}, "got '-cp'"),
    ({"JATKUMO_KAFKA_JIT": "-XX:OnError=rm;x"}, "JATKUMO_KAFKA_JIT must be"),
    ({"JATKUMO_KAFKA_JIT": "-XX:+Use\udcffG1"}, "JATKUMO_KAFKA_JIT must be"),
])
def test_broker_jvm_options_other_than_a_heap_and_xx_flags_are_refused(
        env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        config.jvm_options(env)


def test_broker_jvm_options_default_and_given() -> None:
    assert config.jvm_options({}) == ["-Xmx512m", "-XX:TieredStopAtLevel=1"]
    assert config.jvm_options({"JATKUMO_KAFKA_HEAP": " -Xmx2g ", "JATKUMO_KAFKA_JIT": ""}) \
        == ["-Xmx2g"]
    assert config.jvm_options({"JATKUMO_KAFKA_JIT": "-XX:-UseCompressedOops "
                               "-XX:CICompilerCount=2"})[1:] \
        == ["-XX:-UseCompressedOops", "-XX:CICompilerCount=2"]


def test_the_broker_gets_its_whole_heap_at_start_and_the_tools_do_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from services.kafka_broker import java_options

    monkeypatch.setenv("JATKUMO_KAFKA_HEAP", "-Xmx2g")
    monkeypatch.delenv("JATKUMO_KAFKA_JIT", raising=False)
    assert java_options("kafka.Kafka") == ["-Xmx2g", "-Xms2g", "-XX:+AlwaysPreTouch",
                                           "-XX:TieredStopAtLevel=1"]
    assert java_options("kafka.tools.StorageTool") == ["-Xmx2g", "-XX:TieredStopAtLevel=1"]
    monkeypatch.delenv("JATKUMO_KAFKA_HEAP")
    assert "-Xms512m" in java_options("kafka.Kafka")
    assert _java_takes(java_options("kafka.Kafka")) == {"AlwaysPreTouch": "true",
                                                         "InitialHeapSize": "536870912"}
    # the operator's -XX options come last, so java takes theirs (as deploy/kafka/README.md
    # says to undo the whole heap)
    monkeypatch.setenv("JATKUMO_KAFKA_JIT",
                       "-XX:-AlwaysPreTouch -XX:MinHeapSize=8m -XX:InitialHeapSize=64m")
    assert _java_takes(java_options("kafka.Kafka")) == {"AlwaysPreTouch": "false",
                                                         "InitialHeapSize": "67108864"}


def _java_takes(options: list[str]) -> dict[str, str]:
    """What the JVM makes of these options: its final AlwaysPreTouch and InitialHeapSize
    (it refuses to start on a conflict, as it would the broker)."""
    done = subprocess.run(["java", *options, "-XX:+PrintFlagsFinal", "-version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    flags = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] in ("AlwaysPreTouch", "InitialHeapSize"):
            flags[parts[1]] = parts[3]
    return flags


@pytest.mark.parametrize("token, said", [
    ("secret", "at least 16 characters"),
    ("  fifteen-chars  ", "at least 16 characters"),
    ("a-long-enough-token-\udcff", "must be UTF-8 text"),
])
def test_a_metrics_token_short_or_not_text_is_refused(token: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        config.load_web({"JATKUMO_METRICS_TOKEN": token})


def test_a_metrics_token_is_its_bytes_and_unset_is_none() -> None:
    assert config.load_web({"JATKUMO_METRICS_TOKEN": " a-long-enough-token "}).metrics_token \
        == b"a-long-enough-token"
    assert config.load_web({}).metrics_token is None
    assert config.load_web({"JATKUMO_METRICS_TOKEN": ""}).metrics_token is None


@pytest.mark.parametrize("choice", ["Pure", "python", "pure ", "0", "compiled\n"])
def test_a_core_choice_that_is_no_core_is_refused(choice: str) -> None:
    with pytest.raises(ConfigError, match="JATKUMO_CORE must be 'pure' or 'compiled'"):
        config.check_core({"JATKUMO_CORE": choice})


def test_insisting_on_the_compiled_core_without_its_build_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    config.check_core({})
    config.check_core({"JATKUMO_CORE": "pure"})
    monkeypatch.setattr(config, "which_core", lambda: "pure")
    with pytest.raises(ConfigError, match=r"deploy/build_core\.py"):
        config.check_core({"JATKUMO_CORE": "compiled"})
    monkeypatch.setattr(config, "which_core", lambda: "compiled")
    config.check_core({"JATKUMO_CORE": "compiled"})


def test_the_worker_works_with_the_input_topics_count_not_the_setting() -> None:
    """JATKUMO_PARTITIONS is the count of topics a run makes; topics made before keep theirs,
    and the worker computes every client's partition from theirs. Inputs whose counts differ
    are no co-partitioned inputs: a usage error that says what to do."""
    from services.worker import partitions_in_use
    from streams import topics

    six = {name: list(range(6)) for name in topics.ALL}
    assert partitions_in_use(six, 2) == 6
    assert partitions_in_use({name: [0, 1] for name in topics.ALL}, 2) == 2
    broken = {**six, topics.CLIENT_FACTS: [0, 1]}
    with pytest.raises(ConfigError, match=r"jatkumo\.client-facts has 2"):
        partitions_in_use(broken, 2)
    with pytest.raises(JatkumoError, match=r"did not describe jatkumo\.event-ids in time"):
        partitions_in_use({**six, topics.EVENT_IDS: []}, 6)
    # the tables' changelogs are co-partitioned with the inputs too (a review: a changelog
    # made again with another count passed)
    with pytest.raises(ConfigError, match=r"jatkumo-worker-client-state-changelog has 2"):
        partitions_in_use({**six, topics.CLIENT_STATE_CHANGELOG: [0, 1]}, 2)


# Names from settings files are stored in DuckDB files and shown on every page: a code in one
# was taken (attack, 2026-12-05). Each is refused (the message is masked where it is shown).
_CODED = ["131052-308T", "Oulu 070205A934J", "x050395\u200b-912K"]


@pytest.mark.parametrize("name", _CODED)
def test_a_name_in_a_settings_file_that_holds_an_identity_code_is_refused(
        tmp_path: Path, name: str) -> None:
    from services.web.auth import load_users

    areas = tmp_path / "areas.csv"
    areas.write_text(f"code,internal_area\n564,{name}\n", encoding="utf-8")
    handoffs = tmp_path / "h.toml"
    handoffs.write_text(f'[[handoff]]\nname = "{name.split()[-1]}"\nservices = ["KTT"]\n'
                        'from = "municipality"\nto = "wellbeing_area"\ndate = 2023-01-01\n',
                        encoding="utf-8")
    user = tmp_path / "u.toml"
    user.write_text(f'[users."{name}"]\nrole = "analyst"\npassword = "x"\n', encoding="utf-8")
    area = tmp_path / "a.toml"
    area.write_text(f'[users.bob]\nrole = "analyst"\npassword = "x"\nareas = ["{name}"]\n',
                    encoding="utf-8")
    for read in (lambda: config.read_areas(str(areas)), lambda: load_users(str(user)),
                 lambda: load_users(str(area))) + (
            (lambda: config.read_handoffs(str(handoffs)),) if name.isascii() else ()):
        with pytest.raises(ConfigError, match="holds an identity code"):
            read()


@pytest.mark.parametrize("text", ["users = 1", "[users]\nx = 5", "users = [1]", "x = 1"])
def test_a_users_file_of_other_shapes_is_a_config_error(tmp_path: Path, text: str) -> None:
    """Each was a traceback (AttributeError) before."""
    from services.web.auth import load_users

    path = tmp_path / "u.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[users.NAME\]"):
        load_users(str(path))


@pytest.mark.parametrize("text", ["[1, 2]", "[" * 100_000, '{"users": 5}'])
def test_a_users_json_file_of_other_shapes_or_nested_deep_is_a_config_error(
        tmp_path: Path, text: str) -> None:
    from services.web.auth import load_users

    path = tmp_path / "u.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[users.NAME\]"):
        load_users(str(path))


def test_a_token_file_that_is_a_fifo_or_endless_is_a_usage_error(tmp_path: Path) -> None:
    """`token list --tokens FIFO` hung for ever and `--tokens /dev/zero` filled the memory (a
    hunt, 2026-12-06): the token file is read as a settings file is."""
    import os

    from schemas.errors import UsageError
    from services.ingest.tokens import TokenStore

    fifo = tmp_path / "tokens.fifo"
    os.mkfifo(fifo)
    for path, said in ((fifo, "FIFO"), (Path("/dev/zero"), "larger than")):
        with pytest.raises(UsageError, match=said):
            TokenStore(path).all()
