"""Where the client finds its server and key: flags, then IMGTREE_SERVER / IMGTREE_KEY,
then the config file `imgtree login` writes ($XDG_CONFIG_HOME/imgtree/config.toml, else
~/.config/imgtree/config.toml; mode 0600)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SERVER_ENV = "IMGTREE_SERVER"
KEY_ENV = "IMGTREE_KEY"


class ConfigError(Exception):
    """The config file exists but cannot be read as imgtree's."""


@dataclass(frozen=True)
class ClientConfig:
    server: str | None = None
    key: str | None = None
    # Where each value came from ("flag", "env", "config"), for messages; never the value.
    server_from: str | None = None
    key_from: str | None = None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "imgtree" / "config.toml"


def load_config(path: Path) -> ClientConfig:
    """The file's server and key; an empty config when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ClientConfig()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    server, key = data.get("server"), data.get("key")
    if not isinstance(server, str | None) or not isinstance(key, str | None):
        raise ConfigError(f"{path}: server and key must be strings")
    return ClientConfig(server or None, key or None, "config", "config")


def save_config(path: Path, server: str, key: str) -> None:
    """Write the file readable by its owner alone (0600, its folder 0700), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # json.dumps of a str is a valid TOML basic string (same escapes, \\uXXXX included).
    text = (
        "# Written by `imgtree login`. The key is a secret: keep this file private.\n"
        f"server = {json.dumps(server)}\n"
        f"key = {json.dumps(key)}\n"
    )
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def resolve(
    server: str | None,
    key: str | None,
    *,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> ClientConfig:
    """Each of server and key from the first place that has it: the flag, the environment,
    the config file. The file is read only when a value is still missing."""
    env = os.environ if env is None else env
    found = ClientConfig(
        server or env.get(SERVER_ENV) or None,
        key or env.get(KEY_ENV) or None,
        "flag" if server else "env" if env.get(SERVER_ENV) else None,
        "flag" if key else "env" if env.get(KEY_ENV) else None,
    )
    if found.server and found.key:
        return found
    stored = load_config(path or config_path(env))
    return ClientConfig(
        found.server or stored.server,
        found.key or stored.key,
        found.server_from or (stored.server_from if stored.server else None),
        found.key_from or (stored.key_from if stored.key else None),
    )
