"""Compatibility of JSON Schema versions, with the modes of Confluent Schema Registry.

A version is checked against the one before it (BACKWARD, FORWARD, FULL) or
against every earlier one (the _TRANSITIVE modes); NONE checks nothing.

- BACKWARD: a consumer using the new version can read events written with the
  old one (the new schema is the reader, the old one the writer);
- FORWARD: a consumer still on the old version can read events written with
  the new one (the old schema is the reader);
- FULL: both.

No Python library checks JSON Schema compatibility with field-level reasons
(see README, "Libraries"), so these are the rules, for the subset of JSON
Schema event schemas use: object `properties`, `required` (with `default`),
`additionalProperties` (open, closed or a schema), `type` (integer is a
number), `enum`/`const`, nested objects and arrays (`items`), and the usual
bounds (minimum, maxLength, pattern, minItems, ...). Annotations (title,
description, examples, format, ...) never matter. Any other keyword
(allOf, oneOf, if/then, $ref, ...) must stay identical, or the change is
reported as one the checker cannot prove safe: conservative, never silent.

How data is read, for the rules: a reader tolerates fields its schema does
not declare unless its object is closed (`additionalProperties: false`), and
a writer emits the fields its schema declares (Causeway's producers build
their events from code, and validate them before the outbox).

Where Causeway is stricter than Confluent, on purpose: under BACKWARD a
field that the previous version *required* may not be removed. Consumers
are never all upgraded before producers here (there is no coordinator; v1
and v2 producers coexist during a migration), and a required field is
one every existing handler may rely on. Retire it in two steps: make it
optional, then remove it; BACKWARD_TRANSITIVE and FULL refuse even that,
as Confluent does.

Every violation names the field, e.g. "required field 'orderId' removed".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Schema = dict[str, Any] | bool


class Mode(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def backward(self) -> bool:
        return self in (Mode.BACKWARD, Mode.BACKWARD_TRANSITIVE, Mode.FULL, Mode.FULL_TRANSITIVE)

    @property
    def forward(self) -> bool:
        return self in (Mode.FORWARD, Mode.FORWARD_TRANSITIVE, Mode.FULL, Mode.FULL_TRANSITIVE)

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @classmethod
    def parse(cls, value: str) -> Mode:
        """A mode from its name, case-insensitively; ValueError names the valid ones."""
        if isinstance(value, Mode):
            return value
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            raise ValueError(
                f"unknown compatibility mode {value!r}; one of {', '.join(m.value for m in cls)}"
            ) from None


DEFAULT_MODE = Mode.BACKWARD


@dataclass(frozen=True)
class Violation:
    """One thing a new version breaks."""

    message: str  # names the field: "required field 'orderId' removed"
    field: str  # dotted path of the field, "" for the event's data itself
    direction: str  # "backward" (new readers, old events) or "forward" (old readers, new events)
    version: int | None = None  # the earlier version it is incompatible with

    def __str__(self) -> str:
        return self.message


# -- the walk ---------------------------------------------------------------------------

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",  # an annotation in 2020-12 unless a format-assertion vocabulary is declared
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)
# Keywords the rules understand; anything else must stay identical.
_UNDERSTOOD = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})
# (keyword, True when a larger value is looser)
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")

BACKWARD = "backward"
FORWARD = "forward"


def _as_dict(schema: Schema) -> dict[str, Any] | None:
    """A schema as a dict; None for `false` (nothing valid). `true` is `{}`."""
    if schema is True:
        return {}
    if schema is False:
        return None
    return schema


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(schema: dict[str, Any]) -> frozenset[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    if "const" in schema:
        return frozenset({_json_type(schema["const"])})
    if isinstance(schema.get("enum"), list):
        return frozenset(_json_type(v) for v in schema["enum"])
    return _ALL_TYPES


def _accepts_type(reader: frozenset[str], written: str) -> bool:
    return written in reader or (written == "integer" and "number" in reader)


def _allowed_values(schema: dict[str, Any]) -> list[Any] | None:
    """The finite set of values a schema allows, or None when it is not restricted to one."""
    if "const" in schema:
        return [schema["const"]]
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    return None


def _describe_types(types: frozenset[str]) -> str:
    if types == _ALL_TYPES:
        return "any"
    return " | ".join(sorted(types))


def _label(path: str) -> str:
    return path or "data"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Walk:
    """Compares an old and a new schema in one direction, collecting violations."""

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.violations: list[Violation] = []

    def add(self, field: str, message: str) -> None:
        self.violations.append(Violation(message=message, field=field, direction=self.direction))

    # reader/writer from old/new
    def reader_writer(self, old: Any, new: Any) -> tuple[Any, Any]:
        return (new, old) if self.direction == BACKWARD else (old, new)

    def compare(self, old_schema: Schema, new_schema: Schema, path: str) -> None:
        old, new = _as_dict(old_schema), _as_dict(new_schema)
        reader, writer = self.reader_writer(old, new)
        if writer is None:
            return  # the writer can produce nothing: nothing to read
        if reader is None:
            self.add(path, f"field '{_label(path)}' no longer accepts any value" if self.direction == BACKWARD
                     else f"field '{_label(path)}' accepted no value before")
            return
        self._unsupported(old, new, path)
        if not self._types(old, new, reader, writer, path):
            return  # a field of another type: its bounds and contents no longer compare
        self._values(old, new, reader, writer, path)
        self._bounds(old, new, reader, writer, path)
        both = _types(reader) & _types(writer)
        if "object" in both and ("properties" in old or "properties" in new or "required" in old or "required" in new
                                 or "additionalProperties" in old or "additionalProperties" in new):
            self._object(old, new, path)
        if "array" in both and ("items" in old or "items" in new):
            self._items(old, new, path)

    def _unsupported(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for keyword in sorted((set(old) | set(new)) - _ANNOTATIONS - _UNDERSTOOD):
            if _canonical(old.get(keyword)) != _canonical(new.get(keyword)):
                label = _label(path)
                self.add(path, f"'{keyword}' of field '{label}' changed; only identical '{keyword}' can be checked")

    def _types(self, old, new, reader, writer, path: str) -> bool:
        reader_types, writer_types = _types(reader), _types(writer)
        if all(_accepts_type(reader_types, t) for t in writer_types):
            return True
        before, after = _describe_types(_types(old)), _describe_types(_types(new))
        self.add(path, f"type of field '{_label(path)}' changed from {before} to {after}")
        return False

    def _values(self, old, new, reader, writer, path: str) -> None:
        accepted = _allowed_values(reader)
        if accepted is None:
            return
        written = _allowed_values(writer)
        label = _label(path)
        if written is None:
            if self.direction == BACKWARD:
                self.add(path, f"field '{label}' restricted to {sorted(map(_canonical, accepted))}")
            else:
                self.add(path, f"field '{label}' no longer restricted to {sorted(map(_canonical, accepted))}")
            return
        accepted_keys = {_canonical(v) for v in accepted}
        missing = sorted(_canonical(v) for v in written if _canonical(v) not in accepted_keys)
        if missing:
            if self.direction == BACKWARD:
                self.add(path, f"value {', '.join(missing)} removed from field '{label}'")
            else:
                self.add(path, f"value {', '.join(missing)} added to field '{label}'")

    def _bounds(self, old, new, reader, writer, path: str) -> None:
        label = _label(path)

        def changed(keyword: str) -> None:
            before, after = old.get(keyword), new.get(keyword)
            if before is None:
                self.add(path, f"'{keyword}' {json.dumps(after)} added to field '{label}'")
            elif after is None:
                self.add(path, f"'{keyword}' {json.dumps(before)} removed from field '{label}'")
            else:
                change = f"from {json.dumps(before)} to {json.dumps(after)}"
                self.add(path, f"'{keyword}' of field '{label}' changed {change}")

        for keyword in _LOWER_BOUNDS:
            if keyword in reader and not (keyword in writer and writer[keyword] >= reader[keyword]):
                changed(keyword)
        for keyword in _UPPER_BOUNDS:
            if keyword in reader and not (keyword in writer and writer[keyword] <= reader[keyword]):
                changed(keyword)
        if "multipleOf" in reader:
            written = writer.get("multipleOf")
            if written is None or not _is_multiple(written, reader["multipleOf"]):
                changed("multipleOf")
        if "pattern" in reader and reader.get("pattern") != writer.get("pattern"):
            changed("pattern")
        if reader.get("uniqueItems") is True and writer.get("uniqueItems") is not True:
            changed("uniqueItems")

    def _object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_props: dict[str, Any] = old.get("properties") or {}
        new_props: dict[str, Any] = new.get("properties") or {}
        old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
        reader, writer = self.reader_writer(old, new)
        reader_props, writer_props = self.reader_writer(old_props, new_props)
        reader_required, writer_required = self.reader_writer(old_required, new_required)

        # What the reader requires, the writer must always write (or the reader has a default).
        for name in sorted(reader_required - writer_required):
            field = _join(path, name)
            declared = reader_props.get(name)
            if isinstance(declared, dict) and "default" in declared:
                continue  # readers (and upcasters) fill it in
            if self.direction == BACKWARD:
                message = f"field '{field}' made required" if name in old_props else f"required field '{field}' added"
            else:
                message = f"field '{field}' made optional" if name in new_props else f"required field '{field}' removed"
            self.add(field, message)

        # Causeway's one rule beyond Confluent's (see the module's docstring).
        if self.direction == BACKWARD:
            for name in sorted(old_required - set(new_props) - new_required):
                self.add(_join(path, name), f"required field '{_join(path, name)}' removed")

        for name in sorted(set(old_props) | set(new_props)):
            field = _join(path, name)
            if name in old_props and name in new_props:
                self.compare(old_props[name], new_props[name], field)
            elif name in writer_props:
                # The writer writes a field the reader does not declare.
                undeclared = _schema_for_undeclared(reader, name)
                if undeclared is None:
                    if self.direction == BACKWARD:
                        self.add(field, f"field '{field}' removed from an object that allows no other fields")
                    else:
                        self.add(field, f"field '{field}' added to an object that allowed no other fields")
                elif undeclared is not True:
                    old_side, new_side = (writer_props[name], undeclared) if self.direction == BACKWARD else (
                        undeclared, writer_props[name])
                    self.compare(old_side, new_side, field)
            else:
                # The reader declares a field the writer does not: written only if the
                # writer allows it with a schema of its own (partially open).
                undeclared = _schema_for_undeclared(writer, name)
                if isinstance(undeclared, dict) and undeclared:
                    old_side, new_side = (undeclared, reader_props[name]) if self.direction == BACKWARD else (
                        reader_props[name], undeclared)
                    self.compare(old_side, new_side, field)

    def _items(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        self.compare(old.get("items", True), new.get("items", True), f"{path}[]")


def _schema_for_undeclared(schema: dict[str, Any], name: str) -> Any:
    """How an object treats a field it does not declare: True (anything), a schema, or None (refused)."""
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return sub if sub is not False else None
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return None
    if extra is True or extra == {}:
        return True
    return extra


def _is_multiple(value: float, of: float) -> bool:
    if of == 0:
        return False
    quotient = value / of
    return math.isclose(quotient, round(quotient))


def _dedupe(violations: Iterable[Violation]) -> list[Violation]:
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for violation in violations:
        key = (violation.message, violation.version)
        if key not in seen:
            seen.add(key)
            unique.append(violation)
    return unique


# -- the public checks ------------------------------------------------------------------


def backward_violations(old: Schema, new: Schema) -> list[Violation]:
    """What keeps a consumer on `new` from reading events written with `old`."""
    walk = _Walk(BACKWARD)
    walk.compare(old, new, "")
    return _dedupe(walk.violations)


def forward_violations(old: Schema, new: Schema) -> list[Violation]:
    """What keeps a consumer still on `old` from reading events written with `new`."""
    walk = _Walk(FORWARD)
    walk.compare(old, new, "")
    return _dedupe(walk.violations)


def violations(old: Schema, new: Schema, mode: Mode | str) -> list[Violation]:
    """What `new` breaks relative to `old` under `mode` (one pair; transitivity is `check`'s)."""
    mode = Mode.parse(mode)
    found: list[Violation] = []
    if mode.backward:
        found.extend(backward_violations(old, new))
    if mode.forward:
        found.extend(forward_violations(old, new))
    return _dedupe(found)


def check(previous: Sequence[tuple[int, Schema]], new: Schema, mode: Mode | str) -> list[Violation]:
    """What `new` breaks relative to the earlier versions `previous` ((version, schema), oldest first).

    Non-transitive modes compare with the latest version only, transitive ones
    with every earlier version; each violation names the version it breaks.
    """
    mode = Mode.parse(mode)
    if mode is Mode.NONE or not previous:
        return []
    ordered = sorted(previous, key=lambda pair: pair[0])
    against = ordered if mode.transitive else ordered[-1:]
    found: list[Violation] = []
    for version, schema in reversed(against):  # the latest first: the most relevant
        for violation in violations(schema, new, mode):
            found.append(
                Violation(message=violation.message, field=violation.field, direction=violation.direction,
                          version=version)
            )
    return found


def summary(found: Sequence[Violation]) -> list[str]:
    """The distinct messages, in order: what the registry reports as `details`."""
    messages: list[str] = []
    for violation in found:
        if violation.message not in messages:
            messages.append(violation.message)
    return messages
