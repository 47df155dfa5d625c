"""Tests for benchmarks.readme_tables: the README quotes the committed report."""

import pathlib

import pytest

from benchmarks import readme_tables

REPORT = """# Report

## Test accuracy, %

| condition | n5 |
|---|---|
| plain | 90.0 |

![plot](plot.png)

## Goals (paired)

Text first.

| goal | met |
|---|---|
| a | not met |
"""

README = """# Lib

<!-- efficacy-table -->
| old | table |
<!-- /efficacy-table -->

prose

<!-- goals-table -->
<!-- /goals-table -->
"""


def test_table_under_takes_the_first_table_below_the_heading():
    assert readme_tables.table_under(REPORT, "## Goals") == (
        "| goal | met |\n|---|---|\n| a | not met |")


def test_table_under_names_a_missing_heading():
    with pytest.raises(ValueError, match="## Nope"):
        readme_tables.table_under(REPORT, "## Nope")


def test_synced_replaces_each_block_and_keeps_the_rest():
    new = readme_tables.synced(README, REPORT)
    assert "| plain | 90.0 |" in new and "| old | table |" not in new
    assert "| a | not met |" in new and "prose" in new
    assert readme_tables.synced(new, REPORT) == new  # idempotent


def test_replace_block_requires_one_block():
    with pytest.raises(ValueError, match="exactly one"):
        readme_tables.replace_block("no markers", "goals-table", "x")


def test_the_committed_readme_quotes_the_committed_report():
    root = pathlib.Path(__file__).resolve().parents[2]
    report = (root / readme_tables.DEFAULT_REPORT).read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme_tables.synced(readme, report) == readme, (
        "README tables are stale: run python -m benchmarks.readme_tables")
