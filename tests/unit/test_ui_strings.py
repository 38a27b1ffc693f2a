"""The web app's UI strings (web/strings.py, web/catalogue.py): every id a template or a script
uses is in the catalogue for that page, every catalogue entry is used, messages are well formed,
the JSON block is safe, and no template or script gains a literal user-visible string."""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path

import markupsafe
import pytest
from jinja2 import nodes

from imgtree.entrypoints.http.web import catalogue
from imgtree.entrypoints.http.web.render import _env
from imgtree.entrypoints.http.web.strings import (
    MissingString,
    Strings,
    fill,
    is_well_formed,
    placeholders,
    script_sections,
    strings_for,
    template_sections,
)

WEB = Path(__file__).parents[2] / "src/imgtree/entrypoints/http/web"
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
PAGES = sorted(p.name for p in TEMPLATES.glob("*.html") if not p.name.startswith("_"))
SCRIPTS = sorted(p.name for p in STATIC.glob("*.js"))


# --- ids used by templates ---------------------------------------------------------------


def _template_ids(name: str) -> tuple[set[str], set[str]]:
    """(ids, id prefixes) a template's own source asks `t` for: `t.id`, `t("id", ...)` and
    `t("prefix_" ~ x)` (a prefix: every id starting with it counts as used)."""
    source = (TEMPLATES / name).read_text()
    tree = _env.parse(source)
    ids: set[str] = set()
    prefixes: set[str] = set()
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "t":
            ids.add(node.attr)
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "t"):
            continue
        first = call.args[0]
        if isinstance(first, nodes.Const):
            ids.add(first.value)
        elif isinstance(first, nodes.Concat) and isinstance(first.nodes[0], nodes.Const):
            prefixes.add(first.nodes[0].value)
        else:
            raise AssertionError(f"{name}: t() with an id the test cannot read")
    return ids, prefixes


def _page_template_ids(page: str) -> tuple[set[str], set[str]]:
    """What a page's template asks for, with base.html's and the macros' it imports."""
    ids, prefixes = _template_ids(page)
    more, more_prefixes = _template_ids("base.html")
    ids |= more
    prefixes |= more_prefixes
    source = (TEMPLATES / page).read_text()
    for included in re.findall(r'{%-?\s*include\s+"([^"]+)"', source):
        more, more_prefixes = _template_ids(included)
        ids |= more
        prefixes |= more_prefixes
    for macro, (more, more_prefixes) in _macro_ids().items():
        if f"macros.{macro}(" in source or (
            macro == "out_of_range_text" and "macros.out_of_range(" in source
        ):
            ids |= more
            prefixes |= more_prefixes
    return ids, prefixes


def _macro_ids() -> dict[str, tuple[set[str], set[str]]]:
    """The ids each macro of _macros.html asks for."""
    tree = _env.parse((TEMPLATES / "_macros.html").read_text())
    found: dict[str, tuple[set[str], set[str]]] = {}
    for macro in tree.find_all(nodes.Macro):
        ids = {
            n.attr
            for n in macro.find_all(nodes.Getattr)
            if isinstance(n.node, nodes.Name) and n.node.name == "t"
        }
        prefixes = set()
        for call in macro.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t":
                first = call.args[0]
                if isinstance(first, nodes.Const):
                    ids.add(first.value)
                elif isinstance(first, nodes.Concat) and isinstance(first.nodes[0], nodes.Const):
                    prefixes.add(first.nodes[0].value)
        found[macro.name] = (ids, prefixes)
    return found


# --- ids used by scripts -----------------------------------------------------------------

