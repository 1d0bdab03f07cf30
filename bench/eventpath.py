"""Item 1: the event path, raw boto3 against the SDK, on the real topology.

Route: one event type of the real topology with exactly one subscriber
(StockReserved: inventory's account → central bus in the platform account →
billing's bus → billing's queue), on a LocalStack of the bench's own,
provisioned by the same init hook as `make dev`, with no service running.
Nothing else reads billing's queue, so the raw loop and the SDK consumer take
turns on the very queue and rules a deployment uses, and no service's
handler, retries or own traffic mixes into the figures. A route with one
delivery per event is the emulator's cheapest: the ceiling we compare with.

Four worker processes, each a separate Python process as in a deployment
(producer and consumer never share a GIL, and the raw side has no
OpenTelemetry instrumentation loaded):

- raw producer: plain boto3 `PutEvents` as inventory's account, batches of up
  to 10 (whatever is due; at saturation always 10);
- raw consumer: plain boto3 loop, ReceiveMessage (10, long poll) and
  DeleteMessageBatch;
- SDK producer: wired as `causeway.service` wires a service (settings,
  SQLite, migrations, tracing without export, JSON logs, schema validation):
  `UnitOfWork.publish` + `commit` per event, `OutboxRelay` woken on commit;
- SDK consumer: `QueueConsumer` with its inbox, schema validation and a
  handler that writes one row, as a service's consumer.

Every event carries `benchSentAt` (wall clock, taken just before PutEvents,
or at `publish`, just before the commit) and the run id in its data.
End-to-end latency = consumer's commit (raw: DeleteMessageBatch returned)
minus `benchSentAt`. The workers stay up for the whole phase; the raw and SDK
paths of a pair run one after the other, order alternating between pairs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import footprint, stats

PRODUCER = "inventory"
CONSUMER = "billing"
EVENT_TYPE = "StockReserved"
# The SDK consumer's long poll; the raw loop uses the same (latency does not depend on it).
WAIT_SECONDS = 2

log = logging.getLogger("bench.eventpath")


def check_route() -> None:
    from causeway import topology as topology_module

    topology = topology_module.default()
    consumers = [s.name for s in topology.consumers_of(EVENT_TYPE)]
    if topology.producer_of(EVENT_TYPE).name != PRODUCER or consumers != [CONSUMER]:
        raise RuntimeError(f"the topology no longer routes {EVENT_TYPE} {PRODUCER} → {CONSUMER} only: {consumers}")


# -- payloads --------------------------------------------------------------------------------


def _data(run: str, seq: int) -> dict:
    return {"orderId": f"{run}-{seq}", "customerId": "bench-customer", "benchRun": run, "benchSeq": seq}


def _raw_detail(data: dict, account: str) -> str:
    """The same envelope shape (and so the same size) the SDK writes."""
    metadata = {
        "eventId": str(uuid.uuid4()),
        "schemaVersion": 1,
        "occurredAt": datetime.now(UTC).isoformat(),
        "producer": PRODUCER,
        "account": account,
        "correlationId": str(uuid.uuid4()),
    }
    return json.dumps({"metadata": metadata, "data": data}, separators=(",", ":"))


def _schedule(n: int, rate: float | None, start: float) -> list[float]:
    """Monotonic due times: all at once (saturation) or evenly spaced (fixed rate)."""
    return [start if rate is None else start + i / rate for i in range(n)]


def _wait_until(due: float) -> None:
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)


# -- worker processes ------------------------------------------------------------------------


def _worker_logging(log_file: Path) -> None:
    sys.stderr = open(log_file, "a", buffering=1)  # noqa: SIM115 - the worker's whole life


def _raw_client(kind: str, endpoint: str, service: str):
    """A plain boto3 client in a service's account (no SDK), with the topology and the service's spec."""
    import boto3

    from causeway import topology as topology_module

    topology = topology_module.default()
    spec = topology.service(service)
    client = boto3.client(
        kind, endpoint_url=endpoint, region_name=topology.region,
        aws_access_key_id=spec.account, aws_secret_access_key="test",
    )
    return client, topology, spec


def raw_producer_main(conn, endpoint: str, log_file: str) -> None:
    _worker_logging(Path(log_file))
    events, topology, spec = _raw_client("events", endpoint, PRODUCER)
    conn.send("ready")
    while (command := conn.recv()) != "stop":
        run, n, rate = command
        due = _schedule(n, rate, time.monotonic() + 0.05)
        failed = 0
        calls = 0
        i = 0
        while i < n:
            _wait_until(due[i])
            now = time.monotonic()
            j = i
            while j < n and j - i < 10 and due[j] <= now:
                j += 1
            entries = []
            for seq in range(i, j):
                data = {**_data(run, seq), "benchSentAt": time.time()}
                entries.append({
                    "EventBusName": topology.hub_bus_arn, "Source": spec.source,
                    "DetailType": EVENT_TYPE, "Detail": _raw_detail(data, spec.account),
                })
            response = events.put_events(Entries=entries)
            calls += 1
            failed += response.get("FailedEntryCount", 0)
            i = j
        conn.send({"failed": failed, "calls": calls})


def raw_consumer_main(conn, endpoint: str, log_file: str) -> None:
    _worker_logging(Path(log_file))
    sqs, _topology, spec = _raw_client("sqs", endpoint, CONSUMER)
    queue_url = sqs.get_queue_url(QueueName=spec.queue_name)["QueueUrl"]
    conn.send("ready")
    while (command := conn.recv()) != "stop":
        run, n, timeout = command
        samples: list[tuple[float, float]] = []
        deadline = time.monotonic() + timeout
        while len(samples) < n and time.monotonic() < deadline:
            messages = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT_SECONDS
            ).get("Messages", [])
            if not messages:
                continue
            sent = []
            for message in messages:
                data = json.loads(message["Body"])["detail"]["data"]
                if data.get("benchRun") == run:
                    sent.append(data["benchSentAt"])
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(messages)],
            )
            done = time.time()
            samples += [(s, done) for s in sent]
        conn.send(samples)


def _service_wiring(name: str, endpoint: str, database: Path, experiments: list[str]):
    """Settings, database with the SDK's tables, tracing without export, JSON logs: as a service has them."""
    from bench import experiments as proposed

    proposed.apply(experiments)  # proposed SDK changes under measurement, if any (before anything is built)
    from causeway import db, schemas, telemetry
    from causeway.aws import AwsClients
    from causeway.config import Settings

    settings = Settings(
        service_name=name, causeway_env="test", aws_endpoint_url=endpoint,
        database_url=f"sqlite:///{database}", otel_exporter_otlp_endpoint=None,
    )
    telemetry.setup_logging(settings)
    provider = telemetry.setup_tracing(settings)
    engine = db.create_db_engine(settings.database_url or "")
    db.migrate(engine, service_versions=None)
    telemetry.instrument_engine(engine, provider)
    return settings, engine, db.session_factory(engine), AwsClients(settings), schemas.default()


