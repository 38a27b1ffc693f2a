"""`imgtree upload` and `imgtree login`: the command-line client of any imgtree server,
built on imgtree.client (HTTP only; it never opens this machine's database or storage)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from imgtree.client import (
    ApiError,
    AuthError,
    BulkUpload,
    Capabilities,
    Client,
    ConfigError,
    FileOutcome,
    RetryNotice,
    RetryPolicy,
    ServerUnreachable,
    UploadedImage,
    UploadEvents,
    UploadSource,
    config_path,
    resolve,
    save_config,
)
from imgtree.client.bulk import PRESIGN_ABOVE
from imgtree.client.types import IMAGE_EXTENSIONS, sniff_type

EXIT_OK = 0
EXIT_FAILED = 1  # one or more files were not uploaded (each is reported; the rest were)
EXIT_USAGE = 2  # bad arguments, a path that does not exist, no server or key configured
EXIT_AUTH = 3  # the key was refused (invalid, revoked, expired, no upload scope, inactive)
EXIT_UNREACHABLE = 4  # no connection to the server, or it is not an imgtree server
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a filter killed by it

EXIT_CODES_HELP = """\
exit status:
  0  every file was uploaded
  1  one or more files failed (each is reported on stderr; the others were uploaded)
  2  usage error: bad arguments, a missing path, no server or key configured
  3  authentication failed: the key is invalid, revoked or expired, may not upload,
     or the account is inactive (nothing more is sent)
  4  the server is unreachable (after retries) or is not an imgtree server
"""

FORMATS = ("links", "direct", "markdown", "bbcode", "html")


class UsageError(Exception):
    pass


# --- choosing files ------------------------------------------------------------------------


def _looks_like_image(path: Path) -> bool:
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with path.open("rb") as f:
            return sniff_type(f.read(32)) is not None
    except OSError:
        return False


def collect_files(arguments: Sequence[str]) -> list[Path]:
    """The files to upload, in a stable order: each argument in turn; a directory's image
    files (by extension, or by their first bytes) recursively in name order, hidden files
    and folders skipped. A file named on the command line is sent whatever it is (the
    server decides). The same file twice is sent once."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            found.append(path)

    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(root) / name
                    if (
                        not name.startswith(".")
                        and candidate.is_file()
                        and _looks_like_image(candidate)
                    ):
                        add(candidate)
        elif path.is_file():
            add(path)
        elif path.exists():
            raise UsageError(f"{argument}: not a file or directory")
        else:
            raise UsageError(f"{argument}: no such file or directory")
    return found


# --- output --------------------------------------------------------------------------------


def link_for(image: UploadedImage, fmt: str) -> str:
    if fmt == "links":
        return image.url
    if fmt == "direct":
        return image.direct_url
    fallback = {
        "markdown": f"![]({image.direct_url})",
        "bbcode": f"[img]{image.direct_url}[/img]",
        "html": f'<img src="{image.direct_url}" alt="" />',
    }
    return image.codes.get(fmt) or fallback[fmt]


def json_line(path: Path, outcome: FileOutcome | None, error: str | None = None) -> str:
    result = outcome.result if outcome is not None else None
    if isinstance(result, UploadedImage):
        item: dict[str, Any] = {
            "path": str(path),
            "ok": True,
            "id": result.id,
            "url": result.url,
            "direct_url": result.direct_url,
            "thumb_url": result.thumb_url,
            "delete_url": result.delete_url,
        }
    else:
        item = {
            "path": str(path),
            "ok": False,
            "error": error if result is None else result.error,
            "status": None if result is None else result.status,
        }
    return json.dumps(item, ensure_ascii=False)


