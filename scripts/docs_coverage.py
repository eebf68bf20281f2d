"""Documentation coverage of the dbt project: every model, seed and source, and every column they
have in the warehouse, must carry a non-empty description.

Reads dbt's artifacts from a target folder: manifest.json (the descriptions, from the yml files and
their doc() blocks) and catalog.json (the columns the built tables and views really have). Run
`dbt build` and then `dbt docs generate` first, then:

    .venv/bin/python scripts/docs_coverage.py target

Prints the coverage of every node and overall; exits 1, listing what is missing, below 100%.
A node of the manifest that is missing from the catalog (not built, or not selected by
`docs generate`) counts as missing too: its columns cannot be checked. Described columns that the
table does not have are listed as warnings (stale docs) without failing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Resource types whose documentation is checked.
CHECKED_TYPES = ("model", "seed", "snapshot", "source")


@dataclass(frozen=True)
class NodeCoverage:
    unique_id: str
    described: bool  # the node itself has a description
    in_catalog: bool
    columns: tuple[str, ...]  # the columns the catalog has, in table order
    undescribed_columns: tuple[str, ...]
    stale_columns: tuple[str, ...] = field(default=())  # described but not in the table

    @property
    def complete(self) -> bool:
        return self.described and self.in_catalog and not self.undescribed_columns

    @property
    def described_columns(self) -> int:
        return len(self.columns) - len(self.undescribed_columns)


@dataclass(frozen=True)
class Coverage:
    nodes: tuple[NodeCoverage, ...]

    @property
    def node_total(self) -> int:
        return len(self.nodes)

    @property
    def node_described(self) -> int:
        return sum(1 for n in self.nodes if n.described and n.in_catalog)

    @property
    def column_total(self) -> int:
        return sum(len(n.columns) for n in self.nodes)

    @property
    def column_described(self) -> int:
        return sum(n.described_columns for n in self.nodes)

    @property
    def percent(self) -> float:
        """Described nodes and columns over all nodes and columns, in percent (100.0 when empty)."""
        total = self.node_total + self.column_total
        return 100.0 if total == 0 else 100.0 * (self.node_described + self.column_described) / total

    @property
    def complete(self) -> bool:
        return all(n.complete for n in self.nodes)


def _has_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def documented_nodes(manifest: dict) -> dict[str, dict]:
    """The manifest's models, seeds, snapshots and sources of the root project, by unique_id."""
    project = manifest.get("metadata", {}).get("project_name")
    candidates = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    return {
        uid: node
        for uid, node in candidates.items()
        if node.get("resource_type") in CHECKED_TYPES and (project is None or node.get("package_name") == project)
    }


def node_coverage(uid: str, node: dict, catalog_entry: dict | None) -> NodeCoverage:
    described_names = {
        name.lower() for name, col in node.get("columns", {}).items() if _has_text(col.get("description"))
    }
    if catalog_entry is None:
        return NodeCoverage(uid, _has_text(node.get("description")), False, (), ())
    catalog_columns = sorted(catalog_entry.get("columns", {}).values(), key=lambda c: c.get("index", 0))
    names = tuple(c["name"].lower() for c in catalog_columns)
    return NodeCoverage(
        unique_id=uid,
        described=_has_text(node.get("description")),
        in_catalog=True,
        columns=names,
        undescribed_columns=tuple(n for n in names if n not in described_names),
        stale_columns=tuple(sorted(described_names - set(names))),
    )


def coverage(manifest: dict, catalog: dict) -> Coverage:
    """Coverage of every documented node of the manifest against the columns the catalog has."""
    entries = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
    nodes = documented_nodes(manifest)
    return Coverage(tuple(node_coverage(uid, nodes[uid], entries.get(uid)) for uid in sorted(nodes)))


def report(result: Coverage) -> str:
    """One line per node, the overall figures, then what is missing."""
    width = max((len(n.unique_id) for n in result.nodes), default=10)
    lines = []
    for n in result.nodes:
        if n.in_catalog:
            pct = 100.0 if not n.columns else 100.0 * n.described_columns / len(n.columns)
            state = f"{n.described_columns:>3}/{len(n.columns):<3} columns {pct:6.1f}%"
        else:
            state = "not in the catalog"
        lines.append(f"{n.unique_id:<{width}}  {'described' if n.described else 'NO DESCRIPTION':<14}  {state}")
    lines.append(
        f"overall: {result.node_described}/{result.node_total} nodes, "
        f"{result.column_described}/{result.column_total} columns described: {result.percent:.1f}%"
    )
    for n in result.nodes:
        if not n.described:
            lines.append(f"MISSING description of {n.unique_id}")
        if not n.in_catalog:
            lines.append(f"MISSING {n.unique_id} in catalog.json (not built, or not selected by `dbt docs generate`)")
        for column in n.undescribed_columns:
            lines.append(f"MISSING description of column {n.unique_id}.{column}")
        for column in n.stale_columns:
            lines.append(f"warning: {n.unique_id}.{column} is described but the table has no such column")
    return "\n".join(lines)


def load_artifacts(target: Path) -> tuple[dict, dict]:
    return json.loads((target / "manifest.json").read_text()), json.loads((target / "catalog.json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "target",
        nargs="?",
        default="target",
        type=Path,
        help="dbt target folder holding manifest.json and catalog.json (default: target)",
    )
    args = parser.parse_args(argv)
    missing = [name for name in ("manifest.json", "catalog.json") if not (args.target / name).is_file()]
    if missing:
        print(
            f"error: {', '.join(missing)} not found in {args.target}: run `dbt docs generate` "
            "(on a built warehouse) first",
            file=sys.stderr,
        )
        return 2
    result = coverage(*load_artifacts(args.target))
    print(report(result))
    return 0 if result.complete else 1


if __name__ == "__main__":
    sys.exit(main())
