"""The platform's schema registry over HTTP: subjects, versions, compatibility modes, admin-only writes.

The registry is seeded from the repository's schema files at start. Tests that
register versions use subjects of their own (a copy of OrderPlaced under a
fresh name), so they depend on nothing but the seed.
"""

from __future__ import annotations

import copy
import json
import uuid

import httpx
import pytest

from causeway import schemas
from causeway import topology as topology_module
from tests.support.api import Api, ok

ORDER_PLACED_V2 = schemas.default().schema("OrderPlaced", 2)


@pytest.fixture(scope="module")
def admin(api: Api) -> httpx.Client:
    return api.as_user("platform", "admin@example.com")


@pytest.fixture(scope="module")
def public(api: Api) -> httpx.Client:
    return api.client("platform")


def error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def without(schema: dict, field: str) -> dict:
    changed = copy.deepcopy(schema)
    del changed["properties"][field]
    changed["required"] = [name for name in changed.get("required", []) if name != field]
    return changed


def with_field(schema: dict, field: str, sub: dict, *, required: bool = False) -> dict:
    changed = copy.deepcopy(schema)
    changed["properties"][field] = sub
    if required:
        changed["required"] = [*changed.get("required", []), field]
    return changed


def new_subject(admin: httpx.Client, schema: dict = ORDER_PLACED_V2, mode: str | None = None) -> str:
    subject = f"TestOrder{uuid.uuid4().hex[:10]}"
    if mode:
        ok(admin.put(f"/schemas/{subject}/compatibility", json={"mode": mode}))
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": schema}), 201) == {
        "subject": subject,
        "version": 1,
    }
    return subject


# -- reading -----------------------------------------------------------------------------------


def test_every_event_type_is_a_subject_seeded_from_the_repository(public: httpx.Client):
    subjects = ok(public.get("/schemas"))
    assert set(topology_module.default().event_types) <= set(subjects)
    assert ok(public.get("/schemas/OrderPlaced/versions"))[:2] == [1, 2]
    for event_type in topology_module.default().event_types:
        versions = schemas.default().versions(event_type)
        latest = ok(public.get(f"/schemas/{event_type}/versions/{versions[-1]}"))
        assert latest["version"] == versions[-1]
        assert latest["schema"] == schemas.default().schema(event_type, versions[-1])
        assert latest["compatibility"] == "BACKWARD"


def test_a_version_by_number_or_latest(public: httpx.Client):
    first = ok(public.get("/schemas/OrderPlaced/versions/1"))
    assert first == {
        "subject": "OrderPlaced",
        "version": 1,
        "schema": schemas.default().schema("OrderPlaced", 1),
        "compatibility": "BACKWARD",
    }
    latest = ok(public.get("/schemas/UserRegistered/versions/latest"))
    assert latest["version"] == 1 and latest["schema"]["properties"]["userId"]["type"] == "string"


def test_unknown_subjects_and_versions_are_404_and_bad_versions_422(public: httpx.Client):
    assert error(public.get("/schemas/NoSuchEvent/versions"), 404)["code"] == "subject_not_found"
    assert error(public.get("/schemas/NoSuchEvent/versions/1"), 404)["code"] == "subject_not_found"
    assert error(public.get("/schemas/OrderPlaced/versions/99"), 404)["code"] == "version_not_found"
    assert error(public.get("/schemas/OrderPlaced/versions/first"), 422)["code"] == "invalid_version"
    assert error(public.get("/schemas/OrderPlaced/versions/0"), 422)["code"] == "invalid_version"


# -- registering -------------------------------------------------------------------------------


def test_registering_needs_an_admin(api: Api, public: httpx.Client):
    body = {"schema": with_field(ORDER_PLACED_V2, "coupon", {"type": "string"})}
    assert error(public.post("/schemas/OrderPlaced/versions", json=body), 401)["code"] == "unauthorized"
    alice = api.as_user("platform", "alice@example.com")
    assert error(alice.post("/schemas/OrderPlaced/versions", json=body), 403)["code"] == "insufficient_scope"
    service = api.client("platform", api.service_token("orders"))
    assert service.post("/schemas/OrderPlaced/versions", json=body).status_code == 403
    assert alice.put("/schemas/OrderPlaced/compatibility", json={"mode": "NONE"}).status_code == 403
    assert ok(public.get("/schemas/OrderPlaced/versions"))[:2] == [1, 2]


def test_removing_a_required_field_under_backward_is_refused_naming_the_field(admin: httpx.Client):
    before = ok(admin.get("/schemas/OrderPlaced/versions"))
    response = admin.post("/schemas/OrderPlaced/versions", json={"schema": without(ORDER_PLACED_V2, "orderId")})
    refused = error(response, 409)
    assert refused["code"] == "incompatible"
    assert refused["details"] == ["required field 'orderId' removed"]
    assert "BACKWARD" in refused["message"] and "orderId" in refused["message"]
    assert ok(admin.get("/schemas/OrderPlaced/versions")) == before  # nothing written


def test_adding_an_optional_field_under_backward_is_accepted(admin: httpx.Client):
    subject = new_subject(admin)
    grown = with_field(ORDER_PLACED_V2, "giftMessage", {"type": "string", "description": "A note for the recipient"})
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": grown}), 201)["version"] == 2
    stored = ok(admin.get(f"/schemas/{subject}/versions/2"))
    assert stored["schema"] == grown and stored["compatibility"] == "BACKWARD"
    assert ok(admin.get(f"/schemas/{subject}/versions")) == [1, 2]
    assert subject in ok(admin.get("/schemas"))


