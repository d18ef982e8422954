"""Start, watch and stop Apache Kafka (KRaft) brokers assembled from Maven Central (deploy/kafka).

A broker is a background `java -cp 'deploy/kafka/lib/*' kafka.Kafka` process. Each node gets a
folder under the run folder holding its server.properties (the committed template with the
ports and data folder filled in), its formatted data, broker.log and a pid file, so `down` and
`status` work from another process.
"""

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import JatkumoError
from services.config import jvm_options

KAFKA_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"
DEFAULT_RUN = KAFKA_DIR / "run"
# The brokers started here (tests, the benches, a machine's own `jatkumo kafka up`) are
# short-lived JVMs on cores they share with the worker and the sink: C2's compiling took half
# a core in a fresh broker's first 20 s under load. C1 alone compiles cheaply; its code costs
# more later (17 % of a core against 10 % for 1,000 produced events/s), which a broker of
# minutes never wins back. Measured: the Kafka tests 412 -> 373 s; bench/kafka.py's worst p99
# 753-775 -> 491 ms. A long-running broker: set JATKUMO_KAFKA_JIT to "" for C2.
# (The heap, 512 MiB, and this default are services.config.jvm_options'.)


class BrokerError(JatkumoError):
    """A broker could not be started or did not answer."""


@dataclass(frozen=True)
class Node:
    node_id: int
    port: int  # PLAINTEXT, for clients
    controller_port: int
    folder: Path

    @property
    def pid_file(self) -> Path:
        return self.folder / "broker.pid"


def layout(nodes: int = 1, run_dir: Path = DEFAULT_RUN, base_port: int | None = None) -> list[Node]:
    """One node on 9092/9093, or three on 19092/19093, 29092/29093, 39092/39093 by default;
    with base_port, node i gets base_port + 2(i-1) and the port after it."""
    if nodes not in (1, 3):
        raise BrokerError(f"--nodes must be 1 or 3, not {nodes}")
    name = "single" if nodes == 1 else "cluster"
    out = []
    for i in range(1, nodes + 1):
        if base_port is not None:
            port = base_port + 2 * (i - 1)
        else:
            port = 9092 if nodes == 1 else i * 10000 + 9092
        out.append(Node(i, port, port + 1, run_dir / name / f"node-{i}"))
    return out


def bootstrap_of(nodes: list[Node]) -> str:
    return ",".join(f"127.0.0.1:{n.port}" for n in nodes)


def _properties(node: Node, nodes: list[Node]) -> str:
    template = "single.properties" if len(nodes) == 1 else f"cluster-{node.node_id}.properties"
    lines = (KAFKA_DIR / "config" / template).read_text(encoding="utf-8").splitlines()
    listeners = f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
    over = {"listeners": listeners, "advertised.listeners": listeners,
            "log.dirs": str(node.folder / "data")}
    if len(nodes) == 1:
        over["controller.quorum.bootstrap.servers"] = f"127.0.0.1:{node.controller_port}"
    else:
        over["controller.quorum.voters"] = ",".join(
            f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in nodes)
    out = [f"{k}={over.pop(k)}" if (k := line.partition("=")[0]) in over else line
           for line in lines]
    return "\n".join(out) + "\n"


def java_options(main: str) -> list[str]:
    """The JVM options of `main`: the broker (kafka.Kafka) also gets its whole heap at start
    and touched then (-Xms as -Xmx, as Kafka's operations notes show it, and AlwaysPreTouch):
    the heap is memory held from the start, not only a cap. On these machines a page first
    touched under load costs the kernel a fault from the host: with the heap grown and
    touched on the way, two thirds of the broker's CPU in bench/kafka.py's
    throughput run was system time. Touched at start, the broker's CPU an event there, median
    of three runs interleaved with three without, fell 18.1 -> 15.1 µs and (after the
    worker's larger backlog batches) 20.7 -> 17.1 µs; the start took 0.1 s longer. The
    tools (StorageTool) start, do one thing and stop: not worth touching 512 MiB for. The
    -XX options of JATKUMO_KAFKA_JIT come after these, so that they win (java takes the last
    of an option): "-XX:-AlwaysPreTouch -XX:MinHeapSize=8m -XX:InitialHeapSize=64m" there
    undoes them."""
    heap, *jit = jvm_options()  # -Xmx<size>, checked by jvm_options; then the -XX options
    if main != "kafka.Kafka":
        return [heap, *jit]
    return [heap, "-Xms" + heap.removeprefix("-Xmx"), "-XX:+AlwaysPreTouch", *jit]


def _java(main: str, *args: str) -> list[str]:
    lib = KAFKA_DIR / "lib"
    if not (lib / "kafka_2.13-4.3.1.jar").exists():
        raise BrokerError(f"the Kafka jars are missing in {lib}; fetch them with "
                          "'bash deploy/setup.d/kafka.sh' (needs mvn and Maven Central)")
    return ["java", *java_options(main), "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'config' / 'log4j2.properties'}",
            "-cp", f"{lib}/*", main, *args]


