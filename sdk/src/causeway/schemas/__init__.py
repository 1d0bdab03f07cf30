"""Event schemas: the versioned contract of every event's `data`, shipped with the SDK.

The files in this folder are the single source of truth:

    <EventType>/v<N>.schema.json     JSON Schema (2020-12) of the event's `data` in version N
    <EventType>/v<N>.example*.json   at least one valid example of it
    compatibility.yaml               each subject's compatibility mode (default BACKWARD)

Every service has them (they are package data), so:
- producers validate each outgoing event against the version they declare
  before it enters the outbox (`Catalogue.outgoing_validator`, wired by
  `causeway.service`);
- consumers validate what arrives against the version its envelope declares
  and upcast it to the version their handler is written for
  (`Catalogue.conform`, used by the queue consumer);
- `make schemas-check` (`python -m causeway.schemas check`) proves every
  version compatible with its predecessors and every example valid;
- the platform's schema registry seeds itself from them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JsonSchemaError

from causeway.schemas.compatibility import DEFAULT_MODE, Mode
from causeway.schemas.upcasting import UPCASTERS, Upcasters

__all__ = [
    "Catalogue",
    "CatalogueError",
    "InvalidEventData",
    "Mode",
    "OutgoingEventInvalid",
    "SchemaError",
    "SchemaVersion",
    "Subject",
    "UnknownSchema",
    "default",
    "describe_errors",
    "load",
    "schema_problems",
]

COMPATIBILITY_FILE = "compatibility.yaml"
_SCHEMA_FILE = re.compile(r"^v([1-9][0-9]*)\.schema\.json$")
_EXAMPLE_FILE = re.compile(r"^v([1-9][0-9]*)\.example(?:[-.][A-Za-z0-9_-]+)?\.json$")
MAX_REPORTED_ERRORS = 10


class SchemaError(ValueError):
    """Base of every schema problem."""


class CatalogueError(SchemaError):
    """The schema files themselves are malformed."""


class UnknownSchema(SchemaError):
    """No schema for this event type, or for this version of it."""


class InvalidEventData(SchemaError):
    """An event's data does not match the schema version it declares."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class SchemaVersion:
    event_type: str
    version: int
    schema: dict[str, Any]
    examples: tuple[dict[str, Any], ...] = ()

    @functools.cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema)


@dataclass
class Subject:
    name: str
    compatibility: Mode = DEFAULT_MODE
    versions: dict[int, SchemaVersion] = field(default_factory=dict)

    @property
    def latest(self) -> SchemaVersion:
        return self.versions[max(self.versions)]


def _location(path: Iterator[Any]) -> str:
    text = "data"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def describe_errors(validator: Draft202012Validator, data: Any) -> list[str]:
    """Every way `data` breaks the schema, each naming the field: "data.items[0].quantity: ..."."""
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_location(iter(e.absolute_path))}: {e.message}" for e in errors]


