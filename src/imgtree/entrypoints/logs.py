"""Logging: one JSON object per line (or plain text in development), every record of a
request carrying that request's id.

`configure_logging(format, level)` installs one stderr handler on the root logger (idempotent:
a second call replaces it). `bind_request_id` / `reset_request_id` set the id of the request a
thread is serving (a contextvar: gthread workers serve one request per thread); every record
logged meanwhile, by imgtree or a library, gets it as `request_id`.

Records carry structured fields in `extra={"fields": {...}}` (the request log line does);
the JSON formatter writes them as top-level keys, the text formatter as `key=value`.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("debug", "info", "warning", "error")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "imgtree_request_id", default=None
)
_HANDLER_NAME = "imgtree"


def bind_request_id(request_id: str) -> contextvars.Token[str | None]:
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record passing the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "pid", "request_id"?, ...fields, "exc"?}`, one line."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            doc["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                doc.setdefault(key, value)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc"] = record.exc_text
        return orjson.dumps(doc, default=str).decode()


class TextFormatter(logging.Formatter):
    """`ts level logger [request_id] msg key=value ...` for a developer's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        parts = [_timestamp(record), record.levelname.lower(), record.name]
        if request_id is not None:
            parts.append(f"[{request_id}]")
        parts.append(record.getMessage())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            parts.extend(f"{k}={v}" for k, v in fields.items() if v is not None)
        line = " ".join(parts)
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def formatter_for(log_format: str) -> logging.Formatter:
    return TextFormatter() if log_format == "text" else JsonFormatter()


def configure_logging(log_format: str = "json", level: str = "info") -> logging.Handler:
    """One stderr handler on the root logger in `log_format`, at `level`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # /readyz reads the schema's revision: alembic would say so at INFO every time.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler


def gunicorn_logconfig(log_format: str, level: str, *, requests: bool = True) -> dict[str, Any]:
    """The server's logging: the root logger (the app's records, one line per request on
    `imgtree.access` unless `requests` is off) and gunicorn's own (boot, workers, errors),
    all in `log_format` on stderr."""
    formatter = "imgtree_text" if log_format == "text" else "imgtree_json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "imgtree_json": {"()": JsonFormatter},
            "imgtree_text": {"()": TextFormatter},
        },
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {
            "imgtree_stderr": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {
                "level": level.upper(),
                "handlers": ["imgtree_stderr"],
                "propagate": False,
            },
            # Requests are logged by the app (one line each, entrypoints/http/observe.py).
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            "imgtree.access": {"level": level.upper() if requests else "WARNING"},
            # /readyz reads the schema's revision: alembic would say so at INFO every time.
            "alembic": {"level": "WARNING"},
        },
        "root": {"level": level.upper(), "handlers": ["imgtree_stderr"]},
    }
