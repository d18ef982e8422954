"""jatkumo token add|list|revoke: the bearer tokens of the source systems that send events to
`jatkumo serve --ingest` (POST /api/v1/events). Stored hashed; a new token is shown once."""

import argparse
from pathlib import Path
from typing import Any

from schemas.errors import UsageError
from schemas.hetu import mask_codes
from services.commands.common import no_identity_code
from services.ingest.live import tokens_path
from services.ingest.tokens import TokenStore


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "token", help="add, list or revoke the bearer tokens of source systems",
        description="Each source system gets a token of its own, bound to the `source` its "
        "events carry. The token file (FILE.tokens.json beside the DuckDB file, or --tokens) "
        "keeps only hashes; the server reads it again when it changes.")
    p.add_argument("action", choices=("add", "list", "revoke"))
    p.add_argument("name", nargs="?", help="the token's name (add, revoke)")
    p.add_argument("--source", help="add: the source its events must carry, e.g. "
                   "workshop:PAJA-OULU-1")
    p.add_argument("--db", metavar="FILE.duckdb", help="the file `serve --ingest` writes")
    p.add_argument("--tokens", metavar="FILE.json", help="the token file (default: beside --db)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    if not args.db and not args.tokens:
        raise UsageError("give --db FILE.duckdb (the tokens live beside it) or --tokens FILE")
    store = TokenStore(tokens_path(Path(args.db or "."), args.tokens))
    if args.action == "list":
        for t in store.all():
            state = f"revoked {t.revoked}" if t.revoked else "active"
            # masked: the file may have been written by hand (attack, 2026-12-05)
            print(mask_codes(f"{t.name}\t{t.source}\tcreated {t.created}\t{state}"))
        return 0
    if not args.name:
        raise UsageError(f"'jatkumo token {args.action}' needs the token's name")
    if args.action == "revoke":
        store.revoke(args.name)
        print(mask_codes(f"revoked {args.name}"))
        return 0
    if not args.source:
        raise UsageError("'jatkumo token add NAME' needs --source, the source its events carry")
    # printed by `token list` and kept in the file (attack, 2026-12-05: both were stored and
    # listed with a code in them)
    no_identity_code("the name", args.name, "a token")
    no_identity_code("--source", args.source, "a source")
    token = store.add(args.name, args.source)
    print(token)
    print(f"# the token of {args.name} (source {args.source}); it is shown only now",
          flush=True)
    return 0
