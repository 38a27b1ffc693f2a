"""Blobs as files under one root directory, written atomically and durably.

A put streams into a temp file in the target directory, fsyncs it, renames it over the key
(`os.replace` is atomic on POSIX) and fsyncs the directory, so a reader or a crash sees the
old blob or the whole new one, never a torn write.

The etag is derived from `os.stat` (size, mtime in ns, inode), hashed: every put creates a
new inode through the rename, so the etag changes whenever the bytes may have, and `stat`
never reads the file. It is stable for as long as the file is untouched.

`staging(prefix)` gives a temp file in the directory the blob will live in; when that file is
then `put`, it is fsynced and renamed into place instead of copied (the upload pipeline has
the image processor write the published file straight into it: its bytes are written once).

The content type is not stored: it follows from the key's extension. imgtree makes every key
itself (`images/<uuid>.jpg`), so the extension always names the type; a put whose declared
type disagrees with its key is refused rather than silently served with the wrong type.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat as stat_mod
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from imgtree.adapters.streams import iter_chunks
from imgtree.domain.errors import StorageUnavailable
from imgtree.domain.ports import BlobInfo

DEFAULT_CONTENT_TYPE = "application/octet-stream"
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "avif": "image/avif",
}
_TEMP_SUFFIX = ".tmp"
_CHUNK = 1 << 20


class StagedFile(io.BufferedRandom):
    """A staging temp file of one LocalBlobStorage: removed on close unless it was put."""

    def __init__(self, path: str, root: str) -> None:
        super().__init__(io.FileIO(path, "r+"))
        self.staged_path: str | None = path
        self.root = root

    def close(self) -> None:
        if self.closed:
            return
        if self.staged_path is None:
            super().close()  # put: it is the blob, already flushed and fsynced
            return
        with contextlib.suppress(OSError):
            os.unlink(self.staged_path)
        self.staged_path = None
        # Discarded: bytes a full disk refused may still sit in the buffer; the descriptor
        # is closed even when flushing them fails, and that failure is no longer anyone's.
        with contextlib.suppress(OSError):
            super().close()


def content_type_for(key: str) -> str:
    """The MIME type a key's extension names (application/octet-stream when unknown)."""
    name = key.rsplit("/", 1)[-1]
    _, dot, ext = name.rpartition(".")
    return CONTENT_TYPES.get(ext.lower(), DEFAULT_CONTENT_TYPE) if dot else DEFAULT_CONTENT_TYPE


def _check_segments(key: str) -> list[str]:
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    segments = key.split("/")
    # Empty segments ("a//b", "a/") and dot-names (".", temp files) are never imgtree keys.
    if any(not s or s.startswith(".") for s in segments):
        raise ValueError(f"invalid storage key {key!r}")
    return segments


