"""`make schemas-check`: the repository's schemas are sound, compatible and exemplified.

For every subject (event type) in the folder:
- versions are numbered 1..N without gaps, and each is a valid JSON Schema (2020-12);
- each version has at least one example, and every example validates;
- each version is compatible with its predecessors under the subject's mode
  (the previous one, or all of them for a _TRANSITIVE mode);
- every example of version N, upcast, is valid in version N+1;
and every event type of the topology has a schema, and every schema an event type.
A problem names the subject, the versions and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from causeway import topology as topology_module
from causeway.schemas import Catalogue, CatalogueError, compatibility, load


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    subjects: int = 0
    versions: int = 0
    examples: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check(root: str | Path | None = None, *, topology: topology_module.Topology | None = None) -> Report:
    report = Report()
    try:
        catalogue = load(root)
    except CatalogueError as error:
        report.problems.append(str(error))
        return report
    check_catalogue(catalogue, report)
    topology = topology or topology_module.default()
    for event_type in sorted(set(topology.event_types) - set(catalogue.subjects)):
        report.problems.append(
            f"{event_type}: published by {topology.producer_of(event_type).name} but has no schema "
            f"(add {event_type}/v1.schema.json and v1.example.json)"
        )
    for event_type in sorted(set(catalogue.subjects) - set(topology.event_types)):
        report.problems.append(f"{event_type}: has a schema but no service publishes it (topology.yaml)")
    return report


def check_catalogue(catalogue: Catalogue, report: Report) -> None:
    for name in catalogue.event_types:
        subject = catalogue.subjects[name]
        versions = sorted(subject.versions)
        report.subjects += 1
        report.versions += len(versions)
        expected = list(range(1, len(versions) + 1))
        if versions != expected:
            missing = sorted(set(range(1, max(versions) + 1)) - set(versions))
            report.problems.append(f"{name}: versions must be numbered 1..N; missing v{', v'.join(map(str, missing))}")
        for version in versions:
            entry = subject.versions[version]
            if not entry.examples:
                report.problems.append(f"{name} v{version}: no example (add v{version}.example.json)")
            for number, example in enumerate(entry.examples, 1):
                report.examples += 1
                for error in catalogue.errors(name, version, example):
                    report.problems.append(f"{name} v{version}: example {number} is invalid: {error}")
            previous = [(v, subject.versions[v].schema) for v in versions if v < version]
            found = compatibility.check(previous, entry.schema, subject.compatibility)
            by_version: dict[int | None, list[str]] = {}
            for violation in found:
                by_version.setdefault(violation.version, [])
                if violation.message not in by_version[violation.version]:
                    by_version[violation.version].append(violation.message)
            for against, messages in by_version.items():
                report.problems.append(
                    f"{name} v{version} is incompatible with v{against} under {subject.compatibility.value}: "
                    + "; ".join(messages)
                )
            if version - 1 in subject.versions:
                for number, example in enumerate(subject.versions[version - 1].examples, 1):
                    upcast = catalogue.upcasters.upcast(name, example, version - 1, version)
                    for error in catalogue.errors(name, version, upcast):
                        report.problems.append(
                            f"{name}: example {number} of v{version - 1} upcast to v{version} is invalid: {error}"
                        )