_T_CALL = re.compile(r"\b(?:I|Imgtree)\.t\(")
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _first_argument(source: str, start: int) -> str:
    depth = 0
    for i in range(start, len(source)):
        c = source[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return source[start:i]
            depth -= 1
        elif c == "," and depth == 0:
            return source[start:i]
    raise AssertionError("unclosed t(")


def _script_ids(name: str) -> set[str]:
    """Every string literal in the first argument of each I.t(...) / Imgtree.t(...) call (so
    `I.t(filtered ? "a" : "b")` uses both); an id from a variable must not happen."""
    source = re.sub(r"^\s*//.*$", "", (STATIC / name).read_text(), flags=re.M)
    if name == "common.js":
        # common.js defines t() and calls it as t(...) inside itself.
        calls = [m.end() for m in re.finditer(r"(?<![\w.])t\(", source)]
    else:
        calls = [m.end() for m in _T_CALL.finditer(source)]
    ids: set[str] = set()
    for start in calls:
        argument = _first_argument(source, start)
        if name == "common.js" and argument in ("id", "id, args"):
            continue  # the definition itself
        literals = _LITERAL.findall(argument)
        assert literals, f"{name}: t({argument}) takes its id from a variable"
        ids.update(literals)
    return ids


def _loaded_scripts(page: str) -> list[str]:
    source = (TEMPLATES / page).read_text() + (TEMPLATES / "base.html").read_text()
    return [s for s in re.findall(r"static\('([\w.]+\.js)'\)", source) if s != "theme.js"]


# --- the catalogue -----------------------------------------------------------------------


def test_every_message_is_well_formed() -> None:
    for section, messages in catalogue.CATALOGUE.items():
        for key, message in messages.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", key), (section, key)
            assert is_well_formed(message), (section, key, message)
    assert is_well_formed("Page {page} of {last}")
    assert not is_well_formed("{n:>3} images")
    assert not is_well_formed("a stray } brace")
    assert not is_well_formed({"other": "x", "one": "y"})


@pytest.mark.parametrize("page", PAGES)
def test_no_id_is_defined_twice_on_a_page(page: str) -> None:
    seen: dict[str, str] = {}
    for section in (*template_sections(page), *script_sections(page)):
        for key in catalogue.CATALOGUE[section]:
            assert key not in seen, f"{page}: {key} in both {seen[key]} and {section}"
            seen[key] = section


@pytest.mark.parametrize("page", PAGES)
def test_every_id_a_page_uses_is_in_its_catalogue(page: str) -> None:
    strings = strings_for(page)
    ids, prefixes = _page_template_ids(page)
    for key in ids:
        strings(key, **{"n": 1, **{name: 1 for name in placeholders(_message(page, key))}})
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in _all_ids(page)), (page, prefix)
    shipped = strings.for_scripts()
    for script in _loaded_scripts(page):
        used = _script_ids(script)
        if not used:
            continue  # a script without words (blurhash.js, codes.js) needs no section
        assert script in script_sections(page), f"{page} loads {script} but not its strings"
        for key in used:
            assert key in shipped, f"{script} on {page} uses {key}, which the page does not ship"


HTTP = WEB.parent


def _message_ids() -> set[str]:
    """The ids the routes hand the message page through strings.message("id")."""
    ids: set[str] = set()
    for path in HTTP.rglob("*.py"):
        ids.update(re.findall(r'\bmessage\(\s*"(\w+)"', path.read_text()))
    return ids


def test_every_message_id_the_routes_use_exists() -> None:
    ids = _message_ids()
    assert len(ids) >= 10  # the scan finds the routes' calls
    for key in ids:
        assert key in catalogue.CATALOGUE["message"], key


def test_every_catalogue_entry_is_used() -> None:
    used: dict[str, set[str]] = {"message": _message_ids()}  # section -> ids in use
    for page in PAGES:
        ids, prefixes = _page_template_ids(page)
        for script in _loaded_scripts(page):
            ids |= _script_ids(script)
        for section in (*template_sections(page), *script_sections(page)):
            for key in catalogue.CATALOGUE[section]:
                if key in ids or any(key.startswith(p) for p in prefixes):
                    used.setdefault(section, set()).add(key)
    unused = [
        (section, key)
        for section, messages in catalogue.CATALOGUE.items()
        for key in messages
        if key not in used.get(section, set())
    ]
    assert not unused
    every_section = {s for p in PAGES for s in (*template_sections(p), *script_sections(p))}
    assert every_section == set(catalogue.CATALOGUE)


def test_every_script_has_its_section() -> None:
    for script in SCRIPTS:
        if _script_ids(script):
            assert script in catalogue.CATALOGUE, script


def _all_ids(page: str) -> set[str]:
    return {
        key
        for section in (*template_sections(page), *script_sections(page))
        for key in catalogue.CATALOGUE[section]
    }


def _message(page: str, key: str) -> catalogue.Message:
    for section in (*template_sections(page), *script_sections(page)):
        if key in catalogue.CATALOGUE[section]:
            return catalogue.CATALOGUE[section][key]
    raise MissingString(key)


# --- the mechanism -----------------------------------------------------------------------


