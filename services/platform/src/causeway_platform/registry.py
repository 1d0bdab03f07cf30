"""The schema registry: subjects (one per event type), their versions and compatibility modes.

Semantics follow Confluent Schema Registry: versions are numbered from 1 per
subject and never change; registering a schema identical to an existing
version returns that version; a new version must be compatible with the
previous one (or all previous ones, for a _TRANSITIVE mode) under the
subject's mode, checked by `causeway.schemas.compatibility`.

The repository's schema files (shipped with the SDK) are the source of
truth: the platform seeds the registry from them at start, idempotently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from causeway import schemas
from causeway.errors import Conflict, NotFound, Unprocessable
from causeway.schemas import compatibility
from causeway.schemas.compatibility import Mode
from causeway_platform.models import RegistrySubject, RegistryVersion

log = logging.getLogger("causeway.platform.registry")

LATEST = "latest"
SUBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,199}$")
MAX_SCHEMA_BYTES = 256 * 1024
MAX_SCHEMA_DEPTH = 64  # JSON nesting; far beyond any event schema, well within recursion limits
SOURCE_REPOSITORY = "repository"
SOURCE_API = "api"


def canonical(schema: Any) -> str:
    """The form two schemas are compared in (key order and spacing do not matter)."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stored(schema: Any) -> str:
    """The form a schema is kept in: its own key order, so fields read as their author wrote them."""
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def fingerprint(schema: Any) -> str:
    return hashlib.sha256(canonical(schema).encode()).hexdigest()


@dataclass(frozen=True)
class VersionView:
    subject: str
    version: int
    schema: dict[str, Any]
    compatibility: Mode
    source: str
    created_at: datetime


@dataclass(frozen=True)
class Registration:
    version: int
    created: bool  # False: an identical schema was already registered


# -- reading -----------------------------------------------------------------------------


def check_subject_name(subject: str) -> None:
    if not SUBJECT_NAME.match(subject):
        raise Unprocessable(
            "a subject is an event type name: a letter, then letters, digits, '.', '_' or '-' (at most 200)",
            code="invalid_subject",
        )


def subjects(session: Session) -> list[str]:
    """Subjects with at least one version, sorted."""
    return list(session.scalars(select(RegistryVersion.subject).distinct().order_by(RegistryVersion.subject)))


def _subject(session: Session, subject: str, *, lock: bool = False) -> RegistrySubject | None:
    return session.get(RegistrySubject, subject, with_for_update=lock)


def mode_of(session: Session, subject: str) -> Mode:
    row = _subject(session, subject)
    if row is None:
        raise NotFound(f"no subject {subject!r}", code="subject_not_found")
    return Mode(row.compatibility)


def versions(session: Session, subject: str) -> list[int]:
    found = list(
        session.scalars(
            select(RegistryVersion.version).where(RegistryVersion.subject == subject).order_by(RegistryVersion.version)
        )
    )
    if not found:
        raise NotFound(f"no subject {subject!r}", code="subject_not_found")
    return found


def parse_version(text: str) -> int | str:
    """A version path segment: a positive integer, or `latest` (Confluent's -1 too)."""
    if text.strip().lower() in (LATEST, "-1"):
        return LATEST
    try:
        version = int(text)
    except ValueError:
        version = 0
    if version < 1:
        raise Unprocessable("a version is a positive integer or 'latest'", code="invalid_version")
    return version


def get_version(session: Session, subject: str, version: int | str) -> VersionView:
    row_subject = _subject(session, subject)
    latest = session.scalar(select(func.max(RegistryVersion.version)).where(RegistryVersion.subject == subject))
    if row_subject is None or latest is None:
        raise NotFound(f"no subject {subject!r}", code="subject_not_found")
    row = session.get(RegistryVersion, (subject, latest if version == LATEST else version))
    if row is None:
        raise NotFound(f"{subject} has no version {version}", code="version_not_found")
    return VersionView(
        subject=subject,
        version=row.version,
        schema=json.loads(row.schema_json),
        compatibility=Mode(row_subject.compatibility),
        source=row.source,
        created_at=row.created_at,
    )


def all_versions(session: Session) -> dict[str, list[VersionView]]:
    """Every subject's versions, oldest first (for the catalogue page)."""
    modes = {row.subject: Mode(row.compatibility) for row in session.scalars(select(RegistrySubject))}
    found: dict[str, list[VersionView]] = {}
    for row in session.scalars(select(RegistryVersion).order_by(RegistryVersion.subject, RegistryVersion.version)):
        found.setdefault(row.subject, []).append(
            VersionView(
                subject=row.subject,
                version=row.version,
                schema=json.loads(row.schema_json),
                compatibility=modes.get(row.subject, compatibility.DEFAULT_MODE),
                source=row.source,
                created_at=row.created_at,
            )
        )
    return found


# -- writing -----------------------------------------------------------------------------