class Display(UploadEvents):
    """Progress bars on stderr (one for the file being sent, one overall) when enabled,
    and every line the command prints, so bars and text never tear each other."""

    def __init__(self, sources: Sequence[UploadSource], *, progress: bool) -> None:
        self.sources = sources
        self.total = len(sources)
        self.done = 0
        self.sent: dict[int, int] = {}
        self.bars: dict[int, Any] = {}
        self.overall: Any = None
        if progress:
            from tqdm import tqdm

            self._tqdm = tqdm
            self.overall = tqdm(
                total=sum(s.size for s in sources),
                desc=f"0/{self.total} files",
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                position=0,
                dynamic_ncols=True,
            )

    def out(self, line: str) -> None:
        self._write(line, sys.stdout)

    def err(self, line: str) -> None:
        self._write(line, sys.stderr)

    def _write(self, line: str, stream: TextIO) -> None:
        if self.overall is not None:
            self._tqdm.write(line, file=stream)
            stream.flush()
        else:
            print(line, file=stream, flush=True)

    def _advance(self, index: int, sent: int) -> None:
        delta = sent - self.sent.get(index, 0)
        self.sent[index] = sent
        if self.overall is None or not delta:
            return
        self.overall.update(delta)
        bar = self.bars.get(index)
        if bar is None and 0 < sent < self.sources[index].size:
            # One bar for the file whose bytes are going out now (a batch sends its files
            # one after another); it goes when they are all out.
            bar = self.bars[index] = self._tqdm(
                total=self.sources[index].size,
                desc=self.sources[index].filename[-40:],
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                position=1,
                leave=False,
                dynamic_ncols=True,
            )
            bar.update(sent)
        elif bar is not None:
            bar.update(delta)
            if sent >= self.sources[index].size:
                self.bars.pop(index).close()

    def file_started(self, index: int, source: UploadSource) -> None:
        self._advance(index, 0)  # a retry sends the file again from its start

    def file_progress(self, index: int, sent: int) -> None:
        self._advance(index, sent)

    def file_done(self, outcome: FileOutcome) -> None:
        self._advance(outcome.index, outcome.source.size)
        bar = self.bars.pop(outcome.index, None)
        if bar is not None:
            bar.close()
        self.done += 1
        if self.overall is not None:
            self.overall.set_description(f"{self.done}/{self.total} files")

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        if self.overall is not None:
            self.overall.close()

    def retrying(self, notice: RetryNotice) -> None:
        why = {
            "429": "rate limited (429)",
            "503": "server busy (503)",
            "connection": "connection failed",
        }.get(notice.reason, notice.reason)
        told = "as Retry-After asks" if notice.reason in ("429", "503") else "backing off"
        self.err(
            f"imgtree: {why}: waiting {notice.seconds:g} s ({told}),"
            f" then attempt {notice.attempt} of {notice.attempts}"
        )


# --- credentials ---------------------------------------------------------------------------


def _read_key(value: str | None) -> str | None:
    """`--key -` reads the key from standard input (keeps it out of the process list)."""
    if value != "-":
        return value
    key = sys.stdin.readline().strip()
    if not key:
        raise UsageError("--key -: no key on standard input")
    return key


def _check_server(server: str, source: str | None = None) -> str:
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        where = {"env": "IMGTREE_SERVER: ", "config": f"{config_path()}: "}.get(source or "", "")
        raise UsageError(
            where + f"the server must be an http(s) URL, e.g. https://img.example.com: {server!r}"
        )
    return server.rstrip("/")


def _plain_http_warning(server: str) -> str | None:
    host = urlsplit(server).hostname or ""
    if server.startswith("http://") and host not in ("127.0.0.1", "::1", "localhost"):
        return f"imgtree: warning: {host} is plain http: the key crosses the network unencrypted"
    return None


def _client(server: str, key: str, display: Display, retries: int) -> Client:
    return Client(
        server,
        key,
        retry=RetryPolicy(attempts=retries + 1),
        on_retry=display.retrying,
    )


