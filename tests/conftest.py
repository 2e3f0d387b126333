"""Shared fixtures: paths, free ports, fresh SQLite files."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = Path(__file__).resolve().parent / "files"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus" / "real"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus/real, or skip when it is not beside the project."""
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus/real is absent")
    return SHARED_CORPUS


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'zwgk.db'}"
