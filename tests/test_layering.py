"""The layering, walked: pages, components and HTTP routes hold no SQL (they call db/ functions); db/ never
imports streamlit. A string that reads as SQL or a ``.execute(`` call outside db/ fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)"
                 r"|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+)\b", re.DOTALL)
LAYERS = ["app.py", "server.py", "pages", "components", "api", "integrations"]


def _files(names: list[str]) -> list[Path]:
    out = []
    for name in names:
        path = ROOT / name
        out += [path] if path.is_file() else sorted(path.rglob("*.py")) if path.is_dir() else []
    return out


def sql_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
        if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "executescript"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}(")
    return found


def test_no_sql_above_the_data_layer():
    found = [hit for path in _files(LAYERS) for hit in sql_in(path)]
    assert not found, "SQL belongs in db/:\n" + "\n".join(found)


def test_the_data_layer_never_imports_streamlit():
    found = []
    for path in _files(["db"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "streamlit"]
    assert not found, found


def test_the_walk_sees_sql(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text('rows = conn.execute("SELECT id FROM contacts WHERE x = ?", (1,))\n')
    assert len(sql_in_any(sample)) == 2
    sample.write_text('st.write("Select the contacts from the list")\n')
    assert sql_in_any(sample) == []


def sql_in_any(path: Path) -> list[str]:
    """``sql_in`` for a file outside the repository (the self-test)."""
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return sql_in(path)
    finally:
        ROOT = saved