def sdk_producer_main(conn, endpoint: str, log_file: str, database: str, experiments: list[str]) -> None:
    from sqlalchemy import func, select

    from causeway import topology as topology_module
    from causeway.messaging.models import OutboxMessage
    from causeway.messaging.relay import EventBridgePublisher, OutboxRelay
    from causeway.uow import UnitOfWork

    _worker_logging(Path(log_file))
    topology = topology_module.default()
    spec = topology.service(PRODUCER)
    settings, _engine, sessions, aws, contracts = _service_wiring(PRODUCER, endpoint, Path(database), experiments)
    relay = OutboxRelay(  # as causeway.service wires it
        sessions=sessions,
        publisher=EventBridgePublisher(
            aws.events(),
            bus_arn=topology.hub_bus_arn,
            source=spec.source,
            account=settings.aws_account_id,
            bus_reader=aws.events_reading(topology.hub.account),
        ),
        idle_seconds=settings.relay_idle_seconds,
    )
    relay.start()
    validate = contracts.outgoing_validator()

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(
            sessions=sessions, producer=PRODUCER, account=spec.account, on_commit=relay.wake,
            validate=validate, destination=topology.hub_bus_name,
        )

    def pending() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None)))

    conn.send("ready")
    while (command := conn.recv()) != "stop":
        run, n, rate = command
        for seq, due in enumerate(_schedule(n, rate, time.monotonic() + 0.05)):
            _wait_until(due)
            with unit_of_work() as uow:
                # One event per transaction, as one request or one handled event writes it.
                uow.publish(EVENT_TYPE, {**_data(run, seq), "benchSentAt": time.time()}, aggregate_id=f"{run}-{seq}")
                uow.commit()
        deadline = time.monotonic() + 120
        while pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        conn.send({"failed": sum(relay.stats.failed.values()), "pending": pending()})
    relay.stop()


