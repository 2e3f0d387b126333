"""WARC evidence: every response the crawler judged on is kept as a WARC record.

One gzip-per-record WARC file per crawl run (``YYYY/MM/DD/<site>-<run>.warc.gz``
under ``config.evidence_dir``). Database rows point to the *response* record with
``warc_file`` (relative to the evidence dir), ``warc_offset``, ``warc_length`` and
``warc_record_id``; ``read_record`` and ``read_payload`` give the bytes back.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import threading
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HeaderPairs = list[tuple[str, str]]

# Headers describing a transfer the body no longer has (the HTTP client undid the chunking).
_HOP_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class WarcPointer:
    """Where one record sits: the four columns rows store."""

    warc_file: str
    offset: int
    length: int
    record_id: str

    def as_columns(self) -> dict[str, object]:
        return {
            "warc_file": self.warc_file,
            "warc_offset": self.offset,
            "warc_length": self.length,
            "warc_record_id": self.record_id,
        }


def run_warc_path(site_id: str, run_id: int | str, day: dt.date) -> str:
    """Relative path of a run's WARC file: ``YYYY/MM/DD/<site>-<run>.warc.gz``."""
    return f"{day:%Y/%m/%d}/{site_id}-{run_id}.warc.gz"


def _http_block(status: int, headers: HeaderPairs, body: bytes) -> bytes:
    """The HTTP response as bytes: status line, headers, blank line, body."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in _HOP_HEADERS]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return head + body


class WarcStore:
    """Appends request/response record pairs to one WARC file (thread-safe, one per run)."""

    def __init__(self, evidence_dir: Path, relative_path: str) -> None:
        self.evidence_dir = Path(evidence_dir)
        self.relative_path = relative_path
        self.path = self.evidence_dir / relative_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")  # noqa: SIM115 - closed in close()
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()

    def write_exchange(
        self,
        url: str,
        *,
        status: int,
        headers: HeaderPairs,
        body: bytes,
        method: str = "GET",
        request_headers: HeaderPairs | None = None,
        request_body: bytes = b"",
    ) -> WarcPointer:
        """Write the request then the response; return the response record's pointer."""
        block = _http_block(status, headers, body)
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(block), length=len(block)
        )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        with self._lock:
            req_path = url.split("://", 1)[-1].partition("/")[2]
            req_status = StatusAndHeaders(
                f"{method} /{req_path} HTTP/1.1", list(request_headers or []), is_http_request=True
            )
            request = self._writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(request_body),
                length=len(request_body),
                http_headers=req_status,
            )
            request.rec_headers.add_header("WARC-Concurrent-To", record_id)
            self._writer.write_record(request)
            offset = self._fh.tell()
            self._writer.write_record(response)
            self._fh.flush()
            length = self._fh.tell() - offset
        return WarcPointer(self.relative_path, offset, length, record_id)

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


def read_raw(evidence_dir: Path | str, warc_file: str, offset: int, length: int) -> bytes:
    """The stored (gzip-compressed) bytes of one record, exactly as they sit in the file."""
    path = _resolve(evidence_dir, warc_file)
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"WARC 记录不完整：{warc_file}@{offset}+{length}")
    return data


def read_record(evidence_dir: Path | str, warc_file: str, offset: int, length: int) -> bytes:
    """The uncompressed WARC record (WARC headers + HTTP response) at a pointer."""
    return gzip.decompress(read_raw(evidence_dir, warc_file, offset, length))


@dataclass(frozen=True)
class StoredResponse:
    url: str
    status: int | None
    headers: HeaderPairs
    body: bytes
    record_id: str
    date: str


def read_response(evidence_dir: Path | str, warc_file: str, offset: int, length: int) -> StoredResponse:
    """Parse the record at a pointer: target URL, HTTP status, headers and the body bytes as sent."""
    raw = read_raw(evidence_dir, warc_file, offset, length)
    for record in ArchiveIterator(io.BytesIO(raw), no_record_parse=False):
        http = record.http_headers
        status = int(http.get_statuscode()) if http and http.get_statuscode() else None
        return StoredResponse(
            url=record.rec_headers.get_header("WARC-Target-URI"),
            status=status,
            headers=list(http.headers) if http else [],
            body=record.raw_stream.read(),
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            date=record.rec_headers.get_header("WARC-Date"),
        )
    raise ValueError(f"没有 WARC 记录：{warc_file}@{offset}")


def read_payload(evidence_dir: Path | str, warc_file: str, offset: int, length: int) -> bytes:
    """The HTTP body at a pointer: the exact bytes the server sent (transfer chunking removed)."""
    return read_response(evidence_dir, warc_file, offset, length).body


def _resolve(evidence_dir: Path | str, warc_file: str) -> Path:
    base = Path(evidence_dir).resolve()
    path = (base / warc_file).resolve()
    if base not in path.parents:
        raise ValueError(f"WARC 路径越界：{warc_file}")
    return path
