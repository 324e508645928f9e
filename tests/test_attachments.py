"""Attachments are stored once per content, checked by hash, and limited in size."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import new_workspace

from wushan_desk.services import attachments, records
from wushan_desk.store.errors import WorkspaceError


def test_same_content_is_stored_once_and_verified(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    photo = tmp_path / "整改现场.jpg"
    photo.write_bytes(b"\xff\xd8jpeg bytes" * 1000)
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(photo.read_bytes())
    first = attachments.add(ws, photo, note="食堂")
    second = attachments.add(ws, copy)
    assert first != second
    stored = list(ws.files_dir.rglob("*"))
    assert len([p for p in stored if p.is_file()]) == 1
    assert attachments.read(ws, first) == photo.read_bytes()
    (blob,) = [p for p in stored if p.is_file()]
    assert photo.read_bytes()[:64] not in blob.read_bytes()  # sealed on disk
    record = records.get(ws, "attachment", first)
    assert record["size"] == 12_000 and record["mime"] == "image/jpeg"
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-1] + b"x")  # one byte changed
    with pytest.raises(WorkspaceError, match="损坏"):
        attachments.read(ws, first)
    ws.close()


def test_oversized_file_is_refused_and_nothing_written(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    ws.set_state("attachment_max_bytes", "1000")
    big = tmp_path / "录音.m4a"
    big.write_bytes(b"x" * 1001)
    before = ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    with pytest.raises(WorkspaceError, match="超过附件上限"):
        attachments.add(ws, big)
    assert ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0] == before
    assert not ws.files_dir.exists()
    ws.close()
