"""Alerts: a continuity gap becomes an alert when found and is resolved when it ends; state in
the dashboard's own DuckDB file; delivery to Prometheus Alertmanager through its v2 API."""
