"""The Alertmanager URL may carry a user and password; no message names them (attack,
2026-12-04: the dashboard showed every manager `cannot reach Alertmanager at
http://user:password@…`, and the log said it again every round)."""

import socket

import pytest

from services.alerts.alertmanager import Alertmanager, AlertmanagerError
from tests.helpers import run_apart


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("url", ["http://amuser:S3cretPass@127.0.0.1:{port}",
                                 "http://amuser:S3cretPass@127.0.0.1:{port}/",
                                 "http://:S3cretPass@127.0.0.1:{port}"])
def test_an_unreachable_alertmanager_is_named_without_its_credentials(url: str) -> None:
    am = Alertmanager(url.format(port=_closed_port()))
    with pytest.raises(AlertmanagerError) as caught:
        # on a loop of its own thread: another test's loop may be running in this one
        run_apart(lambda: am.post_alerts([{"labels": {"alertname": "x"}}]))
    said = str(caught.value)
    assert "cannot reach Alertmanager at http://127.0.0.1:" in said
    assert "S3cretPass" not in said and "amuser" not in said
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