def sdk_consumer_main(conn, endpoint: str, log_file: str, database: str, experiments: list[str]) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert

    from causeway import topology as topology_module
    from causeway.messaging.consumer import HandlerRegistry, QueueConsumer
    from causeway.uow import UnitOfWork

    _worker_logging(Path(log_file))
    topology = topology_module.default()
    spec = topology.service(CONSUMER)
    settings, engine, sessions, aws, contracts = _service_wiring(CONSUMER, endpoint, Path(database), experiments)
    metadata = MetaData()
    effects = Table(
        "bench_effects", metadata,
        Column("id", Integer, primary_key=True), Column("order_id", String(64)), Column("run", String(64)),
    )
    metadata.create_all(engine)
    sqs = aws.sqs()
    queue_url = sqs.get_queue_url(QueueName=spec.queue_name)["QueueUrl"]
    dead_letter_url = sqs.get_queue_url(QueueName=spec.dlq_name)["QueueUrl"]

    lock = threading.Lock()
    state: dict = {"run": None, "samples": []}

    class TimedUnitOfWork(UnitOfWork):
        """Records, after the commit, how long ago the event's producer sent it."""

        sent_at: float | None = None
        run: str | None = None

        def commit(self) -> None:
            super().commit()
            done = time.time()
            if self.sent_at is not None:
                with lock:
                    if self.run == state["run"]:
                        state["samples"].append((self.sent_at, done))

    registry = HandlerRegistry()

    @registry.on(EVENT_TYPE)
    def apply(event, uow: TimedUnitOfWork) -> None:
        uow.session.execute(insert(effects).values(order_id=event.data["orderId"], run=event.data.get("benchRun")))
        uow.sent_at, uow.run = event.data.get("benchSentAt"), event.data.get("benchRun")

    def unit_of_work() -> UnitOfWork:
        return TimedUnitOfWork(sessions=sessions, producer=CONSUMER, account=spec.account,
                               destination=topology.hub_bus_name)

    conn.send("ready")
    while (command := conn.recv()) != "stop":
        run, n, timeout = command
        with lock:
            state["run"], state["samples"] = run, []
        consumer = QueueConsumer(
            sqs=sqs, queue_url=queue_url, dead_letter_url=dead_letter_url, registry=registry,
            units_of_work=unit_of_work, wait_seconds=WAIT_SECONDS,
            retry_base_seconds=settings.consumer_retry_base_seconds, contracts=contracts,
        )
        consumer.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with lock:
                if len(state["samples"]) >= n:
                    break
            time.sleep(0.02)
        # Everything of this run is committed and deleted: the last long poll comes back empty.
        consumer.stop()
        with lock:
            conn.send(list(state["samples"]))


# -- the phase -------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    process: multiprocessing.Process
    conn: object

    def call(self, command, timeout: float = 300):
        self.conn.send(command)
        if not self.conn.poll(timeout):
            raise TimeoutError(f"{self.name} did not answer within {timeout:.0f} s")
        return self.conn.recv()


