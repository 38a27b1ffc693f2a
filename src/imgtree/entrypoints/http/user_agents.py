"""A short, human summary of a User-Agent header ("Firefox on Linux") for the sessions list.

Deliberately small: a handful of browsers and systems matched by substring, in an order that
handles the usual impersonations (Edge and Opera say "Chrome", Chrome says "Safari").
Anything else is "Unknown browser"; scripts name themselves ("curl", "python-requests").
"""

from __future__ import annotations

import re

# (token in the header, name shown), first match wins.
_BROWSERS: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
    ("FreeBSD", "FreeBSD"),
)
_TOOL = re.compile(r"^([A-Za-z][A-Za-z0-9._-]{0,30})/[0-9]")


def describe_device(user_agent: str) -> str:
    """ "Firefox on Linux", "Safari on iOS", "curl", or "Unknown browser"."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser is None and not user_agent.startswith("Mozilla/"):
        tool = _TOOL.match(user_agent)
        if tool:
            return tool.group(1)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return f"{browser or 'Unknown browser'}{f' on {system}' if system else ''}"
    return "Unknown browser"