def _format(nodes: list[Node]) -> None:
    """Write each node's config and format its storage once (a formatted node keeps its data)."""
    cluster_id = ""
    for node in nodes:
        node.folder.mkdir(parents=True, exist_ok=True)
        config = node.folder / "server.properties"
        config.write_text(_properties(node, nodes), encoding="utf-8")
        if (node.folder / "data" / "meta.properties").exists():
            continue
        if not cluster_id:
            made = subprocess.run(_java("kafka.tools.StorageTool", "random-uuid"),
                                  capture_output=True, text=True)
            # a heap or option java refuses ends here first: its words, not a traceback
            if made.returncode != 0 or not made.stdout.strip():
                raise BrokerError(f"java could not run Kafka's storage tool for {node.folder} "
                                  "(check JATKUMO_KAFKA_HEAP and JATKUMO_KAFKA_JIT): "
                                  f"{made.stdout}{made.stderr}".strip())
            cluster_id = made.stdout.strip().splitlines()[-1]
        # --standalone bootstraps a dynamic quorum (controller.quorum.bootstrap.servers);
        # a static voter list (three nodes) must be formatted without it.
        extra = ["--standalone"] if len(nodes) == 1 else []
        done = subprocess.run(_java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                                    "-c", str(config), *extra), capture_output=True, text=True)
        if done.returncode != 0:
            raise BrokerError(f"formatting {node.folder} failed: {done.stdout}{done.stderr}")


_children: dict[int, "subprocess.Popen[bytes]"] = {}  # brokers this process started


def running_pid(node: Node) -> int | None:
    """The broker's pid if it runs; checks the command line so a reused pid is not taken."""
    try:
        pid = int(node.pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    child = _children.get(pid)
    if child is not None and child.poll() is not None:  # our own child: reap, not a zombie
        return None
    # the java launcher re-executes itself at start: an empty command line is still ours
    return pid if not cmdline or b"kafka.Kafka" in cmdline else None


def up(nodes: list[Node], timeout: float = 90.0) -> str:
    """Start every node that is not running and wait until the cluster answers; returns the
    bootstrap servers."""
    _format(nodes)
    for node in nodes:
        if running_pid(node) is not None:
            continue
        with (node.folder / "broker.log").open("ab") as log:
            proc = subprocess.Popen(_java("kafka.Kafka", str(node.folder / "server.properties")),
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        _children[proc.pid] = proc
        node.pid_file.write_text(str(proc.pid))
    wait_ready(nodes, timeout)
    return bootstrap_of(nodes)


def wait_ready(nodes: list[Node], timeout: float) -> None:
    """Ready means an admin client can list topics on every node, not merely an open port."""
    from kafka.admin import KafkaAdminClient  # imported here: nothing connects at import time

    deadline = time.monotonic() + timeout
    for node in nodes:
        while True:
            if running_pid(node) is None:
                raise BrokerError(f"broker {node.node_id} exited; see {node.folder}/broker.log")
            try:
                admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{node.port}",
                                         request_timeout_ms=3000, client_id="jatkumo-ready")
                try:
                    admin.list_topics()
                finally:
                    admin.close()
                break
            except Exception as e:  # the broker is still starting: any error means retry
                if time.monotonic() > deadline:
                    raise BrokerError(f"broker {node.node_id} did not answer within {timeout:.0f}"
                                      f" s ({e}); see {node.folder}/broker.log") from e
                time.sleep(0.3)


def down(nodes: list[Node], timeout: float = 30.0) -> None:
    """SIGTERM lets the broker close its logs cleanly; SIGKILL only if it will not stop."""
    for node in nodes:
        pid = running_pid(node)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for node in nodes:
        while (pid := running_pid(node)) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        node.pid_file.unlink(missing_ok=True)


def ensure_topics(bootstrap: str, partitions: int, replication: int = 1,
                  timeout: float = 30.0) -> dict[str, list[int]]:
    """Create jatkumo's topics if missing, so publisher, workers and sink agree on partitions
    (the worker's table changelog must have as many partitions as jatkumo.events). Returns
    each topic's partition numbers, once the broker knows them all."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from streams import topics

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="jatkumo-topics")
    try:
        existing = set(admin.list_topics())
        if topics.EVENTS in existing and not existing.issuperset(topics.ALL):
            # a topic made again (a changelog deleted to start the state afresh) must match
            # the inputs made before, whatever this run's setting says
            made = admin.describe_topics([topics.EVENTS])[0]["partitions"]
            partitions = len(made) or partitions
        for name in topics.ALL:
            if name in existing:
                continue
            config = {"cleanup.policy": "compact"} if name in topics.COMPACTED else {}
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                admin.create_topics([NewTopic(name, partitions, replication,
                                              topic_configs=config)])
        deadline = time.monotonic() + timeout
        while True:  # a topic just made has no partitions or leaders in the metadata for a
            # moment. Every partition is returned, led or not: one without a leader (a broker
            # down) is still a partition, of the count and of a reader's assignment
            described = admin.describe_topics(list(topics.ALL))
            found = {t["topic"]: sorted(p["partition"] for p in t["partitions"])
                     for t in described}
            led = all(p["error_code"] == 0 for t in described for p in t["partitions"])
            if (led and all(found.get(name) for name in topics.ALL)) \
                    or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
    finally:
        admin.close()
