"""The domain's error texts speak the domain's words, never a wire format's.

An embedder calling from Python must not be told about `albumId` or "PUT the file to
put_url": those belong to the HTTP layer, which rephrases where it wants to
(entrypoints/http/errors.WIRE_WORDING, entrypoints/http/commands.py). This is the check
import-linter cannot express: it reads every message a domain module raises.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import imgtree.domain
from imgtree.entrypoints.http.openapi import build_document

DOMAIN = Path(imgtree.domain.__file__).parent
CAMEL = re.compile(r"\b[a-z]+[A-Z][A-Za-z]*\b")
HTTP_WORDS = re.compile(r"\b(GET|PUT|POST|PATCH|DELETE|HTTP|put_url|JSON|header|null)\b")


def raised_messages(path: Path) -> Iterator[tuple[int, str]]:
    """The literal text of the first argument of every `raise SomeError(...)`."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            first = node.exc.args[0]
            parts = first.values if isinstance(first, ast.JoinedStr) else [first]
            text = "".join(
                p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)
            )
            yield node.lineno, text


def wire_field_names() -> set[str]:
    """Every property name the OpenAPI document gives a request or response body."""
    names: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            props = value.get("properties")
            if isinstance(props, dict):
                names.update(props)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(build_document("http://img.test"))
    return names


MODULES = sorted(DOMAIN.rglob("*.py"))


def test_there_are_messages_to_check() -> None:
    assert sum(1 for p in MODULES for _ in raised_messages(p)) > 50


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_error_texts_name_no_wire_field_or_http_step(path: Path) -> None:
    camel_wire_fields = {n for n in wire_field_names() if CAMEL.fullmatch(n)}
    for line, text in raised_messages(path):
        words = set(re.findall(r"[A-Za-z_]+", text))
        assert not CAMEL.search(text), f"{path.name}:{line}: camelCase in {text!r}"
        assert not words & camel_wire_fields, f"{path.name}:{line}: wire field in {text!r}"
        assert not HTTP_WORDS.search(text), f"{path.name}:{line}: HTTP term in {text!r}"
