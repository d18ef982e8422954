"""jatkumo schema --out DIR: JSON Schema per event type for the sending systems."""

import argparse
import json
from typing import Any

from schemas.export import json_schemas
from schemas.hetu import mask_codes
from services.commands.common import out_folder, private


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "schema", help="write a JSON Schema per event type",
        description="Write one JSON Schema file per event type (<event_type>.schema.json) for "
        "the teams whose systems send events to jatkumo.")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write (created)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    out = out_folder(args.out)
    for event_type, schema in json_schemas().items():
        private(out / f"{event_type}.schema.json")
        (out / f"{event_type}.schema.json").write_text(
            json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(json_schemas())} JSON Schemas to {mask_codes(str(out))}/")
    return 0
