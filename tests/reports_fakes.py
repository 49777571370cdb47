"""Fakes of the report's ports: a report store and a bucket in memory that record every write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class FakeReportStore:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.writes: list[str] = []

    def fingerprint(self, date: str) -> str | None:
        doc = self.docs.get(date)
        return None if doc is None else doc.get("content_sha256")

    def save(self, date: str, document: Mapping[str, Any]) -> None:
        self.docs[date] = dict(document)
        self.writes.append(date)

    def load(self, date: str) -> dict[str, Any] | None:
        return self.docs.get(date)


class FakeReportFiles:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str, str]] = {}
        self.uploads: list[str] = []

    def fingerprint(self, name: str) -> str | None:
        entry = self.files.get(name)
        return None if entry is None else entry[2]

    def upload(self, name: str, data: bytes, content_type: str, fingerprint: str) -> None:
        self.files[name] = (data, content_type, fingerprint)
        self.uploads.append(name)

    def download(self, name: str) -> bytes | None:
        entry = self.files.get(name)
        return None if entry is None else entry[0]

    def location(self, name: str) -> str:
        return f"memory://{name}"