def _handle(run: Callable[[], int]) -> int:
    """The exit status of the failures every command shares."""
    try:
        return run()
    except UsageError as exc:
        print(f"imgtree: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"imgtree: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AuthError as exc:
        print(f"imgtree: authentication failed: {exc}", file=sys.stderr)
        return EXIT_AUTH
    except ServerUnreachable as exc:
        print(f"imgtree: server unreachable: {exc.message}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except ApiError as exc:
        print(f"imgtree: the server refused: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE if exc.status >= 500 else EXIT_FAILED
    except KeyboardInterrupt:
        print("imgtree: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`imgtree upload … | head -1`): stop like any
        # filter would, without a traceback, and without Python's own complaint at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _verified(client: Client) -> Capabilities:
    caps = client.verify()
    if caps.scopes is not None and "upload" not in caps.scopes:
        raise AuthError(
            403, f"this key may not upload (its scopes: {', '.join(caps.scopes) or 'none'})"
        )
    return caps


# --- commands ------------------------------------------------------------------------------


def cmd_upload(args: argparse.Namespace) -> int:
    return _handle(lambda: _upload(args))


def _upload(args: argparse.Namespace) -> int:
    fmt = args.format
    if args.retries < 0:
        raise UsageError("--retries must be 0 or more")
    if args.presign_above is not None and args.presign_above < 0:
        raise UsageError("--presign-above must be a number of bytes, 0 or more")
    if args.album is not None:
        try:
            uuid.UUID(args.album)
        except ValueError:
            raise UsageError(f"--album must be an album's id (a UUID): {args.album!r}") from None
    found = resolve(args.server, _read_key(args.key))
    if not found.server:
        raise UsageError("no server: give --server URL, set IMGTREE_SERVER, or run `imgtree login`")
    if not found.key:
        raise UsageError("no API key: give --key, set IMGTREE_KEY, or run `imgtree login`")
    server = _check_server(found.server, found.server_from)
    paths = collect_files(args.paths)
    if not paths:
        raise UsageError("no image files found in " + " ".join(args.paths))
    sources: list[UploadSource] = []
    for path in paths:
        try:
            sources.append(UploadSource.from_path(path))
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror or exc}") from None
    warning = _plain_http_warning(server)
    if warning:
        print(warning, file=sys.stderr)

    show = not args.no_progress and sys.stderr.isatty()
    display = Display(sources, progress=show)
    failed = 0
    emitted = 0
    try:
        with _client(server, found.key, display, args.retries) as client:
            caps = _verified(client)
            bulk = BulkUpload(
                client,
                caps,
                album_id=args.album,
                visibility="private" if args.private else None,
                presign_above=PRESIGN_ABOVE if args.presign_above is None else args.presign_above,
                events=display,
            )
            try:
                for outcome in bulk.run(sources):
                    emitted += 1
                    path = paths[outcome.index]
                    result = outcome.result
                    if args.json:
                        display.out(json_line(path, outcome))
                    if isinstance(result, UploadedImage):
                        if not args.json:
                            display.out(link_for(result, fmt))
                    else:
                        failed += 1
                        status = f" (HTTP {result.status})" if result.status else ""
                        display.err(f"imgtree: {path}: {result.error}{status}")
            except (AuthError, ServerUnreachable) as exc:
                # Every later file would meet the same: say so for each, then stop.
                reason = (
                    f"not uploaded: authentication failed: {exc}"
                    if isinstance(exc, AuthError)
                    else f"not uploaded: server unreachable: {exc.message}"
                )
                if args.json:
                    for path in paths[emitted:]:
                        display.out(json_line(path, None, reason))
                raise
    finally:
        display.close()
    return EXIT_FAILED if failed else EXIT_OK


def cmd_login(args: argparse.Namespace) -> int:
    return _handle(lambda: _login(args))


def _login(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    server = args.server or os.environ.get("IMGTREE_SERVER")
    source = "flag" if args.server else "env"
    if not server:
        if not interactive:
            raise UsageError("--server is required when standard input is not a terminal")
        server = input("Server URL (e.g. https://img.example.com): ").strip()
    server = _check_server(server, source)
    key = _read_key(args.key) or os.environ.get("IMGTREE_KEY")
    if not key:
        if not interactive:
            raise UsageError(
                "--key is required when standard input is not a terminal (--key - reads it from stdin)"
            )
        key = getpass.getpass("API key (Settings -> API keys; not echoed): ").strip()
    if not key:
        raise UsageError("no API key given")
    warning = _plain_http_warning(server)
    if warning:
        print(warning, file=sys.stderr)
    with Client(server, key) as client:
        caps = _verified(client)
    path = config_path()
    save_config(path, server, key)
    scopes = ", ".join(caps.scopes) if caps.scopes is not None else "unknown"
    print(f"logged in to {server} (key scopes: {scopes}); saved to {path}")
    return EXIT_OK


def add_client_commands(sub: Any) -> None:
    """Register `upload` and `login` on the `imgtree` parser's subcommands."""
    upload = sub.add_parser(
        "upload",
        help="upload image files or folders to an imgtree server; prints their links",
        description=(
            "Upload FILEs and the image files in DIRs (recursively, hidden ones skipped) to an"
            " imgtree server, and print one link per uploaded file, in the order given, on"
            " stdout. Small files go in multipart batches within the server's limits, files"
            " above --presign-above through presign -> PUT -> complete (straight to the"
            " bucket on S3). 429/503 answers are retried after the server's Retry-After."
            " The server and key come from --server/--key, else IMGTREE_SERVER/IMGTREE_KEY,"
            " else the file `imgtree login` writes."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument("paths", nargs="+", metavar="FILE|DIR")
    upload.add_argument("--album", metavar="ID", help="put the images in this album (its UUID)")
    upload.add_argument(
        "--private", action="store_true", help="only you can see them (default: unlisted)"
    )
    out = upload.add_mutually_exclusive_group()
    out.add_argument(
        "--format",
        choices=FORMATS,
        default="links",
        help="what to print per image: page links (default), direct links, Markdown, BBCode or HTML",
    )
    out.add_argument(
        "--markdown",
        dest="format",
        action="store_const",
        const="markdown",
        help="= --format markdown",
    )
    out.add_argument(
        "--bbcode", dest="format", action="store_const", const="bbcode", help="= --format bbcode"
    )
    out.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per file: path, ok, id, url, direct_url, thumb_url, delete_url"
        " (or error and status)",
    )
    upload.add_argument("--server", metavar="URL", help="the imgtree server (or IMGTREE_SERVER)")
    upload.add_argument(
        "--key", metavar="KEY", help="API key (or IMGTREE_KEY); '-' reads it from stdin"
    )
    upload.add_argument(
        "--presign-above",
        type=int,
        metavar="BYTES",
        help=f"send files larger than this through presign -> PUT -> complete (default {PRESIGN_ABOVE})",
    )
    upload.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="times to retry a request after 429/503 (waiting Retry-After, at most 120 s)"
        " or a failed connection (at most twice) (default 4)",
    )
    upload.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (shown only on a terminal anyway)",
    )
    upload.set_defaults(func=cmd_upload, needs_schema=False)

    login = sub.add_parser(
        "login",
        help="check an API key against a server and save both for `imgtree upload`",
        description=(
            "Verify the key against the server, then write them to"
            " $XDG_CONFIG_HOME/imgtree/config.toml (else ~/.config/imgtree/config.toml),"
            " readable by you alone (0600). Prompts for what is not given (the key without"
            " echo). The key is never printed."
        ),
        epilog=EXIT_CODES_HELP.replace("every file was uploaded", "the key works; saved").replace(
            "  1  one or more files failed (each is reported on stderr; the others were uploaded)\n",
            "",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    login.add_argument("--server", metavar="URL", help="the imgtree server (or IMGTREE_SERVER)")
    login.add_argument(
        "--key", metavar="KEY", help="API key (or IMGTREE_KEY); '-' reads it from stdin"
    )
    login.set_defaults(func=cmd_login, needs_schema=False)
