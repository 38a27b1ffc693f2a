"""Many files to one server: small ones in multipart batches within the server's limits,
large ones through presign -> PUT -> complete, results in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from imgtree.client.client import Client
from imgtree.client.errors import ApiError, AuthError
from imgtree.client.types import Capabilities, UploadFailure, UploadResult, UploadSource

MIB = 1024 * 1024
# As the web uploader: files above 8 MiB go presign -> PUT (straight to the bucket on S3, past
# any proxy body limit); at most 24 MiB of files in one multipart request.
PRESIGN_ABOVE = 8 * MIB
BATCH_BYTES = 24 * MIB


@dataclass(frozen=True)
class FileOutcome:
    index: int
    source: UploadSource
    result: UploadResult


class UploadEvents:
    """What a progress display hears; every method does nothing by default."""

    def file_started(self, index: int, source: UploadSource) -> None:
        """The file's bytes start going out."""

    def file_progress(self, index: int, sent: int) -> None:
        """`sent` bytes of the file have gone out (across retries it may start again)."""

    def file_done(self, outcome: FileOutcome) -> None:
        """The file is uploaded, or failed."""


@dataclass(frozen=True)
class Job:
    indexes: tuple[int, ...]
    presign: bool  # one large file through presign -> PUT -> complete


def plan(
    sources: Sequence[UploadSource],
    *,
    batch_limit: int,
    batch_bytes: int = BATCH_BYTES,
    presign_above: int = PRESIGN_ABOVE,
) -> list[Job]:
    """Jobs in input order: runs of small files, at most `batch_limit` files and
    `batch_bytes` bytes each (always at least one file), and one job per large file."""
    jobs: list[Job] = []
    batch: list[int] = []
    size = 0
    for index, source in enumerate(sources):
        if source.size > presign_above:
            if batch:
                jobs.append(Job(tuple(batch), False))
                batch, size = [], 0
            jobs.append(Job((index,), True))
            continue
        if batch and (len(batch) >= batch_limit or size + source.size > batch_bytes):
            jobs.append(Job(tuple(batch), False))
            batch, size = [], 0
        batch.append(index)
        size += source.size
    if batch:
        jobs.append(Job(tuple(batch), False))
    return jobs


class BulkUpload:
    """Upload `sources` with `client`; `run()` yields one FileOutcome per file in input
    order. AuthError and ServerUnreachable end the run (every later file would meet them
    too); any other refusal is that file's (or that batch's) failure."""

    def __init__(
        self,
        client: Client,
        capabilities: Capabilities,
        *,
        album_id: str | None = None,
        visibility: str | None = None,
        presign_above: int = PRESIGN_ABOVE,
        batch_bytes: int = BATCH_BYTES,
        events: UploadEvents | None = None,
    ) -> None:
        self.client = client
        self.capabilities = capabilities
        self.album_id = album_id
        self.visibility = visibility
        self.presign_above = presign_above
        self.batch_bytes = batch_bytes
        self.events = events or UploadEvents()

    def run(self, sources: Sequence[UploadSource]) -> Iterator[FileOutcome]:
        limit = self.capabilities.max_file_size_bytes
        for job in plan(
            sources,
            batch_limit=self.capabilities.batch_limit,
            batch_bytes=self.batch_bytes,
            presign_above=self.presign_above,
        ):
            results: dict[int, UploadResult] = {}
            sendable = []
            for index in job.indexes:
                if sources[index].size > limit:
                    # Refused here, as the server would refuse it, without sending the bytes.
                    results[index] = UploadFailure(
                        f"File exceeds the maximum size of {limit} bytes",
                        413,
                        sources[index].filename,
                    )
                else:
                    sendable.append(index)
            if sendable:
                sent = (
                    self._large(sources, sendable[0])
                    if job.presign
                    else self._batch(sources, sendable)
                )
                results.update(sent)
            for index in job.indexes:
                outcome = FileOutcome(index, sources[index], results[index])
                self.events.file_done(outcome)
                yield outcome

    def _batch(
        self, sources: Sequence[UploadSource], indexes: list[int]
    ) -> dict[int, UploadResult]:
        results: dict[int, UploadResult] = {}
        pending = indexes
        retry = self.client.retry
        for attempt in range(1, retry.attempts + 1):
            for index in pending:
                self.events.file_started(index, sources[index])
            try:
                answers = self.client.upload(
                    [sources[i] for i in pending],
                    album_id=self.album_id,
                    visibility=self.visibility,
                    progress=self._progress_of(pending),
                )
            except AuthError:
                raise
            except ApiError as exc:
                # The whole request was refused (its retries already spent): each file fails.
                for i in pending:
                    results[i] = UploadFailure(exc.message, exc.status, sources[i].filename)
                return results
            # Files the server could not take now (its decoders busy) while it took others go
            # again; a request where every file failed so was already retried as a whole.
            busy = [
                i
                for i, answer in zip(pending, answers, strict=True)
                if isinstance(answer, UploadFailure) and answer.status in (429, 503)
            ]
            later = busy if len(busy) < len(pending) else []
            results.update(zip(pending, answers, strict=True))
            if not later or attempt == retry.attempts:
                break
            self.client.pause("503", retry.default_wait, attempt, self.client.server)
            pending = later
        return results

    def _progress_of(self, indexes: list[int]) -> Callable[[int, int], None]:
        """Progress of the n-th file of a request, told as the file's own index."""

        def progress(position: int, sent: int) -> None:
            self.events.file_progress(indexes[position], sent)

        return progress

    def _large(self, sources: Sequence[UploadSource], index: int) -> dict[int, UploadResult]:
        source = sources[index]
        self.events.file_started(index, source)
        try:
            result = self.client.upload_large(
                source,
                album_id=self.album_id,
                visibility=self.visibility,
                progress=lambda sent: self.events.file_progress(index, sent),
            )
        except AuthError:
            raise
        except ApiError as exc:
            result = UploadFailure(exc.message, exc.status, source.filename)
        return {index: result}
