"""The whole exchange through the command line, as design.md specifies it."""

from __future__ import annotations

import json
from pathlib import Path

from wushan_desk.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_hub_device_enrol_join_export_import(tmp_path: Path, capsys) -> None:
    hub, dev, stick = tmp_path / "hub.wsdb", tmp_path / "dev.wsdb", tmp_path / "U盘"
    code, out, _ = run(capsys, "hub", "init", "--db", str(hub), "--name", "巫山县教委督导室")
    assert code == 0 and len(json.loads(out)["fingerprint"]) == 19
    assert run(capsys, "demo", "--db", str(hub), "--scale", "0.01")[0] == 0
    code, out, _ = run(capsys, "device", "init", "--db", str(dev), "--name", "骡坪督导中心-1",
                       "--out", str(stick))
    request = Path(out.strip())
    assert code == 0 and request.exists() and request.suffix == ".wsreq"
    code, out, err = run(capsys, "hub", "enrol", str(request), "--db", str(hub),
                         "--centre", "骡坪片区教育督导中心", "--out", str(stick))
    assert code == 0, err
    enrolment = Path(out.strip())
    assert "指纹" in err
    code, out, err = run(capsys, "device", "join", str(enrolment), "--db", str(dev))
    assert code == 0, err
    assert json.loads(out)["added"] > 0
    # joining twice is refused
    assert run(capsys, "device", "join", str(enrolment), "--db", str(dev))[0] == 3

    code, out, _ = run(capsys, "records", "list", "student", "--db", str(dev))
    student = json.loads(out.splitlines()[0])
    change = tmp_path / "edit.jsonl"
    change.write_text(json.dumps({"id": student["id"], "class_name": "7班"}), encoding="utf-8")
    assert run(capsys, "records", "put", "student", str(change), "--db", str(dev))[0] == 0

    code, out, _ = run(capsys, "sync", "export", "--db", str(dev), "--out", str(stick))
    (package,) = out.split()
    code, out, _ = run(capsys, "sync", "import", "--dry-run", package, "--db", str(hub))
    preview = json.loads(out)
    assert code == 0 and preview["dry_run"] and preview["packages"][0]["status"] == "preview"
    code, out, _ = run(capsys, "sync", "import", package, "--db", str(hub))
    (summary,) = json.loads(out)["packages"]
    assert summary["status"] == "applied" and summary["changed"] == 1
    assert summary["sender_name"] == "骡坪督导中心-1"
    code, out, _ = run(capsys, "records", "get", "student", student["id"], "--db", str(hub))
    assert json.loads(out)["class_name"] == "7班"

    code, out, _ = run(capsys, "sync", "export", "--db", str(hub), "--out", str(stick),
                       "--to", "骡坪督导中心-1")
    (back,) = out.split()
    assert run(capsys, "sync", "import", back, "--db", str(dev))[0] == 0
    code, out, _ = run(capsys, "sync", "status", "--db", str(dev))
    (hub_status,) = json.loads(out)
    assert hub_status["pending"] == 0 and hub_status["acked_at"]
    code, out, _ = run(capsys, "sync", "conflicts", "--db", str(hub), "--json")
    assert code == 0 and json.loads(out) == []


def test_sync_commands_explain_a_wrong_workspace(tmp_path: Path, capsys) -> None:
    ws = tmp_path / "plain.wsdb"
    assert run(capsys, "demo", "--db", str(ws), "--scale", "0.01")[0] == 0
    code, _, err = run(capsys, "sync", "export", "--db", str(ws), "--out", str(tmp_path))
    assert code == 3 and "加入" in err
    code, _, err = run(capsys, "hub", "enrol", str(tmp_path / "x.wsreq"), "--db", str(ws),
                       "--centre", "x", "--out", str(tmp_path))
    assert code == 3 and "县级中心库" in err


def test_a_lost_request_can_be_written_again(tmp_path: Path) -> None:
    from support import open_workspace

    from wushan_desk.services import sync

    first = sync.device_init(tmp_path / "dev.wsdb", "两坪督导中心-1", tmp_path / "a")
    first_request = sync.read_request(first)
    first.unlink()  # the USB stick was lost
    ws = open_workspace(tmp_path / "dev.wsdb", create=False)
    try:
        again = sync.read_request(sync.write_request(ws, tmp_path / "b"))
    finally:
        ws.close()
    assert again["device_id"] == first_request["device_id"]
    assert again["keys"] == first_request["keys"] and again["name"] == "两坪督导中心-1"
