"""jatkumo ingest --bootstrap HOST:PORT: the ingest API alone, in front of Kafka. Events sent to
POST /api/v1/events go through the door and onto jatkumo.events (acks=all) before the answer;
the workers and the sink do the rest. Without a broker use `jatkumo serve --ingest`."""

import argparse
import logging
from pathlib import Path
from typing import Any

from schemas.errors import UsageError
from services import config
from services.commands.common import add_bootstrap, kafka_settings, tcp_port


def register(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "ingest", help="serve POST /api/v1/events in front of Kafka",
        description="Take events over HTTP from source systems (bearer token per system) and "
        "publish them to Kafka with acks=all before answering. For one process with no "
        "broker, use 'jatkumo serve --db FILE --ingest'.")
    add_bootstrap(p)
    p.add_argument("--tokens", required=True, metavar="FILE.json",
                   help="the source systems' tokens ('jatkumo token add NAME --tokens FILE')")
    p.add_argument("--port", type=tcp_port, default=8090, help="TCP port (default 8090)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--name", help="this gateway's name in the broker's client id (default the "
                   "host name)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from services.ingest import routes
    from services.ingest.kafka import KafkaTaker
    from services.ingest.limits import RateLimit
    from services.ingest.tokens import TokenStore
    from services.kafka_broker import ensure_topics
    from services.web.logtext import answer_without_echo, masked_refusal
    from services.web.server import PathOnlyAccessLogger, cannot_listen

    if not Path(args.tokens).exists():
        raise UsageError(f"no token file at {args.tokens}; make one with 'jatkumo token add "
                         f"NAME --source SOURCE --tokens {args.tokens}'")
    settings, kafka = config.load(rules_too=False), kafka_settings(args)
    limits = config.load_ingest()
    ensure_topics(kafka.bootstrap, kafka.partitions, kafka.replication)
    taker = KafkaTaker(kafka.bootstrap, settings.pseudonym_key, args.name)
    app = web.Application()
    app.on_response_prepare.append(masked_refusal)
    answer_without_echo()
    ingest = routes.Ingest(take=taker.take, tokens=TokenStore(Path(args.tokens)),
                           rate=RateLimit(per_second=limits.events_per_second),
                           read_seconds=limits.read_seconds)
    routes.setup(app, ingest)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", healthz)

    async def closing(_: web.Application) -> Any:
        yield
        ingest.executor.shutdown(wait=True)
        taker.close()

    app.cleanup_ctx.append(closing)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        web.run_app(app, host=args.host, port=args.port, access_log_class=PathOnlyAccessLogger,
                    print=lambda msg: print(msg, flush=True))
    except OSError as e:  # a port taken, an address not of this machine: the user's to fix
        # (the producer first closed, within its bound: left to the interpreter's exit, it
        # waited for ever, and the gateway hung some 5 minutes deaf to SIGTERM)
        taker.close()
        raise cannot_listen(args.host, args.port, e) from None
    return 0
