"""Every user-visible string of the web app, one section per page, so a translator edits one
module (or, later, one copy of it per language) and never a template or a script.

A message is English text with `{name}` placeholders, or a plural: {"one": ..., "other": ...}
chosen by the `n` argument. Ids ending in `_html` carry trusted markup of our own (a <strong>,
a link): they render as Markup with every argument escaped, and never reach the scripts.

Templates read their page's messages as `t`: `{{ t.sign_in }}` or `{{ t('pages', n=3) }}`.
Each page also carries them as JSON (`<script type="application/json" id="ui-strings">`),
which its scripts read through `Imgtree.t("id", {n: 3})` (static/common.js).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

import markupsafe

from imgtree.entrypoints.http.web.catalogue import CATALOGUE, SCRIPTS, SECTIONS, Message

PLURAL_FORMS = ("one", "other")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class MissingString(Exception):
    """A template asked for an id its page's catalogue lacks (a bug: tests catch it first).
    Not an AttributeError/LookupError, which Jinja would quietly render as nothing."""


def plural_form(n: int) -> str:
    """English: 1 is "one", anything else "other". Another language brings its own rule
    (CLDR's plural rules) here and in Imgtree.t."""
    return "one" if n == 1 else "other"


def placeholders(message: Message) -> set[str]:
    texts = [message] if isinstance(message, str) else list(message.values())
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}


def fill(message: Message, args: Mapping[str, Any]) -> str:
    """The message with its plural form picked by `n` and its `{name}`s replaced (unknown
    names stay as they are, as in Imgtree.t)."""
    if not isinstance(message, str):
        message = message[plural_form(int(args["n"]))]
    return _PLACEHOLDER.sub(lambda m: str(args[m[1]]) if m[1] in args else m[0], message)


class Strings:
    """One page's messages, as templates see them (`t`): `t.id` (render.py's environment
    looks attributes of a Strings up as ids) or `t("id", name=value)`."""

    def __init__(self, messages: Mapping[str, Message], scripts: Mapping[str, Message]) -> None:
        self._messages = {**messages, **scripts}
        self._scripts = scripts

    def __call__(self, key: str, /, **args: Any) -> str | markupsafe.Markup:
        try:
            message = self._messages[key]
        except KeyError:
            raise MissingString(key) from None
        if key.endswith("_html"):
            escaped = {name: markupsafe.escape(value) for name, value in args.items()}
            # The text is our own catalogue's and every argument is escaped above.
            return markupsafe.Markup(fill(message, escaped))  # noqa: S704
        return fill(message, args)

    def for_scripts(self) -> Mapping[str, Message]:
        """What the page's scripts read (the sections of the scripts it loads)."""
        return self._scripts


def merged(sections: tuple[str, ...]) -> dict[str, Message]:
    """The sections' messages as one dict (an id is defined once in what a page sees, which
    tests check)."""
    messages: dict[str, Message] = {}
    for section in sections:
        messages.update(CATALOGUE[section])
    return messages


def template_sections(template: str) -> tuple[str, ...]:
    return SECTIONS.get(template, ("base",))


def script_sections(template: str) -> tuple[str, ...]:
    return ("common.js", *SCRIPTS.get(template, ()))


_cache: dict[str, Strings] = {}


def strings_for(template: str) -> Strings:
    """The Strings a template renders with (built once per template and process)."""
    if template not in _cache:
        scripts = merged(script_sections(template))
        _cache[template] = Strings(merged(template_sections(template)), scripts)
    return _cache[template]


def message(key: str, /, **args: Any) -> str:
    """A heading or sentence of the message page (templates/message.html), for the routes
    that render it: plain text, autoescaped where the page shows it."""
    return str(strings_for("message.html")(key, **args))


def is_well_formed(message: Message) -> bool:
    """Plain `{name}` placeholders only (no format specs, no stray braces), and a plural has
    exactly the forms English needs with the same placeholders in each."""
    texts = [message] if isinstance(message, str) else list(message.values())
    if not isinstance(message, str) and tuple(message) != PLURAL_FORMS:
        return False
    for text in texts:
        stripped = _PLACEHOLDER.sub("", text)
        if "{" in stripped or "}" in stripped:
            return False
        if any(field for _, field, spec, _ in string.Formatter().parse(text) if spec):
            return False
    return True
