"""docs/embedding.md must keep working: run its examples.

The first two ```python blocks are the public API's examples and each runs on its own: in
memory for tests (`imgtree.build_in_memory()`), then SQLite + local disk inside another
WSGI service (`imgtree.build(settings)`, a real loopback server). All blocks together run in
order, as a reader following the page would.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"
# Fences may be indented (inside a list item); the closing fence has the same indent.
_BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    return [textwrap.dedent(m.group(2)) for m in _BLOCK.finditer(DOC.read_text("utf-8"))]


def run(source: str, namespace: dict[str, object]) -> None:
    exec(compile(source, str(DOC), "exec"), namespace)


def test_the_doc_has_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 4
    assert "imgtree.build_in_memory(" in blocks[0]
    assert "imgtree.build(settings" in blocks[1] and "make_server(" in blocks[1]


def test_the_in_memory_example_runs_on_its_own() -> None:
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    run(python_blocks()[0], namespace)
    assert "image" in namespace


def test_the_wsgi_service_example_runs_on_its_own() -> None:
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    run(python_blocks()[1], namespace)
    assert isinstance(namespace["slug"], str)
    assert not namespace["root"].exists()  # type: ignore[attr-defined]


def test_all_examples_run_in_order() -> None:
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    for block in python_blocks():
        run(block, namespace)
