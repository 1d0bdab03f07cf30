"""The compatibility rules, mode by mode, as Confluent Schema Registry documents them.

Confluent: BACKWARD — consumers on the new schema read data written with the old
one (add optional fields, delete fields); FORWARD — consumers on the old schema
read data written with the new one (add fields, delete optional fields); FULL —
both (add or delete optional fields only); _TRANSITIVE — against every earlier
version, not only the last. Causeway's one deliberate difference: BACKWARD also
refuses deleting a field the previous version required (see compatibility.py).
"""

from __future__ import annotations

import copy

import pytest

from causeway.schemas import compatibility
from causeway.schemas.compatibility import Mode, check, violations

BASE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["orderId", "total"],
    "properties": {
        "orderId": {"type": "string", "minLength": 1},
        "total": {"type": "integer", "minimum": 0},
        "note": {"type": "string"},
        "channel": {"type": "string", "enum": ["web", "mobile"]},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sku"],
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
            },
        },
    },
}


def changed(fn) -> dict:
    schema = copy.deepcopy(BASE)
    fn(schema)
    return schema


def remove(name: str):
    def fn(schema):
        del schema["properties"][name]
        schema["required"] = [r for r in schema["required"] if r != name]

    return fn


def add(name: str, sub: dict, *, required: bool = False):
    def fn(schema):
        schema["properties"][name] = sub
        if required:
            schema["required"].append(name)

    return fn


def messages(old: dict, new: dict, mode: Mode | str) -> list[str]:
    return compatibility.summary(violations(old, new, mode))


# The change, then whether each mode accepts it: BACKWARD, FORWARD, FULL.
CHANGES = {
    "add an optional field": (add("coupon", {"type": "string"}), True, True, True),
    "add a required field": (add("coupon", {"type": "string"}, required=True), False, True, False),
    "add a required field with a default": (
        add("coupon", {"type": "string", "default": "none"}, required=True),
        True,
        True,
        True,
    ),
    "remove an optional field": (remove("note"), True, True, True),
    "remove a required field": (remove("orderId"), False, False, False),
    "make a required field optional": (lambda s: s["required"].remove("total"), True, False, False),
    "make an optional field required": (lambda s: s["required"].append("note"), False, True, False),
    "change a field's type": (lambda s: s["properties"]["total"].update(type="string"), False, False, False),
    "widen integer to number": (lambda s: s["properties"]["total"].update(type="number"), True, False, False),
    "add an enum value": (lambda s: s["properties"]["channel"]["enum"].append("api"), True, False, False),
    "remove an enum value": (lambda s: s["properties"]["channel"]["enum"].remove("mobile"), False, True, False),
    "tighten a bound": (lambda s: s["properties"]["orderId"].update(minLength=5), False, True, False),
    "loosen a bound": (lambda s: s["properties"]["total"].pop("minimum"), True, False, False),
    "remove a required nested field": (
        lambda s: (s["properties"]["items"]["items"]["properties"].pop("sku"),
                   s["properties"]["items"]["items"]["required"].remove("sku")),
        False,
        False,
        False,
    ),
    "add an optional nested field": (
        lambda s: s["properties"]["items"]["items"]["properties"].update(gift={"type": "boolean"}),
        True,
        True,
        True,
    ),
    "only annotations change": (
        lambda s: s.update(title="Order", description="changed") or s["properties"]["note"].update(description="x"),
        True,
        True,
        True,
    ),
}


@pytest.mark.parametrize("name", list(CHANGES))
@pytest.mark.parametrize(("mode", "index"), [(Mode.BACKWARD, 1), (Mode.FORWARD, 2), (Mode.FULL, 3)])
def test_each_change_under_each_mode(name: str, mode: Mode, index: int):
    change, *expected = CHANGES[name]
    new = changed(change)
    found = messages(BASE, new, mode)
    accepted = expected[index - 1]
    assert (found == []) is accepted, f"{name} under {mode}: {found}"
    # The transitive variant agrees on a single predecessor; NONE accepts everything.
    transitive = Mode(f"{mode.value}_TRANSITIVE")
    assert compatibility.summary(check([(1, BASE)], new, transitive)) == found
    assert check([(1, BASE)], new, Mode.NONE) == []


def test_removing_a_required_field_is_refused_naming_it():
    assert messages(BASE, changed(remove("orderId")), "BACKWARD") == ["required field 'orderId' removed"]
    assert messages(BASE, changed(remove("orderId")), "FORWARD") == ["required field 'orderId' removed"]
    nested = changed(lambda s: (s["properties"]["items"]["items"]["properties"].pop("sku"),
                                s["properties"]["items"]["items"]["required"].remove("sku")))
    assert messages(BASE, nested, "FULL") == ["required field 'items[].sku' removed"]