def test_registering_an_identical_schema_returns_the_existing_version(admin: httpx.Client):
    subject = new_subject(admin)
    # Key order and spacing do not matter; the schema may also come as a string, as Confluent takes it.
    reordered = dict(reversed(list(ORDER_PLACED_V2.items())))
    same = ok(admin.post(f"/schemas/{subject}/versions", json={"schema": reordered}))
    assert same == {"subject": subject, "version": 1}
    as_text = {"schema": json.dumps(ORDER_PLACED_V2), "schemaType": "JSON"}
    assert ok(admin.post(f"/schemas/{subject}/versions", json=as_text))["version"] == 1
    assert ok(admin.get(f"/schemas/{subject}/versions")) == [1]
    # The seeded OrderPlaced v1, registered again, is version 1 of OrderPlaced.
    v1 = schemas.default().schema("OrderPlaced", 1)
    assert ok(admin.post("/schemas/OrderPlaced/versions", json={"schema": v1}))["version"] == 1


def test_full_refuses_required_fields_either_way_and_accepts_optional_ones(admin: httpx.Client):
    subject = new_subject(admin, mode="FULL")
    refused = error(admin.post(f"/schemas/{subject}/versions", json={"schema": with_field(
        ORDER_PLACED_V2, "coupon", {"type": "string"}, required=True)}), 409)
    assert refused["details"] == ["required field 'coupon' added"] and "FULL" in refused["message"]
    refused = error(admin.post(f"/schemas/{subject}/versions", json={"schema": without(ORDER_PLACED_V2, "total")}), 409)
    assert refused["details"] == ["required field 'total' removed"]
    # Optional fields come and go.
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": without(ORDER_PLACED_V2, "plan")}), 201)[
        "version"] == 2
    again = with_field(without(ORDER_PLACED_V2, "plan"), "coupon", {"type": "string"})
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": again}), 201)["version"] == 3


def test_forward_accepts_a_new_required_field_and_refuses_removing_one(admin: httpx.Client):
    subject = new_subject(admin, mode="FORWARD")
    added = with_field(ORDER_PLACED_V2, "coupon", {"type": "string"}, required=True)
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": added}), 201)["version"] == 2
    # (Removing `coupon` again would be v1 itself: an identical schema answers with version 1.)
    refused = error(admin.post(f"/schemas/{subject}/versions", json={"schema": without(added, "customerId")}), 409)
    assert refused["details"] == ["required field 'customerId' removed"]


def test_transitive_modes_check_every_earlier_version(admin: httpx.Client):
    subject = new_subject(admin)
    relaxed = copy.deepcopy(ORDER_PLACED_V2)
    relaxed["required"].remove("total")  # BACKWARD: making a field optional is fine
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": relaxed}), 201)["version"] == 2
    dropped = without(relaxed, "total")  # against v2 only: an optional field removed
    ok(admin.put(f"/schemas/{subject}/compatibility", json={"mode": "BACKWARD_TRANSITIVE"}))
    refused = error(admin.post(f"/schemas/{subject}/versions", json={"schema": dropped}), 409)
    assert refused["details"] == ["required field 'total' removed"]
    assert "version 1 of" in refused["message"] and "BACKWARD_TRANSITIVE" in refused["message"]
    ok(admin.put(f"/schemas/{subject}/compatibility", json={"mode": "BACKWARD"}))
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": dropped}), 201)["version"] == 3


def test_full_transitive_and_none(admin: httpx.Client):
    subject = new_subject(admin, mode="NONE")
    retyped = copy.deepcopy(ORDER_PLACED_V2)
    retyped["properties"]["total"] = {"type": "string"}
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": retyped}), 201)["version"] == 2  # NONE
    ok(admin.put(f"/schemas/{subject}/compatibility", json={"compatibility": "full_transitive"}))
    assert ok(admin.get(f"/schemas/{subject}/compatibility"))["compatibility"] == "FULL_TRANSITIVE"
    # Compatible with v2, but not with v1 (total was an integer there).
    grown = with_field(retyped, "coupon", {"type": "string"})
    refused = error(admin.post(f"/schemas/{subject}/versions", json={"schema": grown}), 409)
    assert refused["details"] == ["type of field 'total' changed from integer to string"]
    ok(admin.put(f"/schemas/{subject}/compatibility", json={"mode": "FULL"}))
    assert ok(admin.post(f"/schemas/{subject}/versions", json={"schema": grown}), 201)["version"] == 3


def _nested(levels: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def test_bad_input_is_422_and_writes_nothing(admin: httpx.Client):
    subject = f"TestBad{uuid.uuid4().hex[:8]}"
    for body in (
        {"schema": {"type": "object", "required": "orderId"}},  # not a valid JSON Schema
        {"schema": {"type": "string"}},  # event data is an object
        {"schema": "{not json"},
        {"schema": "[1, 2]"},
        {"schema": {"type": "object"}, "schemaType": "AVRO"},
        {"schemaa": {}},
        [],
        {"schema": "{" + '"a":[' * 5000 + "1" + "]" * 5000 + "}"},  # nested beyond reason
        {"schema": {"type": "object", "properties": {"deep": _nested(100)}}},
    ):
        response = admin.post(f"/schemas/{subject}/versions", json=body)
        assert response.status_code == 422, (body, response.text)
    assert admin.post("/schemas/bad%20name/versions", json={"schema": {"type": "object"}}).status_code == 422
    sideways = admin.put("/schemas/OrderPlaced/compatibility", json={"mode": "SIDEWAYS"})
    assert error(sideways, 422)["code"] == "unknown_mode"
    assert admin.put("/schemas/OrderPlaced/compatibility", json={}).status_code == 422
    assert error(admin.get(f"/schemas/{subject}/versions"), 404)["code"] == "subject_not_found"
    assert ok(admin.get("/schemas/OrderPlaced/compatibility"))["compatibility"] == "BACKWARD"
