"""`make schemas-check` passes on the repository as committed and fails on a breaking change, naming the field."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = Path(str(resources.files("causeway.schemas")))


def schemas_check(root: Path | None = None) -> subprocess.CompletedProcess:
    """The Makefile target itself (`-o .venv/.synced`: the workspace is installed, do not sync it here)."""
    command = ["make", "--no-print-directory", "-s", "-o", ".venv/.synced", "schemas-check"]
    if root is not None:
        command.append(f"SCHEMAS_ROOT={root}")
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture
def copy_of_schemas(tmp_path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def edit(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def test_it_passes_on_the_repository_as_committed():
    result = schemas_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schemas-check: ok: 14 event types" in result.stdout


def test_a_copy_of_the_repository_passes_too(copy_of_schemas):
    result = schemas_check(copy_of_schemas)
    assert result.returncode == 0, result.stdout + result.stderr


def test_removing_a_required_field_fails_naming_it(copy_of_schemas):
    def drop_order_id(schema):
        del schema["properties"]["orderId"]
        schema["required"].remove("orderId")

    edit(copy_of_schemas / "OrderPlaced" / "v2.schema.json", drop_order_id)
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert (
        "schemas-check: OrderPlaced v2 is incompatible with v1 under BACKWARD: required field 'orderId' removed"
        in result.stderr
    )


def test_a_new_version_checked_transitively_against_every_earlier_one(copy_of_schemas):
    # v3 makes `total` optional (BACKWARD: fine against v2) ...
    v3 = json.loads((copy_of_schemas / "OrderPlaced" / "v2.schema.json").read_text())
    v3["required"].remove("total")
    (copy_of_schemas / "OrderPlaced" / "v3.schema.json").write_text(json.dumps(v3))
    example = json.loads((copy_of_schemas / "OrderPlaced" / "v2.example.json").read_text())
    (copy_of_schemas / "OrderPlaced" / "v3.example.json").write_text(json.dumps(example))
    assert schemas_check(copy_of_schemas).returncode == 0
    # ... v4 removes it: compatible with v3, not with v1 and v2, caught under BACKWARD_TRANSITIVE.
    del v3["properties"]["total"]
    (copy_of_schemas / "OrderPlaced" / "v4.schema.json").write_text(json.dumps(v3))
    del example["total"]
    (copy_of_schemas / "OrderPlaced" / "v4.example.json").write_text(json.dumps(example))
    assert schemas_check(copy_of_schemas).returncode == 0
    modes = copy_of_schemas / "compatibility.yaml"
    modes.write_text("default: BACKWARD\nsubjects:\n  OrderPlaced: BACKWARD_TRANSITIVE\n")
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "OrderPlaced v4 is incompatible with v2 under BACKWARD_TRANSITIVE: required field 'total' removed" in (
        result.stderr
    )
    assert "OrderPlaced v4 is incompatible with v1 under BACKWARD_TRANSITIVE" in result.stderr


def test_an_invalid_example_fails(copy_of_schemas):
    edit(copy_of_schemas / "UserRegistered" / "v1.example.json", lambda example: example.pop("email"))
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "UserRegistered v1: example 1 is invalid: data: 'email' is a required property" in result.stderr


def test_a_version_without_an_example_or_with_a_gap_fails(copy_of_schemas):
    (copy_of_schemas / "StockReleased" / "v1.example.json").unlink()
    reserved = copy_of_schemas / "StockReserved"
    shutil.copy(reserved / "v1.schema.json", reserved / "v3.schema.json")
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "StockReleased v1: no example" in result.stderr
    assert "StockReserved: versions must be numbered 1..N; missing v2" in result.stderr


def test_an_upcaster_that_does_not_reach_the_next_version_fails(copy_of_schemas):
    # If v2 required a field v1 events lack and no upcaster supplies, v1 events could never be read as v2.
    def require_plan(schema):
        schema["required"].append("plan")
        schema["properties"]["plan"]["default"] = "free"  # compatible: a default fills it for readers

    edit(copy_of_schemas / "OrderPlaced" / "v2.schema.json", require_plan)
    edit(copy_of_schemas / "OrderPlaced" / "v1.example.json", lambda example: example.pop("plan"))
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "OrderPlaced: example 1 of v1 upcast to v2 is invalid: data: 'plan' is a required property" in result.stderr


def test_a_topology_event_without_a_schema_fails(copy_of_schemas):
    shutil.rmtree(copy_of_schemas / "StockReleased")
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "StockReleased: published by inventory but has no schema" in result.stderr


def test_a_malformed_schema_fails(copy_of_schemas):
    (copy_of_schemas / "StockReleased" / "v1.schema.json").write_text('{"type": "object", "required": "orderId"}')
    result = schemas_check(copy_of_schemas)
    assert result.returncode != 0
    assert "StockReleased/v1.schema.json: not a valid JSON Schema (2020-12)" in result.stderr