class EventPath:
    def __init__(
        self, endpoint: str, workdir: Path, experiments: list[str] | None = None, localstack_pid: int | None = None
    ) -> None:
        check_route()
        self.localstack_pid = localstack_pid
        self.endpoint = endpoint
        self.workdir = workdir
        self.experiments = experiments or []
        self.workers: dict[str, Worker] = {}

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        targets = {
            "raw-producer": (raw_producer_main, ()),
            "raw-consumer": (raw_consumer_main, ()),
            "sdk-producer": (sdk_producer_main, (str(self.workdir / "producer.db"), self.experiments)),
            "sdk-consumer": (sdk_consumer_main, (str(self.workdir / "consumer.db"), self.experiments)),
        }
        for name, (target, extra) in targets.items():
            parent, child = ctx.Pipe()
            log_file = str(self.workdir / f"{name}.log")
            process = ctx.Process(target=target, args=(child, self.endpoint, log_file, *extra), name=name, daemon=True)
            process.start()
            self.workers[name] = Worker(name, process, parent)
        for worker in self.workers.values():
            if not worker.conn.poll(120) or worker.conn.recv() != "ready":
                raise RuntimeError(f"{worker.name} did not start; see {self.workdir / (worker.name + '.log')}")

    def pids(self) -> dict[str, int]:
        return {name: w.process.pid for name, w in self.workers.items()}

    def stop(self) -> None:
        for worker in self.workers.values():
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.conn.send("stop")
        for worker in self.workers.values():
            worker.process.join(15)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(5)

    def run(self, path: str, n: int, rate: float | None) -> dict:
        """One run of `path` ("raw" or "sdk"): n events, all at once or at `rate`/s."""
        run = f"{path}-{uuid.uuid4().hex[:8]}"
        timeout = 60 + (n / rate if rate else n / 20)
        consumer, producer = self.workers[f"{path}-consumer"], self.workers[f"{path}-producer"]
        roots = {"producer": producer.process.pid, "consumer": consumer.process.pid}
        if self.localstack_pid:
            roots["localstack"] = self.localstack_pid
        processes = footprint.StackProcesses(roots)
        before = processes.snapshot()
        consumer.conn.send((run, n, timeout))
        produced = producer.call((run, n, rate), timeout=timeout + 30)
        if not consumer.conn.poll(timeout + 30):
            raise TimeoutError(f"{path} consumer did not finish")
        samples: list[tuple[float, float]] = consumer.conn.recv()
        usage = footprint.usage(before, processes.snapshot())
        latencies = [done - sent for sent, done in samples]
        elapsed = (max(d for _, d in samples) - min(s for s, _ in samples)) if samples else float("nan")
        return {
            "path": path,
            "events": n,
            "received": len(samples),
            "rate": rate,
            "elapsed_s": elapsed,
            "events_per_s": len(samples) / elapsed if samples and elapsed > 0 else float("nan"),
            "latency_ms": stats.latency_summary(latencies),
            "producer": produced,
            # % of one core over the run (to the last commit or delete), by process
            "cpu_pct": {name: u["cpu_pct"] for name, u in usage["by_component"].items()},
        }

    def pair(self, index: int, n: int, rate: float | None) -> dict:
        """Raw and SDK back to back (order alternating between pairs), and their ratios."""
        order = ("raw", "sdk") if index % 2 == 0 else ("sdk", "raw")
        results = {path: self.run(path, n, rate) for path in order}
        raw, sdk = results["raw"], results["sdk"]
        return {
            "raw": raw,
            "sdk": sdk,
            "throughput_ratio": stats.ratio(sdk["events_per_s"], raw["events_per_s"]),
            "p99_delta_ms": sdk["latency_ms"]["p99"] - raw["latency_ms"]["p99"],
            "p50_delta_ms": sdk["latency_ms"]["p50"] - raw["latency_ms"]["p50"],
            "p50_ratio": stats.ratio(sdk["latency_ms"]["p50"], raw["latency_ms"]["p50"]),
            "p95_ratio": stats.ratio(sdk["latency_ms"]["p95"], raw["latency_ms"]["p95"]),
            "p99_ratio": stats.ratio(sdk["latency_ms"]["p99"], raw["latency_ms"]["p99"]),
        }
