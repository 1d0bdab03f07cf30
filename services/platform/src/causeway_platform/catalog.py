"""The event catalogue page: every event type, its versions and fields, an example, who produces and consumes it.

Versions and fields come from the registry, examples from the repository's
schema files (when the registry's version is the repository's), producer
and consumers from the topology. Server-rendered HTML, no scripts, no
external assets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from causeway import schemas
from causeway.topology import Topology, TopologyError
from causeway_platform import registry

_environment = Environment(
    loader=PackageLoader("causeway_platform", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class FieldRow:
    path: str
    type: str
    required: bool
    description: str
    rules: str  # enum, default, bounds: what a value must be


@dataclass
class VersionCard:
    version: int
    title: str
    description: str
    source: str
    fields: list[FieldRow]
    example: str | None
    schema: str


@dataclass
class EventCard:
    name: str
    producer: str | None
    consumers: list[str]
    compatibility: str
    versions: list[VersionCard] = field(default_factory=list)

    @property
    def latest(self) -> int:
        return max((v.version for v in self.versions), default=0)


def _type_of(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        text = " | ".join(declared)
    elif isinstance(declared, str):
        text = declared
    elif "enum" in schema or "const" in schema:
        text = "enum"
    else:
        text = "any"
    if text == "array" and isinstance(schema.get("items"), dict):
        text = f"array of {_type_of(schema['items'])}"
    return text


def _rules(schema: dict[str, Any]) -> str:
    parts = []
    if "const" in schema:
        parts.append(f"= {json.dumps(schema['const'])}")
    if "enum" in schema:
        parts.append("one of " + ", ".join(json.dumps(v) for v in schema["enum"]))
    if "default" in schema:
        parts.append(f"default {json.dumps(schema['default'])}")
    for keyword, label in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
    ):
        if keyword in schema:
            parts.append(f"{label} {schema[keyword]}")
    if "pattern" in schema:
        parts.append(f"matches {schema['pattern']}")
    if "format" in schema:
        parts.append(f"format {schema['format']}")
    return "; ".join(parts)


def fields_of(schema: Any, prefix: str = "") -> list[FieldRow]:
    """The schema's fields, nested ones as dotted paths (`items[].sku`, `shippingAddress.city`)."""
    rows: list[FieldRow] = []
    if not isinstance(schema, dict):
        return rows
    required = set(schema.get("required") or ())
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        sub = sub if isinstance(sub, dict) else {}
        rows.append(
            FieldRow(
                path=path,
                type=_type_of(sub),
                required=name in required,
                description=str(sub.get("description", "")),
                rules=_rules(sub),
            )
        )
        if sub.get("properties"):
            rows.extend(fields_of(sub, path))
        items = sub.get("items")
        if isinstance(items, dict) and items.get("properties"):
            rows.extend(fields_of(items, f"{path}[]"))
    return rows


def _example(catalogue: schemas.Catalogue, subject: str, version: registry.VersionView) -> str | None:
    """The repository's example of this version, when the registry holds the repository's schema."""
    try:
        entry = catalogue.get(subject, version.version)
    except schemas.UnknownSchema:
        return None
    if registry.fingerprint(entry.schema) != registry.fingerprint(version.schema) or not entry.examples:
        return None
    return json.dumps(entry.examples[0], indent=2)


def build(topology: Topology, catalogue: schemas.Catalogue, registered: dict[str, list[registry.VersionView]]):
    """Cards for every event type of the topology (in its order), then any other registered subject."""
    names = list(dict.fromkeys(topology.event_types))
    others = sorted(set(registered) - set(names))
    cards: list[EventCard] = []
    for name in names + others:
        try:
            producer: str | None = topology.producer_of(name).name
        except TopologyError:
            producer = None
        found = registered.get(name, [])
        card = EventCard(
            name=name,
            producer=producer,
            consumers=[c.name for c in topology.consumers_of(name)],
            compatibility=found[-1].compatibility.value if found else catalogue.compatibility(name).value,
        )
        for version in found:
            schema = version.schema
            card.versions.append(
                VersionCard(
                    version=version.version,
                    title=str(schema.get("title", f"{name} v{version.version}")),
                    description=str(schema.get("description", "")),
                    source=version.source,
                    fields=fields_of(schema),
                    example=_example(catalogue, name, version),
                    schema=json.dumps(schema, indent=2),
                )
            )
        cards.append(card)
    return cards


def render(topology: Topology, catalogue: schemas.Catalogue, registered: dict[str, list[registry.VersionView]]) -> str:
    cards = build(topology, catalogue, registered)
    producers = list(dict.fromkeys(c.producer for c in cards if c.producer))
    return _environment.get_template("catalog.html").render(
        cards=cards,
        producers=producers,
        unrouted=[c for c in cards if c.producer is None],
        hub_bus=topology.hub_bus_name,
    )