def test_violations_name_the_field_and_the_change():
    assert messages(BASE, changed(add("coupon", {"type": "string"}, required=True)), "BACKWARD") == [
        "required field 'coupon' added"
    ]
    assert messages(BASE, changed(lambda s: s["properties"]["total"].update(type="string")), "FULL") == [
        "type of field 'total' changed from integer to string"
    ]
    assert messages(BASE, changed(lambda s: s["required"].append("note")), "BACKWARD") == [
        "field 'note' made required"
    ]
    assert messages(BASE, changed(lambda s: s["required"].remove("total")), "FORWARD") == [
        "field 'total' made optional"
    ]
    assert messages(BASE, changed(lambda s: s["properties"]["channel"]["enum"].remove("mobile")), "BACKWARD") == [
        "value \"mobile\" removed from field 'channel'"
    ]
    assert messages(BASE, changed(lambda s: s["properties"]["orderId"].update(minLength=5)), "BACKWARD") == [
        "'minLength' of field 'orderId' changed from 1 to 5"
    ]


def test_closed_objects_refuse_fields_they_do_not_declare():
    closed = changed(lambda s: s.update(additionalProperties=False))
    # A consumer on a closed new version cannot read old events carrying a field it dropped.
    shrunk = changed(lambda s: (remove("note")(s), s.update(additionalProperties=False)))
    assert messages(closed, shrunk, "BACKWARD") == ["field 'note' removed from an object that allows no other fields"]
    # A consumer still on the closed old version cannot read new events with a new field.
    grown = changed(lambda s: (add("coupon", {"type": "string"})(s), s.update(additionalProperties=False)))
    assert messages(closed, grown, "FORWARD") == ["field 'coupon' added to an object that allowed no other fields"]
    assert messages(closed, grown, "BACKWARD") == []


def test_partially_open_objects_check_undeclared_fields_against_their_schema():
    strings = {"type": "string"}
    partial = changed(lambda s: s.update(additionalProperties=strings))
    as_number = changed(lambda s: (add("extra", {"type": "integer"})(s), s.update(additionalProperties=strings)))
    assert messages(partial, as_number, "FORWARD") == ["type of field 'extra' changed from string to integer"]
    as_string = changed(lambda s: (add("extra", {"type": "string"})(s), s.update(additionalProperties=strings)))
    assert messages(partial, as_string, "FULL") == []


def test_keywords_beyond_the_rules_must_stay_identical():
    with_rule = changed(lambda s: s.update(allOf=[{"if": {"required": ["note"]}, "then": {"required": ["channel"]}}]))
    assert messages(with_rule, copy.deepcopy(with_rule), "FULL") == []
    assert messages(BASE, with_rule, "BACKWARD") == [
        "'allOf' of field 'data' changed; only identical 'allOf' can be checked"
    ]


# -- transitivity --------------------------------------------------------------------------


def test_backward_checks_the_last_version_and_backward_transitive_every_one():
    v1 = BASE
    v2 = changed(lambda s: s["required"].remove("total"))  # total becomes optional: BACKWARD-compatible
    v3 = changed(lambda s: (s["required"].remove("total"), s["properties"].pop("total")))  # then removed
    assert check([(1, v1)], v2, Mode.BACKWARD) == []
    assert check([(1, v1), (2, v2)], v3, Mode.BACKWARD) == []  # compatible with v2 ...
    found = check([(1, v1), (2, v2)], v3, Mode.BACKWARD_TRANSITIVE)  # ... not with v1
    assert [(v.version, v.message) for v in found] == [(1, "required field 'total' removed")]


def test_forward_transitive_checks_every_earlier_version():
    v1 = BASE
    v2 = changed(add("coupon", {"type": "string"}, required=True))  # FORWARD: adding fields is fine
    v3 = changed(lambda s: (add("coupon", {"type": "string"}, required=True)(s), remove("note")(s)))
    assert check([(1, v1), (2, v2)], v3, Mode.FORWARD) == []
    assert check([(1, v1), (2, v2)], v3, Mode.FORWARD_TRANSITIVE) == []
    # An enum narrowed in v2 (under NONE) then widened back in v3: FORWARD only sees v2.
    n2 = changed(lambda s: s["properties"]["channel"]["enum"].remove("mobile"))
    n3 = copy.deepcopy(BASE)
    found = compatibility.summary(check([(1, v1), (2, n2)], n3, Mode.FORWARD))
    assert found == ["value \"mobile\" added to field 'channel'"]


def test_full_transitive_reports_each_version_it_breaks():
    v1 = BASE
    v2 = changed(add("coupon", {"type": "string"}))  # FULL-compatible
    v3 = changed(lambda s: (add("coupon", {"type": "string"})(s), s["properties"]["total"].update(type="string")))
    found = check([(1, v1), (2, v2)], v3, Mode.FULL_TRANSITIVE)
    assert {v.version for v in found} == {1, 2}
    assert compatibility.summary(found) == ["type of field 'total' changed from integer to string"]
    assert {v.version for v in check([(1, v1), (2, v2)], v3, Mode.FULL)} == {2}


def test_modes_parse_case_insensitively_and_refuse_unknown_ones():
    assert Mode.parse("full_transitive") is Mode.FULL_TRANSITIVE
    assert Mode.parse(Mode.NONE) is Mode.NONE
    with pytest.raises(ValueError, match="unknown compatibility mode 'SIDEWAYS'"):
        Mode.parse("SIDEWAYS")
    assert [m.backward for m in Mode] == [True, True, False, False, True, True, False]
    assert [m.forward for m in Mode] == [False, False, True, True, True, True, False]