def test_plurals_placeholders_and_escaping() -> None:
    strings = Strings(
        {
            "count": {"one": "{n} image", "other": "{n} images"},
            "hello": "Hello {name}",
            "bold_html": "<strong>{name}</strong> is {what}",
        },
        {},
    )
    assert strings("count", n=1) == "1 image"
    assert strings("count", n=0) == "0 images"
    assert strings("count", n=21) == "21 images"
    assert strings("hello", name="<b>") == "Hello <b>"  # plain text: autoescaped on output
    bold = strings("bold_html", name="<script>", what="here")
    assert isinstance(bold, markupsafe.Markup)
    assert bold == "<strong>&lt;script&gt;</strong> is here"
    assert fill("{unknown} stays", {}) == "{unknown} stays"
    with pytest.raises(MissingString):
        strings("nope")


def test_a_template_asking_for_a_missing_id_fails_loudly() -> None:
    template = _env.from_string("{{ t.nope }}")
    with pytest.raises(MissingString):
        template.render(t=strings_for("login.html"))


def test_the_json_block_cannot_close_its_script() -> None:
    strings = Strings({}, {"evil": "</script><script>alert(1)</script>", "amp": "a & b"})
    template = _env.from_string(
        '<script type="application/json" id="ui-strings">{{ ui_strings|tojson }}</script>'
    )
    out = template.render(ui_strings=strings.for_scripts())
    body = out.removeprefix('<script type="application/json" id="ui-strings">')
    body = body.removesuffix("</script>")
    assert "<" not in body and ">" not in body and "&" not in body
    assert json.loads(body) == {"evil": "</script><script>alert(1)</script>", "amp": "a & b"}


def test_the_markup_messages_stay_on_the_server() -> None:
    for page in PAGES:
        assert not any(k.endswith("_html") for k in strings_for(page).for_scripts()), page


# --- no literal user-visible strings outside the catalogue -------------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TEXT_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "label", "value"}
# Text that is not words to translate: symbols and separators, and names that are the same
# in every language (file formats, the product's own terms).
_NOT_WORDS = re.compile(r"^[\W\d_]*$")
_ATTRIBUTE_TEXT = re.compile(r'[\w-]+="[^"]*"')


