"""The event envelope of the contract, and its mapping to EventBridge entries.

EventBridge `Source` = causeway.<producer>, `DetailType` = event type,
`Detail` = {"metadata": {...}, "data": {...}}.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel


class InvalidEnvelope(ValueError):
    """A delivered message is not a Causeway event."""


class Metadata(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    event_id: str = Field(min_length=1)
    schema_version: int = Field(ge=1)
    occurred_at: datetime
    producer: str
    account: str
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None


class Event(BaseModel):
    """One fact: its type (EventBridge detail-type), metadata and data."""

    model_config = ConfigDict(frozen=True)

    type: str
    metadata: Metadata
    data: dict[str, Any]

    @property
    def event_id(self) -> str:
        return self.metadata.event_id

    def detail(self) -> dict[str, Any]:
        return {"metadata": self.metadata.model_dump(mode="json", by_alias=True, exclude_none=True), "data": self.data}

    def detail_json(self) -> str:
        return json.dumps(self.detail(), separators=(",", ":"))


def new_metadata(
    *,
    event_id: str,
    producer: str,
    account: str,
    schema_version: int,
    correlation_id: str | None,
    causation_id: str | None,
    trace_headers: dict[str, str],
) -> Metadata:
    return Metadata(
        event_id=event_id,
        schema_version=schema_version,
        occurred_at=datetime.now(UTC),
        producer=producer,
        account=account,
        correlation_id=correlation_id or str(uuid.uuid4()),
        causation_id=causation_id,
        traceparent=trace_headers.get("traceparent"),
        tracestate=trace_headers.get("tracestate"),
    )


def from_detail(event_type: str, detail: str | dict[str, Any]) -> Event:
    try:
        body = json.loads(detail) if isinstance(detail, str) else detail
        return Event(type=event_type, metadata=Metadata.model_validate(body["metadata"]), data=body["data"])
    except (ValueError, KeyError, TypeError, ValidationError) as e:
        raise InvalidEnvelope(f"not a Causeway event: {e}") from e


def from_sqs_body(body: str) -> Event:
    """An SQS message delivered by an EventBridge rule carries the whole EventBridge event."""
    try:
        delivered = json.loads(body)
        return from_detail(delivered["detail-type"], delivered["detail"])
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidEnvelope(f"not an EventBridge event: {e}") from e
