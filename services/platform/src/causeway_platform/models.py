"""Platform's tables: the schema registry (subjects and their versions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from causeway.db import UtcDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class RegistrySubject(Base):
    """A subject (an event type) and its compatibility mode."""

    __tablename__ = "schema_subjects"

    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    compatibility: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegistryVersion(Base):
    """One registered version of a subject's schema; versions never change once registered."""

    __tablename__ = "schema_versions"

    subject: Mapped[str] = mapped_column(ForeignKey("schema_subjects.subject"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema_json: Mapped[str] = mapped_column(Text)  # canonical JSON
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the canonical JSON
    source: Mapped[str] = mapped_column(String(16))  # "repository" (seeded) or "api"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