class _TextFinder(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("input", "img", "meta", "link", "source", "br"):
            self._open.append(tag)
        for name, value in attrs:
            if name in _TEXT_ATTRIBUTES and value and not _NOT_WORDS.match(value):
                if name == "value" and dict(attrs).get("type") not in ("submit", "button"):
                    continue  # a form value is data, not text
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        # A Jinja block inside a tag (`<li{% if x %} hidden{% endif %}>`, a macro writing
        # attributes) leaves attribute text between blanks: that is markup, not words.
        text = _ATTRIBUTE_TEXT.sub("", data).strip()
        if text and not _NOT_WORDS.match(text):
            self.found.append(text)


def template_literals(source: str) -> list[str]:
    """The words a template shows that do not come from `{{ }}`: each Jinja construct is
    blanked out (so its own strings, such as t's ids, never count) and the rest is read as
    HTML: text nodes, and the attributes people read (alt, title, placeholder, aria-label)."""
    blank = _JINJA.sub(lambda m: " " * len(m.group()), source)
    finder = _TextFinder()
    finder.feed(blank)
    finder.close()
    return finder.found


# pre/code hold commands and header names, never prose.
_CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_show_no_literal_words(name: str) -> None:
    source = _CODE.sub("", (TEMPLATES / name).read_text())
    assert template_literals(source) == []


def test_the_template_check_is_real() -> None:
    assert template_literals("<p>Hello there</p>") == ["Hello there"]
    assert template_literals("<p>{{ t.x }} and more</p>") == ["and more"]
    assert template_literals('<img alt="A cat">') == ['alt="A cat"']
    assert template_literals('<button aria-label="Close">×</button>') == [  # noqa: RUF001
        'aria-label="Close"'
    ]
    assert template_literals('<input type="submit" value="Send">') == ['value="Send"']
    assert template_literals("<p>{{ t.x }} · {{ n }}</p><i>→</i>") == []
    assert template_literals('<input name="q" value="abc">') == []


# A JS string literal that people read: one given as text (textContent, createTextNode, the
# `text:` of I.el, a text child, I.show, a flash, a confirm/alert), or as an attribute people
# read (aria-label, title, placeholder, alt).
_JS_TEXT_SINKS = [
    re.compile(r'\.textContent\s*=\s*(?:[^;]*?\?\s*)?"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'\.textContent\s*=[^;]*?:\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'createTextNode\(\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'\btext:\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'"(?:aria-label|title|placeholder|alt)"\s*[:,]\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'\b(?:ariaLabel|title|placeholder|alt)\s*[:=]\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(r'\bI\.show\(\s*[\w.]+\s*,\s*"([^"]*[A-Za-z][^"]*)"'),
    re.compile(
        r'\b(?:alert|confirm|flash|armedButton)\(\s*(?:[\w.]+\s*,\s*)?"([^"]*[A-Za-z][^"]*)"'
    ),
    # (a FormData field name such as append("files", ...) is lowercase, one word: not text)
    re.compile(r'(?:replaceChildren|append|prepend)\(\s*"((?=[^"]*[A-Za-z])[^"]*[A-Z\s][^"]*)"'),
    re.compile(r'\[\s*"([^"]*[A-Za-z][^"]*[ .:!?][^"]*)"\s*,\s*[\w.(]'),  # el(..., ["Text ", node])
    re.compile(r'\[\s*[\w.]+(?:\([^()]*\))?\s*,\s*"([^"]*[A-Za-z][^"]*)"\s*\]'),  # [node, "Text"]
]


# Unit symbols (MB, GB) read the same to everyone here; see docs/decisions.md, "UI strings".
_SYMBOL = re.compile(r"^[A-Z]{1,3}$")
_PROSE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")


def _without_ids(source: str) -> str:
    """The source with each t(...) call's first argument (its ids) blanked out."""
    out = []
    at = 0
    for m in re.finditer(r"(?<![\w.])(?:I\.|Imgtree\.)?t\(", source):
        if m.start() < at:
            continue
        argument = _first_argument(source, m.end())
        out.append(source[at : m.end()] + " " * len(argument))
        at = m.end() + len(argument)
    return "".join(out) + source[at:]


def script_literals(source: str) -> list[str]:
    source = re.sub(r"^\s*//.*$", "", source, flags=re.M)
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # block comments
    source = re.sub(r"(?<=[=(,:!&|?]\s)/(?:[^/\\\n]|\\.)+/[a-z]*", "/re/", source)  # regexes
    source = _without_ids(source)
    found: list[str] = []
    for sink in _JS_TEXT_SINKS:
        found.extend(m.group(1) for m in sink.finditer(source) if not _SYMBOL.match(m.group(1)))
    # Any other literal of two or more words is prose too, wherever it goes (a fallback, an
    # Error's message), unless it is a list of CSS classes or the strict-mode directive.
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', source):
        text = m.group(1)
        if not _PROSE.search(text) or text == "use strict" or text in found:
            continue
        if re.search(r"(?:className|class)\s*:\s*$", source[max(0, m.start() - 20) : m.start()]):
            continue
        found.append(text)
    return found


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_show_no_literal_words(name: str) -> None:
    assert script_literals((STATIC / name).read_text()) == []


def test_the_script_check_is_real() -> None:
    assert script_literals('node.textContent = "Saved.";') == ["Saved."]
    assert script_literals('b.textContent = done ? I.t("a") : "Copy";') == ["Copy"]
    assert script_literals('el("button", { type: "button", text: "Move" })') == ["Move"]
    assert script_literals('el("input", { "aria-label": "Select all" })') == ["Select all"]
    assert script_literals('I.show(status, "Deleted.")') == ["Deleted."]
    assert script_literals('document.createTextNode("Hi")') == ["Hi"]
    assert script_literals('el("label", {}, [tick, "Select"])') == ["Select"]
    assert script_literals('el("label", {}, ["Album ", select])') == ["Album "]
    assert script_literals('summary.replaceChildren("No images yet. ", link)') == [
        "No images yet. "
    ]
    assert script_literals('el("button", { text: I.t("move") })') == []
    assert script_literals('x.textContent = I.t(a ? "one_id" : "other_id", { n: 1 });') == []
    assert script_literals('x.setAttribute("data-x", "y"); var a = "image/png";') == []
    assert script_literals('el("option", { value: "MB", text: "MB" })') == []
    assert script_literals('var kind = given || "an image";') == ["an image"]
    assert script_literals('throw new Error("Bad quota value");') == ["Bad quota value"]
    assert script_literals('el("p", { className: "small muted" })') == []
    assert script_literals('x.catch(function () { /* keeps "No album" */ });') == []
    assert script_literals('var m = /name="?([^";]+)"?/i.exec(h); f("one two");') == ["one two"]
