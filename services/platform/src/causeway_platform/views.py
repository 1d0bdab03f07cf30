"""Platform's HTTP API: the topology, the schema registry and the event catalogue."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from causeway import schemas
from causeway.auth import Principal, require_admin
from causeway.errors import Conflict, Unprocessable
from causeway.schemas.compatibility import Mode
from causeway.service import Runtime, get_runtime, unit_of_work
from causeway.uow import UnitOfWork
from causeway_platform import catalog, registry

router = APIRouter(tags=["topology"])

Admin = Annotated[Principal, Depends(require_admin)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


@router.get("/topology", summary="Accounts, buses, queues and routes (admin)")
def topology(_admin: Principal = Depends(require_admin), runtime: Runtime = Depends(get_runtime)) -> dict:
    t = runtime.topology
    return {
        "region": t.region,
        "hub": {"account": t.hub.account, "bus": t.hub_bus_arn},
        "services": {
            spec.name: {
                "account": spec.account,
                "port": spec.port,
                "publishes": list(spec.publishes),
                "subscribes": list(spec.subscribes),
                "bus": spec.bus_arn if spec.subscribes else None,
                "queue": spec.queue_arn() if spec.subscribes else None,
                "deadLetterQueue": spec.queue_arn(dead_letter=True) if spec.subscribes else None,
            }
            for spec in t.services.values()
        },
        "routes": {e: [c.name for c in t.consumers_of(e)] for e in t.event_types},
    }


# -- schema registry ------------------------------------------------------------------------

schemas_router = APIRouter(prefix="/schemas", tags=["schema registry"])


class RegisterIn(BaseModel):
    """A new version: the JSON Schema itself, or (as Confluent takes it) a string holding it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    schema_: dict[str, Any] | str = Field(alias="schema", description="JSON Schema (2020-12) of the event's data")
    schema_type: str | None = Field(default=None, alias="schemaType", description="JSON (the only type)")

    def parsed(self) -> dict[str, Any]:
        if self.schema_type is not None and self.schema_type.upper() != "JSON":
            raise Unprocessable("the registry holds JSON Schemas only (schemaType JSON)", code="invalid_schema")
        if isinstance(self.schema_, dict):
            return self.schema_
        try:
            parsed = json.loads(self.schema_)
        except (ValueError, RecursionError) as error:
            raise Unprocessable(f"schema is not valid JSON: {error}", code="invalid_schema") from None
        if not isinstance(parsed, dict):
            raise Unprocessable("a schema must be a JSON object", code="invalid_schema")
        return parsed


class ModeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mode: str | None = Field(default=None, description="BACKWARD, BACKWARD_TRANSITIVE, FORWARD, ..., NONE")
    compatibility: str | None = Field(default=None, description="Confluent's name for `mode`")

    def parsed(self) -> Mode:
        value = self.mode if self.mode is not None else self.compatibility
        if value is None:
            raise Unprocessable("give the compatibility mode as `mode`", code="invalid_request")
        try:
            return Mode.parse(value)
        except ValueError as error:
            raise Unprocessable(str(error), code="unknown_mode", details={"modes": [m.value for m in Mode]}) from None


def _version_out(view: registry.VersionView) -> dict:
    return {
        "subject": view.subject,
        "version": view.version,
        "schema": view.schema,
        "compatibility": view.compatibility.value,
    }


@schemas_router.get("", summary="Subjects (event types) with at least one version")
def list_subjects(uow: Uow) -> list[str]:
    return registry.subjects(uow.session)


@schemas_router.get("/{event_type}/versions", summary="A subject's versions")
def list_versions(event_type: str, uow: Uow) -> list[int]:
    return registry.versions(uow.session, event_type)


@schemas_router.get("/{event_type}/versions/{version}", summary="One version (a number, or `latest`)")
def get_version(event_type: str, version: str, uow: Uow) -> dict:
    return _version_out(registry.get_version(uow.session, event_type, registry.parse_version(version)))


@schemas_router.post(
    "/{event_type}/versions",
    status_code=201,
    summary="Register a new version (admin); 409 `incompatible` with what breaks",
    responses={
        200: {"description": "An identical schema is already registered: its version"},
        201: {"description": "Registered as a new version"},
        409: {"description": "Incompatible under the subject's mode; `error.details` lists what breaks"},
    },
)
def register_version(
    event_type: str,
    body: RegisterIn,
    response: Response,
    _admin: Admin,
    uow: Uow,
    runtime: Runtime = Depends(get_runtime),
) -> dict:
    schema = body.parsed()
    try:
        registration = registry.register(uow.session, event_type, schema, catalogue=_catalogue(runtime))
        uow.commit()
    except IntegrityError:  # another registration of this subject committed first
        uow.rollback()
        raise Conflict("the subject changed while registering; try again", code="concurrent_change") from None
    if not registration.created:
        response.status_code = 200
    return {"subject": event_type, "version": registration.version}


@schemas_router.get("/{event_type}/compatibility", summary="A subject's compatibility mode")
def get_compatibility(event_type: str, uow: Uow) -> dict:
    mode = registry.mode_of(uow.session, event_type)
    return {"subject": event_type, "compatibility": mode.value, "mode": mode.value}


@schemas_router.put("/{event_type}/compatibility", summary="Set a subject's compatibility mode (admin)")
def put_compatibility(event_type: str, body: ModeIn, _admin: Admin, uow: Uow, runtime: Runtime = Depends(get_runtime)):
    try:
        mode = registry.set_mode(uow.session, event_type, body.parsed(), catalogue=_catalogue(runtime))
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict("the subject changed meanwhile; try again", code="concurrent_change") from None
    return {"subject": event_type, "compatibility": mode.value, "mode": mode.value}


def _catalogue(runtime: Runtime) -> schemas.Catalogue:
    return runtime.contracts or schemas.default()


# -- the catalogue page ----------------------------------------------------------------------

catalog_router = APIRouter(tags=["event catalogue"])


@catalog_router.get("/catalog", response_class=HTMLResponse, summary="The event catalogue (HTML)")
def event_catalog(uow: Uow, runtime: Runtime = Depends(get_runtime)) -> HTMLResponse:
    page = catalog.render(runtime.topology, _catalogue(runtime), registry.all_versions(uow.session))
    return HTMLResponse(page)
