"""Report files in a Cloud Storage bucket (gcp-storage-emulator locally), fingerprinted by their SHA-256 so a
rebuild with the same content uploads nothing."""

from __future__ import annotations

import contextlib
import threading

from google.api_core.exceptions import Conflict, NotFound
from google.cloud import storage  # type: ignore[attr-defined]  # namespace package mypy cannot see into

FINGERPRINT = "sha256"


class GcsReportFiles:
    def __init__(self, client: storage.Client, bucket: str, create_bucket: bool = False, timeout: float = 30.0) -> None:
        self._client = client
        self._bucket_name = bucket
        self._create_bucket = create_bucket
        self._timeout = timeout
        self._ready = not create_bucket
        self._lock = threading.Lock()

    def _bucket(self) -> storage.Bucket:
        if not self._ready:
            # Locally only: the emulator starts empty. In production the bucket is Terraform's, never created here.
            with self._lock:
                if not self._ready:
                    with contextlib.suppress(Conflict):
                        self._client.create_bucket(self._bucket_name, timeout=self._timeout)
                    self._ready = True
        return self._client.bucket(self._bucket_name)

    def fingerprint(self, name: str) -> str | None:
        blob = self._bucket().get_blob(name, timeout=self._timeout)
        if blob is None:
            return None
        return (blob.metadata or {}).get(FINGERPRINT)

    def upload(self, name: str, data: bytes, content_type: str, fingerprint: str) -> None:
        blob = self._bucket().blob(name)
        blob.metadata = {FINGERPRINT: fingerprint}
        blob.cache_control = "private, max-age=0"
        blob.upload_from_string(data, content_type=content_type, timeout=self._timeout)

    def download(self, name: str) -> bytes | None:
        try:
            data: bytes = self._bucket().blob(name).download_as_bytes(timeout=self._timeout)
        except NotFound:
            return None
        return data

    def location(self, name: str) -> str:
        return f"gs://{self._bucket_name}/{name}"
