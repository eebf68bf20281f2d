"""scripts/docs_coverage.py: every model, seed and source, and every column the warehouse has for
them, is described. A unit test of the coverage logic on a hand-made manifest and catalog, and the
real project: built on the test session's warehouse, `dbt docs generate`, then 100%."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from optlake.settings import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "docs_coverage.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("docs_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_coverage"] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


docs_coverage = _load_script()


def manifest(**nodes: dict) -> dict:
    """A manifest of project `p` holding the given nodes (unique_id -> node)."""
    return {
        "metadata": {"project_name": "p"},
        "nodes": {uid: n for uid, n in nodes.items() if not uid.startswith("source.")},
        "sources": {uid: n for uid, n in nodes.items() if uid.startswith("source.")},
    }


def node(resource_type: str, description: str, columns: dict[str, str], package: str = "p") -> dict:
    return {
        "resource_type": resource_type,
        "package_name": package,
        "description": description,
        "columns": {name: {"name": name, "description": text} for name, text in columns.items()},
    }


def catalog_entry(*columns: str) -> dict:
    return {"columns": {c.upper(): {"name": c.upper(), "index": i, "type": "string"} for i, c in enumerate(columns, 1)}}


def test_coverage_reports_each_missing_piece_and_the_overall_figure():
    m = manifest(
        **{
            "model.p.complete": node("model", "a model", {"a": "first", "b": "second"}),
            "model.p.gaps": node("model", "", {"a": "first", "b": "  ", "stale": "no longer in the table"}),
            "seed.p.map": node("seed", "a seed", {"root": "r"}),
            "source.p.bronze.quotes": node("source", "raw", {"x": "x"}),
            "model.p.never_built": node("model", "described", {}),
            "test.p.not_null_x": node("test", "", {}),  # tests are not documentation nodes
            "model.other.elsewhere": node("model", "", {}, package="other"),  # nor other packages' models
        }
    )
    catalog = {
        "nodes": {
            "model.p.complete": catalog_entry("a", "b"),
            "model.p.gaps": catalog_entry("a", "b", "c"),
            "seed.p.map": catalog_entry("root", "underlying"),
        },
        "sources": {"source.p.bronze.quotes": catalog_entry("x")},
    }
    result = docs_coverage.coverage(m, catalog)

    by_id = {n.unique_id: n for n in result.nodes}
    assert sorted(by_id) == [
        "model.p.complete",
        "model.p.gaps",
        "model.p.never_built",
        "seed.p.map",
        "source.p.bronze.quotes",
    ]
    assert by_id["model.p.complete"].complete
    gaps = by_id["model.p.gaps"]
    assert (gaps.described, gaps.columns, gaps.undescribed_columns, gaps.stale_columns) == (
        False,
        ("a", "b", "c"),
        ("b", "c"),
        ("stale",),
    )
    assert by_id["seed.p.map"].undescribed_columns == ("underlying",)
    assert not by_id["model.p.never_built"].in_catalog
    # nodes: complete, seed, source described and catalogued (3 of 5); columns: 2 + 1 + 1 + 1 of 8
    assert (result.node_described, result.node_total, result.column_described, result.column_total) == (3, 5, 5, 8)
    assert result.percent == pytest.approx(100 * 8 / 13)
    assert not result.complete

    text = docs_coverage.report(result)
    assert "MISSING description of column seed.p.map.underlying" in text
    assert "MISSING description of column model.p.gaps.b" in text
    assert "MISSING description of column model.p.gaps.c" in text
    assert "MISSING description of model.p.gaps" in text
    assert "MISSING model.p.never_built in catalog.json" in text
    assert "warning: model.p.gaps.stale is described but the table has no such column" in text
    assert "overall: 3/5 nodes, 5/8 columns described: 61.5%" in text


def test_main_exits_1_below_100_percent_and_0_at_100(tmp_path, capsys):
    m = manifest(**{"model.p.m": node("model", "m", {"a": "a"})})
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    (tmp_path / "catalog.json").write_text(json.dumps({"nodes": {"model.p.m": catalog_entry("a", "b")}, "sources": {}}))
    assert docs_coverage.main([str(tmp_path)]) == 1
    assert "MISSING description of column model.p.m.b" in capsys.readouterr().out
    (tmp_path / "catalog.json").write_text(json.dumps({"nodes": {"model.p.m": catalog_entry("a")}, "sources": {}}))
    assert docs_coverage.main([str(tmp_path)]) == 0
    assert "overall: 1/1 nodes, 1/1 columns described: 100.0%" in capsys.readouterr().out


@pytest.mark.integration
def test_the_project_is_fully_documented(spark, dbt, schema, fixture_csv, tmp_path):
    from optlake.bronze import LocalLanding, load

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / fixture_csv.name).write_bytes(fixture_csv.read_bytes())
    load(spark, LocalLanding(landing), schema)
    dbt(schema, "build")
    # dbt-spark's catalog lists the session's temporary views too (incremental runs leave
    # `<model>__dbt_tmp` ones in this shared session), with no schema, and then fails: drop them.
    for table in spark.catalog.listTables():
        if table.isTemporary:
            spark.catalog.dropTempView(table.name)
    dbt(schema, "docs", "generate", "--no-compile")
    target = dbt.target_path / PROJECT_DIR.name

    result = docs_coverage.coverage(*docs_coverage.load_artifacts(target))
    print(docs_coverage.report(result))
    columns = {n.unique_id: len(n.columns) for n in result.nodes}
    # every layer is in the catalog, with the columns the tables really have (nodes added later
    # must be described too, below, but are not listed here)
    assert (
        columns.items()
        >= {
            "model.optlake.stg_bronze__options_chain": 27,
            "model.optlake.int_quotes_classified": 23,
            "model.optlake.enriched_options_silver": 22,
            "model.optlake.enriched_options_silver_rejected": 17,
            "model.optlake.gold_laymanspystrategy": 26,
            "model.optlake.gold_ironcondorstrategy": 16,
            "model.optlake.stg_bronze__bars": 16,
            "model.optlake.int_bars_classified": 22,
            "model.optlake.bars_rejected": 19,
            "model.optlake.bars_1m": 15,
            "model.optlake.bars_5m": 12,
            "model.optlake.bars_daily": 11,
            "seed.optlake.underlying_map": 2,
            "seed.optlake.instruments": 10,
            "seed.optlake.trading_calendar": 4,
            "source.optlake.bronze.bronze_options_chain": 22,
            "source.optlake.bronze.bronze_bars": 15,
            "source.optlake.bronze.bronze_quarantine": 7,
            "source.optlake.bronze.bronze_load_audit": 16,
        }.items()
    )
    assert [n.unique_id for n in result.nodes if not n.complete] == []
    assert result.percent == 100.0 and result.column_described == result.column_total >= 174