class LocalBlobStorage:
    """`BlobStorage` on the local filesystem. Safe for many threads and processes."""

    def __init__(self, root: str | os.PathLike[str], *, file_mode: int = 0o644) -> None:
        Path(root).mkdir(parents=True, exist_ok=True)
        self.root = Path(root).resolve()
        self._root_str = str(self.root)
        self._root_prefix = os.path.join(self._root_str, "")
        # mkstemp creates 0600 files; blobs are public and may be served by another process.
        self._file_mode = file_mode

    # --- the port ---------------------------------------------------------------------------

    def put(self, key: str, source: BinaryIO, content_type: str) -> BlobInfo:
        if not isinstance(key, str):
            raise ValueError(f"invalid storage key {key!r}")
        segments = _check_segments(key)
        expected = content_type_for(key)
        if content_type.lower() != expected:
            raise ValueError(f"content type {content_type!r} does not match key {key!r}")
        if isinstance(source, StagedFile) and source.root == self._root_str:
            return self._put_staged(key, segments, source)
        with _unavailable():
            parent = self._parent_dir(key, segments)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{segments[-1]}.", suffix=_TEMP_SUFFIX, dir=parent
            )
        try:
            with os.fdopen(fd, "wb") as out:
                with _unavailable():
                    os.fchmod(out.fileno(), self._file_mode)
                # Errors reading the caller's stream propagate unchanged: they are not ours.
                for chunk in iter_chunks(source, _CHUNK):
                    with _unavailable():
                        out.write(chunk)
                with _unavailable():
                    out.flush()
                    os.fsync(out.fileno())
                    # The rename keeps the inode and times: this is the stored blob's stat.
                    st = os.fstat(out.fileno())
            with _unavailable():
                os.replace(tmp_name, os.path.join(parent, segments[-1]))
        except BaseException:
            # Never leave a half-written temp file behind, whatever went wrong.
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(parent)
        return self._info(key, st)

    def staging(self, prefix: str) -> BinaryIO:
        """A temp file beside where keys starting with `prefix` live (same directory, so the
        put is a rename); swept like a put's temp file if its process dies."""
        segments = _check_segments(prefix.rstrip("/") + "/x") if prefix else ["x"]
        with _unavailable():
            parent = self._parent_dir(prefix + "x", segments)
            fd, name = tempfile.mkstemp(prefix=".staged.", suffix=_TEMP_SUFFIX, dir=parent)
            os.close(fd)
            try:
                return StagedFile(name, self._root_str)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(name)
                raise

    def _put_staged(self, key: str, segments: list[str], staged: StagedFile) -> BlobInfo:
        """The staged file becomes the blob: fsynced, then renamed over the key (no copy)."""
        if staged.closed or staged.staged_path is None:
            raise ValueError("this staged file was already put or discarded")
        with _unavailable():
            parent = self._parent_dir(key, segments)
            staged.flush()
            fd = staged.fileno()
            os.fchmod(fd, self._file_mode)
            os.fsync(fd)
            st = os.fstat(fd)
            os.replace(staged.staged_path, os.path.join(parent, segments[-1]))
        source_dir = os.path.dirname(staged.staged_path)
        staged.staged_path = None  # it is the blob now: closing it must not remove it
        _fsync_dir(parent)
        if source_dir != parent:
            _fsync_dir(source_dir)
        return self._info(key, st)

    def open(self, key: str) -> BinaryIO:
        # The media hot path: open first, then check where the opened file really is (one
        # readlink of /proc/self/fd instead of resolving every segment, and no window between
        # the check and the open). Without /proc, or on a miss, `_path` checks as before.
        if not isinstance(key, str):
            raise ValueError(f"invalid storage key {key!r}")
        name = os.path.join(self._root_str, *_check_segments(key))
        try:
            stream = io.open(name, "rb")  # noqa: SIM115, UP020  # returned open
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self._path(key)  # a key leading out of root is refused, found or not
            raise KeyError(key) from None
        except OSError as exc:
            raise StorageUnavailable("Blob storage is unavailable") from exc
        try:
            real = os.readlink(f"/proc/self/fd/{stream.fileno()}")
        except OSError:
            real = None
        try:
            if real is None:
                self._path(key)
            elif not real.startswith(self._root_prefix):
                raise ValueError(f"invalid storage key {key!r}")
        except BaseException:
            stream.close()
            raise
        return stream

    def stat(self, key: str) -> BlobInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageUnavailable("Blob storage is unavailable") from exc
        if not stat_mod.S_ISREG(st.st_mode):
            return None
        return self._info(key, st)

    @staticmethod
    def _info(key: str, st: os.stat_result) -> BlobInfo:
        return BlobInfo(
            key=key,
            size=st.st_size,
            content_type=content_type_for(key),
            etag=_etag(st),
            modified_at=datetime.fromtimestamp(st.st_mtime_ns / 1e9, UTC),
        )

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        except OSError as exc:
            raise StorageUnavailable("Blob storage is unavailable") from exc

    # --- local extras -----------------------------------------------------------------------

    def path_for(self, key: str) -> Path | None:
        """The file holding `key` if it exists (for a web server's sendfile), else None.

        On the media hot path with IMGTREE_MEDIA_OFFLOAD, so checked like `open`: the file is
        opened as a bare path (O_PATH: no read, no permission needed) and where it really is
        read back from /proc (4 system calls, where resolving every segment costs ~25 µs)."""
        if not isinstance(key, str):
            raise ValueError(f"invalid storage key {key!r}")
        name = os.path.join(self._root_str, *_check_segments(key))
        o_path = getattr(os, "O_PATH", 0)
        if not o_path:
            return self._checked_file(key)
        try:
            fd = os.open(name, o_path | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            self._path(key)  # a key leading out of root is refused, found or not
            return None
        except OSError as exc:
            raise StorageUnavailable("Blob storage is unavailable") from exc
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
            regular = stat_mod.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            return self._checked_file(key)  # no /proc: resolve every segment instead
        finally:
            os.close(fd)
        if not real.startswith(self._root_prefix):
            raise ValueError(f"invalid storage key {key!r}")
        return Path(name) if regular else None

    def _checked_file(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (in-flight temp files excluded)."""
        directory, _, _ = prefix.rpartition("/")
        start = self._path(directory) if directory else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    yield key

    def sweep_leftovers(self, before: datetime) -> int:
        """Remove temp files of puts that never finished (their process was killed mid-write:
        a put that fails any other way removes its own) last modified before `before`.

        A put still in flight keeps writing to its temp file, so keeps it recent; one stalled
        past the grace period loses it and fails cleanly at the rename (StorageUnavailable).
        """
        cutoff = before.timestamp()
        removed = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not (name.startswith(".") and name.endswith(_TEMP_SUFFIX)):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    if os.lstat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
                except OSError:
                    continue  # gone already (renamed by its writer), or not ours to remove
        return removed

    # --- internals --------------------------------------------------------------------------

    def presign_put(self, key: str, content_type: str, size: int, expires_in: int) -> str | None:
        return None  # a filesystem has no URLs: the app's own signed PUT route streams to `put`

    def public_url(self, key: str) -> str | None:
        return None  # served by the app (or by a web server pointed at the media directory)

    @property
    def serves_publicly(self) -> bool:
        return False

    def _path(self, key: str) -> Path:
        """The path for `key`, refusing any key that could name something outside root."""
        if not isinstance(key, str):
            raise ValueError(f"invalid storage key {key!r}")
        path = self.root.joinpath(*_check_segments(key))
        # Resolve symlinks too: a link inside root must not lead out of it.
        resolved = path.resolve()
        if resolved == self.root or not resolved.is_relative_to(self.root):
            raise ValueError(f"invalid storage key {key!r}")
        return path

    def _parent_dir(self, key: str, segments: list[str]) -> str:
        """The directory a put writes into, made when missing (mkdir -p, fsyncing each new
        directory's parent so the entry survives a crash).

        Checked a component at a time below the (resolved) root: each must be a real
        directory, so no symlink can lead a write out of root. One `lstat` for imgtree's
        keys (`images/<uuid>.jpg`) instead of resolving the whole path on every put.
        """
        current = self._root_str
        for segment in segments[:-1]:
            current = os.path.join(current, segment)
            try:
                st = os.lstat(current)
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):  # another writer won the race
                    os.mkdir(current)
                _fsync_dir(Path(current).parent)
                st = os.lstat(current)
            if not stat_mod.S_ISDIR(st.st_mode):  # a symlink or a file where a directory goes
                raise ValueError(f"invalid storage key {key!r}")
        return current


@contextlib.contextmanager
def _unavailable() -> Iterator[None]:
    """Map a failure of our own file operations to the domain's retryable error."""
    try:
        yield
    except OSError as exc:
        raise StorageUnavailable("Blob storage is unavailable") from exc


def _etag(st: os.stat_result) -> str:
    raw = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _fsync_dir(directory: str | Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:  # e.g. platforms that cannot open directories: best effort
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename itself is done
    finally:
        os.close(fd)
