"""The schema table against what the binary writes and what the docs say:
a column added to a CSV, to README's tables or to the schema fails here
until all three agree."""

import csv
import re

from mortgage_sim import schema as S
from conftest import REPO


def file_columns(table):
    return [c.name for c in S.SCHEMA[table] if not c.derived]


def test_a_fresh_run_writes_exactly_the_declared_columns(folders):
    for name, folder in folders.items():
        for table in S.TABLES:
            with (folder / f"{table}.csv").open(newline="") as f:
                header = next(csv.reader(f))
            if table == "points":
                assert header[:2] == file_columns("points"), name
                continue
            assert header == file_columns(table), (name, table)


def readme_tables():
    """{table: [column names]} from README.md's "Output files" tables: the
    backticked names in each row's first cell, `a` … `b` ranges expanded
    with the schema's order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Output files") :]
    section = section[: section.index("\n## ", 1)]
    out, table = {}, None
    for line in section.splitlines():
        m = re.match(r"### `(\w+)\.csv`", line)
        if m:
            table = m.group(1)
            out[table] = []
            continue
        if table is None or not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        names = re.findall(r"`([^`]+)`", cell)
        if "…" in cell and len(names) == 2:
            order = [c.name for c in S.SCHEMA[table]]
            names = order[order.index(names[0]) : order.index(names[1]) + 1]
        out[table] += names
    return out


def test_readme_documents_every_declared_column():
    documented = readme_tables()
    assert set(documented) == set(S.SCHEMA)
    for table in S.SCHEMA:
        assert documented[table] == file_columns(table) or (
            # README may document a derived column once the CSV carries it.
            documented[table] == [c.name for c in S.SCHEMA[table]]
        ), (table, documented[table])


def test_docs_python_md_holds_the_current_schema():
    doc = (REPO / "docs" / "PYTHON.md").read_text(encoding="utf-8")
    assert S.markdown().strip() in doc, "regenerate with: python3 -m mortgage_sim.schema (docs/PYTHON.md, Schema)"
