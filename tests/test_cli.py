"""The command-line contract of design.md: records, check, exit codes, --db anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import support
from support import add_school, new_workspace, student_record

from wushan_desk import __version__
from wushan_desk.cli import main


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "ws.wsdb"
    new_workspace(path).close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def change_count(path: Path) -> int:

    conn = support.raw_connect(path)
    try:
        return conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    finally:
        conn.close()


def test_version(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


def test_kinds_and_schema(capsys) -> None:
    code, out, _ = run(capsys, "records", "kinds")
    assert code == 0 and "student\t学生" in out and "school\t学校" in out
    code, out, _ = run(capsys, "records", "schema", "student")
    schema = json.loads(out)
    assert code == 0 and "resident_id" in schema["properties"]
    assert "school_id" in schema["required"]


def test_put_list_get_delete_round_trip(tmp_path: Path, ws_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "records", "list", "township", "--db", str(ws_path))
    township_id = next(
        json.loads(line)["id"] for line in out.splitlines() if json.loads(line)["name"] == "骡坪镇"
    )
    school_file = tmp_path / "schools.jsonl"
    school_file.write_text(
        json.dumps(
            {
                "id": "11111111-1111-4111-8111-111111111111",
                "name": "巫山县骡坪镇中心小学",
                "type": "小学",
                "township_id": township_id,
                "boarding": True,
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    # --db before the subcommand works as well as after it
    code, out, err = run(capsys, "--db", str(ws_path), "records", "put", "school", str(school_file))
    assert code == 0, err
    assert json.loads(out)["created"] == 1
    student = student_record("11111111-1111-4111-8111-111111111111", name="谭𠮷")
    student_file = tmp_path / "students.jsonl"
    student_file.write_text(json.dumps(student, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run(
        capsys, "records", "put", "student", str(student_file), "--db", str(ws_path)
    )
    assert code == 0, err
    code, out, _ = run(capsys, "records", "get", "student", student["id"], "--db", str(ws_path))
    assert json.loads(out)["resident_id"] == "110105********002X"  # masked unless asked
    code, out, _ = run(capsys, "records", "get", "student", student["id"], "--full",
                       "--purpose", "核对学籍", "--db", str(ws_path))
    got = json.loads(out)
    assert {k: got[k] for k in student} == student
    # putting the same file again changes nothing
    code, out, _ = run(capsys, "records", "put", "student", str(student_file), "--db", str(ws_path))
    assert json.loads(out)["unchanged"] == 1
    code, out, _ = run(capsys, "records", "delete", "student", student["id"], "--db", str(ws_path))
    assert code == 0
    code, _, err = run(capsys, "records", "get", "student", student["id"], "--db", str(ws_path))
    assert code == 3 and "找不到" in err
    code, out, _ = run(capsys, "records", "list", "student", "--deleted", "--db", str(ws_path))
    assert json.loads(out.splitlines()[0])["name"] == "谭𠮷"


def test_one_bad_line_rejects_the_whole_file(tmp_path: Path, ws_path: Path, capsys) -> None:
    from support import open_workspace

    from wushan_desk.services import records

    ws = open_workspace(ws_path)
    school = add_school(ws)
    ws.close()
    good = student_record(school)
    bad_id = student_record(school, resident_id="110105194912310021")  # wrong check digit
    bad_grade = student_record(school, grade="高三")  # no 高三 in a primary school
    lines = [
        json.dumps(r, ensure_ascii=False) for r in (good, bad_id, good | {"id": None}, bad_grade)
    ]
    lines.insert(2, "{not json")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    before = change_count(ws_path)
    code, out, err = run(capsys, "records", "put", "student", str(path), "--db", str(ws_path))
    assert code == 3 and out == ""
    assert "第 3 行" in err  # the JSON error is found first, before any validation
    path.write_text("\n".join(lines[:2] + lines[3:]), encoding="utf-8")
    code, out, err = run(capsys, "records", "put", "student", str(path), "--db", str(ws_path))
    assert code == 3
    assert "第 2 行" in err and "校验位" in err and "第 4 行" in err and "高三" in err
    assert "第 1 行" not in err and "第 3 行" not in err
    assert change_count(ws_path) == before
    ws = open_workspace(ws_path)
    assert list(records.iter_records(ws, "student")) == []
    ws.close()


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 a zip, not a workspace" * 20, b"SQLite format 3\x00" + bytes(range(256)) * 20],
)
def test_corrupt_or_foreign_db_exits_3_and_is_untouched(
    tmp_path: Path, content: bytes, capsys
) -> None:
    path = tmp_path / "bad.wsdb"
    path.write_bytes(content)
    for argv in (["check"], ["records", "list", "student"]):
        code, out, err = run(capsys, *argv, "--db", str(path))
        assert code == 3 and out == ""
        assert len(err.strip().splitlines()) == 1 and "工作区" in err
    assert path.read_bytes() == content


def test_check_reports_ok(ws_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--db", str(ws_path))
    assert code == 0 and json.loads(out)["ok"] is True


def test_usage_error_exits_2(capsys) -> None:
    assert run(capsys, "records", "frobnicate")[0] == 2
    assert run(capsys, "records")[0] == 2


def test_unknown_kind_exits_3(ws_path: Path, capsys) -> None:
    code, _, err = run(capsys, "records", "list", "spaceship", "--db", str(ws_path))
    assert code == 3 and "spaceship" in err


def test_installed_entry_point_runs_selfcheck(tmp_path: Path) -> None:
    """The real process, as a county script would start it."""
    proc = subprocess.run(
        [sys.executable, "-m", "wushan_desk.cli", "selfcheck"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={"WUSHAN_DESK_HOME": str(tmp_path), "PATH": "", "PYTHONPATH": str(Path.cwd())},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["ok"] and result["townships"] == 26


def test_out_of_range_numbers_are_rejected_not_crashing(tmp_path: Path, ws_path: Path,
                                                        capsys) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"name": "表", "template_kind": "经常性督导", "version": 1e20, '
                    '"status": "草稿"}\n{"name": "表", "template_kind": "经常性督导", '
                    '"version": 1, "status": "草稿", "note": NaN}\n', encoding="utf-8")
    code, _, err = run(capsys, "records", "put", "checklist_template", str(path),
                       "--db", str(ws_path))
    assert code == 3 and "第 2 行" in err
    path.write_text('{"name": "表", "template_kind": "经常性督导", "version": 1e20, '
                    '"status": "草稿"}\n', encoding="utf-8")
    code, _, err = run(capsys, "records", "put", "checklist_template", str(path),
                       "--db", str(ws_path))
    assert code == 3 and "第 1 行" in err and "整数" in err


def test_a_closed_pipe_ends_the_command_quietly(demo_copy: Path) -> None:
    """`wushan-desk records list student | head -1`: the reader stops after one line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wushan_desk", "records", "list", "student", "--db",
         str(demo_copy)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # what head does after its line
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(60) == 0, err
    assert json.loads(first)["name"]
    assert err == ""


def test_the_version_is_the_packages_and_the_readmes(capsys) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"版本 {__version__}" in readme or f"version {__version__}" in readme