def schema_problems(schema: Any) -> list[str]:
    """Why `schema` cannot be an event schema (empty when it can): a valid 2020-12 object schema."""
    if not isinstance(schema, dict):
        return ["a schema must be a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except JsonSchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return [f"not a valid JSON Schema (2020-12) at {where}: {error.message}"]
    declared = schema.get("type")
    if declared is not None and "object" not in ([declared] if isinstance(declared, str) else declared):
        return ["an event's data is a JSON object: the schema's type must be 'object'"]
    return []


class Catalogue:
    """Every event type's schema versions, examples and compatibility mode."""

    def __init__(self, subjects: dict[str, Subject], *, upcasters: Upcasters = UPCASTERS) -> None:
        self.subjects = subjects
        self.upcasters = upcasters

    # -- reading ------------------------------------------------------------------------

    @property
    def event_types(self) -> list[str]:
        return sorted(self.subjects)

    def versions(self, event_type: str) -> list[int]:
        subject = self.subjects.get(event_type)
        return sorted(subject.versions) if subject else []

    def get(self, event_type: str, version: int) -> SchemaVersion:
        subject = self.subjects.get(event_type)
        if subject is None:
            raise UnknownSchema(f"no schema for event type {event_type!r}")
        found = subject.versions.get(version)
        if found is None:
            known = ", ".join(str(v) for v in sorted(subject.versions))
            raise UnknownSchema(f"unknown schema version {version!r} of {event_type} (known: {known})")
        return found

    def schema(self, event_type: str, version: int) -> dict[str, Any]:
        return self.get(event_type, version).schema

    def compatibility(self, event_type: str) -> Mode:
        subject = self.subjects.get(event_type)
        return subject.compatibility if subject else DEFAULT_MODE

    # -- validating ---------------------------------------------------------------------

    def errors(self, event_type: str, version: int, data: Any) -> list[str]:
        return describe_errors(self.get(event_type, version).validator, data)

    def validate(self, event_type: str, version: int, data: Any) -> None:
        """Raise UnknownSchema or InvalidEventData (naming each field) unless `data` is valid."""
        errors = self.errors(event_type, version, data)
        if errors:
            raise InvalidEventData(_summary(f"invalid {event_type} v{version}", errors), errors)

    def outgoing_validator(self):
        """The UnitOfWork's validator: an event that breaks its declared version never reaches the outbox."""

        from causeway.schemas.outgoing import OutgoingEventInvalid

        def validate(event_type: str, schema_version: int, data: dict[str, Any]) -> None:
            try:
                self.validate(event_type, schema_version, data)
            except InvalidEventData as error:
                raise OutgoingEventInvalid(str(error), details=error.errors[:MAX_REPORTED_ERRORS]) from None
            except UnknownSchema as error:
                raise OutgoingEventInvalid(str(error)) from None

        return validate

    def conform(self, event_type: str, version: int, data: Any, target: int) -> dict[str, Any]:
        """An incoming event's data as a handler written for version `target` expects it.

        The data must be valid in the version its envelope declares. An older
        version is upcast step by step to `target` (and must then be valid
        there); a newer one is passed as it is if it is also valid in
        `target` (a tolerant reader). Raises UnknownSchema or InvalidEventData.
        """
        self.validate(event_type, version, data)
        if version == target:
            return data
        if version < target:
            upcast = self.upcasters.upcast(event_type, data, version, target)
            errors = self.errors(event_type, target, upcast)
            if errors:
                raise InvalidEventData(
                    _summary(f"{event_type} v{version} upcast to v{target} is invalid", errors), errors
                )
            return upcast
        errors = self.errors(event_type, target, data)
        if errors:
            raise InvalidEventData(
                _summary(f"{event_type} v{version} does not satisfy a handler written for v{target}", errors), errors
            )
        return data


def _summary(prefix: str, errors: list[str]) -> str:
    shown = "; ".join(errors[:MAX_REPORTED_ERRORS])
    more = f" (and {len(errors) - MAX_REPORTED_ERRORS} more)" if len(errors) > MAX_REPORTED_ERRORS else ""
    return f"{prefix}: {shown}{more}"


# -- loading --------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CatalogueError(f"{path}: not readable JSON: {error}") from None


def _read_modes(root: Path) -> tuple[Mode, dict[str, Mode]]:
    path = root / COMPATIBILITY_FILE
    if not path.exists():
        return DEFAULT_MODE, {}
    try:
        document = yaml.safe_load(path.read_text()) or {}
        default_mode = Mode.parse(document.get("default", DEFAULT_MODE.value))
        modes = {str(k): Mode.parse(v) for k, v in (document.get("subjects") or {}).items()}
    except (yaml.YAMLError, ValueError, AttributeError) as error:
        raise CatalogueError(f"{path}: {error}") from None
    return default_mode, modes


def load(root: str | Path | None = None) -> Catalogue:
    """The catalogue in `root` (a folder laid out as this one); without it, the SDK's own."""
    folder = Path(root) if root is not None else Path(str(resources.files("causeway.schemas")))
    default_mode, modes = _read_modes(folder)
    subjects: dict[str, Subject] = {}
    for directory in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        schemas: dict[int, dict[str, Any]] = {}
        examples: dict[int, list[dict[str, Any]]] = {}
        for path in sorted(directory.iterdir()):
            if match := _SCHEMA_FILE.match(path.name):
                schemas[int(match.group(1))] = _read_json(path)
            elif match := _EXAMPLE_FILE.match(path.name):
                examples.setdefault(int(match.group(1)), []).append(_read_json(path))
        if not schemas:
            continue
        subject = Subject(name=directory.name, compatibility=modes.get(directory.name, default_mode))
        for version, schema in sorted(schemas.items()):
            problems = schema_problems(schema)
            if problems:
                raise CatalogueError(f"{directory.name}/v{version}.schema.json: {'; '.join(problems)}")
            subject.versions[version] = SchemaVersion(
                event_type=directory.name, version=version, schema=schema, examples=tuple(examples.get(version, ()))
            )
        subjects[directory.name] = subject
    unknown = sorted(set(modes) - set(subjects))
    if unknown:
        raise CatalogueError(f"{folder / COMPATIBILITY_FILE}: modes for subjects without schemas: {', '.join(unknown)}")
    return Catalogue(subjects)


def __getattr__(name: str) -> Any:
    # The web stack (fastapi, botocore) is imported only by those who need this error,
    # not by `make schemas-check`.
    if name == "OutgoingEventInvalid":
        from causeway.schemas.outgoing import OutgoingEventInvalid

        return OutgoingEventInvalid
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def default() -> Catalogue:
    """The SDK's own catalogue, loaded once per process."""
    return load()