def _depth(value: Any) -> int:
    """How deeply `value` nests (iteratively: a hostile document cannot exhaust the stack here)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list):
            deepest = max(deepest, level)
            if level > MAX_SCHEMA_DEPTH:
                return level
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, level + 1) for child in children)
    return deepest


def _default_mode(subject: str, catalogue: schemas.Catalogue) -> Mode:
    return catalogue.compatibility(subject)


def _ensure_subject(session: Session, subject: str, catalogue: schemas.Catalogue) -> RegistrySubject:
    row = _subject(session, subject, lock=True)
    if row is None:
        now = datetime.now(UTC)
        row = RegistrySubject(
            subject=subject, compatibility=_default_mode(subject, catalogue).value, created_at=now, updated_at=now
        )
        session.add(row)
        session.flush()
    return row


def register(
    session: Session,
    subject: str,
    schema: Any,
    *,
    catalogue: schemas.Catalogue,
    source: str = SOURCE_API,
) -> Registration:
    """Register `schema` as the subject's next version, if it is compatible under the subject's mode.

    Raises Unprocessable (not a valid event schema) or Conflict with code
    `incompatible` and `details` listing what breaks, each naming the field.
    """
    check_subject_name(subject)
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        raise Unprocessable(f"a schema nests at most {MAX_SCHEMA_DEPTH} levels", code="invalid_schema")
    if len(canonical(schema).encode()) > MAX_SCHEMA_BYTES:
        raise Unprocessable(f"a schema is at most {MAX_SCHEMA_BYTES // 1024} KiB", code="invalid_schema")
    problems = schemas.schema_problems(schema)
    if problems:
        raise Unprocessable("; ".join(problems), code="invalid_schema", details=problems)
    row = _ensure_subject(session, subject, catalogue)
    print_ = fingerprint(schema)
    existing = session.scalar(
        select(RegistryVersion.version)
        .where(RegistryVersion.subject == subject, RegistryVersion.fingerprint == print_)
        .order_by(RegistryVersion.version)
        .limit(1)
    )
    if existing is not None:
        return Registration(version=existing, created=False)
    previous = [
        (v.version, json.loads(v.schema_json))
        for v in session.scalars(
            select(RegistryVersion).where(RegistryVersion.subject == subject).order_by(RegistryVersion.version)
        )
    ]
    mode = Mode(row.compatibility)
    found = compatibility.check(previous, schema, mode)
    if found:
        against = sorted({v.version for v in found if v.version is not None})
        details = compatibility.summary(found)
        raise Conflict(
            f"the schema is incompatible with version{'s' if len(against) > 1 else ''} "
            f"{', '.join(map(str, against))} of {subject} under {mode.value}: {'; '.join(details)}",
            code="incompatible",
            details=details,
        )
    number = (previous[-1][0] if previous else 0) + 1
    session.add(
        RegistryVersion(
            subject=subject,
            version=number,
            schema_json=stored(schema),
            fingerprint=print_,
            source=source,
            created_at=datetime.now(UTC),
        )
    )
    row.updated_at = datetime.now(UTC)
    return Registration(version=number, created=True)


def set_mode(session: Session, subject: str, mode: Mode, *, catalogue: schemas.Catalogue) -> Mode:
    """Set a subject's mode; it applies to the next registration (a subject may be configured first)."""
    check_subject_name(subject)
    row = _ensure_subject(session, subject, catalogue)
    row.compatibility = mode.value
    row.updated_at = datetime.now(UTC)
    return mode


def seed(session: Session, catalogue: schemas.Catalogue) -> tuple[int, int]:
    """Register the repository's versions the registry does not have yet; returns (added, unchanged).

    Idempotent. A subject's mode is taken from the repository when the subject
    is created, and left alone afterwards (an admin may have changed it). A
    registry version that differs from the repository's file of the same
    number is kept and reported: registered versions never change.
    """
    added = unchanged = 0
    for name in catalogue.event_types:
        _ensure_subject(session, name, catalogue)
        for version in catalogue.versions(name):
            schema = catalogue.schema(name, version)
            row = session.get(RegistryVersion, (name, version))
            if row is not None:
                if row.fingerprint != fingerprint(schema):
                    log.warning("registry's %s v%s differs from the repository's; the registry's stays", name, version)
                unchanged += 1
                continue
            latest = session.scalar(select(func.max(RegistryVersion.version)).where(RegistryVersion.subject == name))
            if (latest or 0) != version - 1:
                log.warning("cannot seed %s v%s after the registry's v%s", name, version, latest)
                continue
            session.add(
                RegistryVersion(
                    subject=name,
                    version=version,
                    schema_json=stored(schema),
                    fingerprint=fingerprint(schema),
                    source=SOURCE_REPOSITORY,
                    created_at=datetime.now(UTC),
                )
            )
            session.flush()
            added += 1
    return added, unchanged
