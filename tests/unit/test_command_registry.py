"""The command line imports only the module of the command it runs (services/commands): the
others' imports (pyarrow, aiohttp, the Kafka clients, the web app) cost every command about
half a second of a core at start. --help and an unknown command still list every command."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import cli, commands


def _loaded_after(*argv: str) -> set[str]:
    """The services.commands modules a fresh interpreter holds after parsing `argv`."""
    code = ("import sys\nfrom services import cli\n"
            f"cli.build_parser({list(argv)!r})\n"
            "print(' '.join(m for m in sys.modules if m.startswith('services.commands.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    return set(done.stdout.split())


def _names(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


@pytest.mark.parametrize("command", ["sql", "replay", "simulate", "import"])
def test_a_command_imports_its_own_module_and_no_other_command(command: str) -> None:
    own = f"services.commands.{commands.COMMANDS[command]}"
    loaded = _loaded_after(command, "--help")
    assert own in loaded
    others = {f"services.commands.{m}" for c, m in commands.COMMANDS.items() if c != command}
    assert not loaded & others, loaded  # (common, shared by all, is no command)


@pytest.mark.parametrize("argv", [[], ["--help"], ["nosuchcmd"], ["-h", "replay"]])
def test_no_command_named_holds_every_command_in_help_order(argv: list[str]) -> None:
    assert _names(cli.build_parser(argv)) == list(commands.COMMANDS)


def test_every_command_module_registers_the_name_it_is_listed_under() -> None:
    for name in commands.COMMANDS:
        assert _names(cli.build_parser([name])) == [name]


def test_the_parser_of_one_command_parses_it_as_the_whole_parser_does(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("")
    argv = ["replay", str(tmp_path / "e.jsonl"), "--db", str(tmp_path / "x.duckdb"),
            "--as-of", "2024-06-30"]
    one, whole = cli.build_parser(argv).parse_args(argv), cli.build_parser([]).parse_args(argv)
    assert vars(one) == vars(whole)


HOSTILE = ["common", "__init__", "../replay", "services.commands.replay", "replay\x00",
           "REPLAY", " replay", "os", "x" * 100_000, "", "\u202ereplay", "131052-308T"]


@pytest.mark.parametrize("word", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_first_word_imports_no_module_by_its_name_and_is_a_usage_error(
        word: str, capsys: pytest.CaptureFixture[str]) -> None:
    # only the table's names choose a module: anything else is every command, then argparse's
    # "invalid choice" (exit 2, the code masked in the echo), never an import of what was typed
    assert [r.__module__ for r in commands.registers([word])] == [
        f"services.commands.{m}" for m in commands.COMMANDS.values()]
    mask = os.umask(0o022)  # main makes its files private: this process's umask is put back
    os.umask(mask)
    try:
        with pytest.raises(SystemExit) as stop:
            cli.main([word, "--db", "x.duckdb"])
    finally:
        os.umask(mask)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "Traceback" not in err and "131052-308T" not in err
