"""Bootstrap: the one place that wires a service together.

A service declares what it is (name, routers, event handlers, models,
migrations, an optional start hook) and the SDK does the rest identically for
every service: settings, database and migrations, telemetry, the outbox relay
(when it publishes), the queue consumer (when it subscribes), the identity
introspection client and the web app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, stop_after_delay, wait_exponential

from causeway import db, metrics, schemas, telemetry, web
from causeway import topology as topology_module
from causeway.auth import Introspector
from causeway.aws import AwsClients
from causeway.config import Settings
from causeway.messaging import tracing
from causeway.messaging.consumer import HandlerRegistry, QueueConsumer
from causeway.messaging.relay import EventBridgePublisher, OutboxRelay
from causeway.topology import ServiceSpec, Topology
from causeway.uow import OutgoingValidator, UnitOfWork, accept_all

log = logging.getLogger("causeway.service")


@dataclass
class Runtime:
    """Everything a running service holds; views and handlers reach it through dependencies."""

    settings: Settings
    topology: Topology
    spec: ServiceSpec
    engine: Engine
    sessions: sessionmaker[Session]
    aws: AwsClients
    introspector: Introspector
    # Every outgoing event is checked against the schema version it declares (causeway.schemas).
    validate_outgoing: OutgoingValidator = accept_all
    contracts: schemas.Catalogue | None = None
    relay: OutboxRelay | None = None
    consumer: QueueConsumer | None = None
    extras: dict = field(default_factory=dict)  # service-specific wiring (e.g. signing keys)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            sessions=self.sessions,
            producer=self.spec.name,
            account=self.settings.aws_account_id or self.spec.account,
            on_commit=self.relay.wake if self.relay else (lambda: None),
            validate=self.validate_outgoing,
            destination=self.topology.hub_bus_name,
            read_only=read_only,
        )

    def readiness(self) -> dict[str, str]:
        with tracing.quiet():  # probes every few seconds: not worth a trace each
            return self._readiness()

    def _readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        checks["database"] = _check(lambda: db.ping(self.engine))
        checks["aws"] = _check(self._check_aws)
        if self.spec.name != "identity":
            checks["identity"] = _check(self._check_identity)
        return checks

    def _check_aws(self) -> None:
        account = self.aws.sts().get_caller_identity()["Account"]
        if account != self.settings.aws_account_id:
            raise RuntimeError(f"talking to AWS as account {account}, expected {self.settings.aws_account_id}")

    def _check_identity(self) -> None:
        httpx.get(self.settings.identity_url.rstrip("/") + "/healthz", timeout=2.0).raise_for_status()


def _check(probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception as error:
        return f"error: {error.__class__.__name__}: {error}"[:300]
    return "ok"


StartHook = Callable[[Runtime], None]


class Service:
    def __init__(
        self,
        *,
        name: str,
        description: str = "",
        routers: list[APIRouter] | None = None,
        handlers: HandlerRegistry | None = None,
        metadata: MetaData | None = None,
        migrations: Path | None = None,
        on_start: StartHook | None = None,
        settings_class: type[Settings] = Settings,
    ) -> None:
        self.name = name
        self.description = description
        self.routers = routers or []
        self.handlers = handlers or HandlerRegistry()
        self.metadata = metadata
        self.migrations = migrations
        self.on_start = on_start
        self.settings_class = settings_class

    def settings(self) -> Settings:
        return self.settings_class(service_name=self.name)

    def create_app(self, settings: Settings | None = None) -> FastAPI:
        settings = settings or self.settings()
        telemetry.setup_logging(settings)
        provider = telemetry.setup_tracing(settings)

        @asynccontextmanager
        async def lifespan(app: FastAPI):
            runtime = await run_in_threadpool(self._start, settings, provider)
            app.state.runtime = runtime
            app.state.introspector = runtime.introspector
            collector = metrics.RuntimeCollector(runtime)
            metrics.REGISTRY.register(collector)
            try:
                yield
            finally:
                metrics.REGISTRY.unregister(collector)
                await run_in_threadpool(self._stop, runtime)

        app = web.create_app(
            title=self.name, description=self.description, routers=self.routers, lifespan=lifespan
        )
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz")
        return app

    def build_runtime(self, settings: Settings) -> Runtime:
        """Database, migrations and clients, without background workers."""
        topology = topology_module.default()
        spec = topology.service(self.name)
        self._check_handlers(spec)
        contracts = schemas.default()
        self._check_contracts(spec, contracts)
        engine = db.create_db_engine(settings.database_url or "")
        db.migrate(engine, service_versions=self.migrations, metadata=self.metadata)
        return Runtime(
            settings=settings,
            topology=topology,
            spec=spec,
            engine=engine,
            sessions=db.session_factory(engine),
            aws=AwsClients(settings),
            introspector=Introspector(
                identity_url=settings.identity_url,
                client_id=settings.client_id or self.name,
                client_secret=settings.client_secret.get_secret_value() if settings.client_secret else "",
                cache_seconds=settings.auth_cache_seconds,
            ),
            validate_outgoing=contracts.outgoing_validator(),
            contracts=contracts,
        )

    def _start(self, settings: Settings, provider) -> Runtime:
        runtime = self.build_runtime(settings)
        telemetry.instrument_engine(runtime.engine, provider)
        if runtime.spec.publishes and settings.messaging_enabled:
            runtime.relay = OutboxRelay(
                sessions=runtime.sessions,
                publisher=EventBridgePublisher(
                    runtime.aws.events(),
                    bus_arn=runtime.topology.hub_bus_arn,
                    source=runtime.spec.source,
                    account=runtime.settings.aws_account_id,
                    bus_reader=runtime.aws.events_reading(runtime.topology.hub.account),
                ),
                idle_seconds=settings.relay_idle_seconds,
                bus_check_seconds=settings.relay_bus_check_seconds,
                replay_seconds=settings.relay_replay_seconds,
            )
        if self.on_start:
            self.on_start(runtime)
        if runtime.relay:
            runtime.relay.start()
        if runtime.spec.subscribes and settings.messaging_enabled:
            runtime.consumer = self._consumer(runtime)
            runtime.consumer.start()
        log.info("%s started on port %s as account %s", self.name, settings.port, settings.aws_account_id)
        return runtime

    def _consumer(self, runtime: Runtime) -> QueueConsumer:
        sqs = runtime.aws.sqs()
        # LocalStack may still be provisioning when a service starts: wait for the queues.
        for attempt in Retrying(stop=stop_after_delay(60), wait=wait_exponential(max=2), reraise=True):
            with attempt:
                queue_url = sqs.get_queue_url(QueueName=runtime.spec.queue_name)["QueueUrl"]
                dead_letter_url = sqs.get_queue_url(QueueName=runtime.spec.dlq_name)["QueueUrl"]
        return QueueConsumer(
            sqs=sqs,
            queue_url=queue_url,
            dead_letter_url=dead_letter_url,
            registry=self.handlers,
            units_of_work=runtime.unit_of_work,
            wait_seconds=runtime.settings.consumer_wait_seconds,
            retry_base_seconds=runtime.settings.consumer_retry_base_seconds,
            contracts=runtime.contracts,
        )

    def _stop(self, runtime: Runtime) -> None:
        if runtime.consumer:
            runtime.consumer.stop()
        if runtime.relay:
            runtime.relay.stop()
        runtime.introspector.close()
        runtime.engine.dispose()

    def _check_handlers(self, spec: ServiceSpec) -> None:
        declared, handled = set(spec.subscribes), set(self.handlers.event_types)
        if declared != handled:
            raise RuntimeError(
                f"{self.name}: the topology routes {sorted(declared - handled)} without a handler, "
                f"handlers exist for {sorted(handled - declared)} that are not routed"
            )

    def _check_contracts(self, spec: ServiceSpec, contracts: schemas.Catalogue) -> None:
        """Every event this service publishes or handles has a schema, in the version its handler reads."""
        problems = [
            f"no schema for {event_type} (add causeway/schemas/{event_type}/v1.schema.json)"
            for event_type in sorted(set(spec.publishes) | set(spec.subscribes))
            if not contracts.versions(event_type)
        ]
        for event_type in sorted(spec.subscribes):
            wanted = self.handlers.version(event_type)
            if contracts.versions(event_type) and wanted not in contracts.versions(event_type):
                problems.append(f"the {event_type} handler is written for v{wanted}, which has no schema")
        if problems:
            raise RuntimeError(f"{self.name}: " + "; ".join(problems))


# -- dependencies for views ---------------------------------------------------------


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


# Requests that by HTTP's rules change nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unit_of_work(request: Request, runtime: Runtime = Depends(get_runtime)) -> Iterator[UnitOfWork]:
    """A unit of work per request; read-only for safe methods, so reads never wait for writes."""
    with runtime.unit_of_work(read_only=request.method in SAFE_METHODS) as uow:
        yield uow


def reading_unit_of_work(runtime: Runtime = Depends(get_runtime)) -> Iterator[UnitOfWork]:
    """A read-only unit of work for a POST that only reads (token introspection)."""
    with runtime.unit_of_work(read_only=True) as uow:
        yield uow
