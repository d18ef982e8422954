"""Conformance tests: scenarios written from SPEC.md, run through replay into DuckDB or the core."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DayLike, replay_db

Replay = Callable[..., dict[str, list[tuple[Any, ...]]]]


@pytest.fixture
def rel(tmp_path: Path) -> Replay:
    """rel(events, as_of=None, **kw): replay into a fresh DuckDB file, return the relations."""
    counter = iter(range(1_000))

    def run(events: Sequence[Any], as_of: DayLike | None = None, **kw: Any
            ) -> dict[str, list[tuple[Any, ...]]]:
        return replay_db(tmp_path, events, as_of, name=f"run{next(counter)}", **kw)

    return run
