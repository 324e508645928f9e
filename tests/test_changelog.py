"""No write to a synced table escapes the change log.

Property: after any sequence of creates, edits, deletes and restores through the
services, replaying the change log in `seq` order rebuilds every synced table exactly.
And the database itself refuses writes that bypass the log (guard triggers).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
import support
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import add_school, new_workspace, student_record, township

from wushan_desk.domain import codes, entities
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import records
from wushan_desk.store import changes
from wushan_desk.store.driver import sqlite3
from wushan_desk.store.workspace import Workspace

NAMES = ["向堃", "冉燚", "谭𠮷", "覃䶮", "王芳", "李曌"]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("school"), st.sampled_from(["小学", "初中", "九年一贯制"])),
        st.tuples(st.just("student"), st.sampled_from(NAMES)),
        st.tuples(
            st.just("edit"),
            st.sampled_from(["name", "class_name", "special_groups", "grade", "guardian_phone"]),
        ),
        st.tuples(st.just("edit_school"), st.sampled_from(["head", "boarding", "phone"])),
        st.tuples(st.just("delete"), st.sampled_from(["student", "school"])),
        st.tuples(st.just("restore"), st.just("student")),
        st.tuples(st.just("visit"), st.just("")),
        st.tuples(st.just("answer"), st.sampled_from(["3", "8", "符合", "不符合", "好", "中"])),
        st.tuples(st.just("finding"), st.sampled_from(["一般", "严重"])),
        st.tuples(st.just("finalize"), st.just("")),
    ),
    min_size=1,
    max_size=25,
)


def _inspect(ws: Workspace, made: dict[str, str], visits: list[str], op: str, arg: str,
             pick: st.DataObject) -> None:
    """A random inspection step through the services; refusals (a locked visit, a value
    the item does not take) write nothing, which the property checks too."""
    from wushan_desk.domain import clock
    from wushan_desk.services import inspection

    drafts = [v for v in visits if records.get(ws, "visit", v)["status"] == rules.DRAFT]
    try:
        if op == "visit":
            visits.append(inspection.start_visit(
                ws, school_id=made["school"], template_id=made["template"],
                inspector_ids=[made["staff"]], date=clock.today()))
        elif op == "answer" and visits:
            visit = pick.draw(st.sampled_from(visits))
            item = pick.draw(st.sampled_from(inspection.detail(ws, visit).items))
            inspection.answer(ws, visit, item["id"], arg)
        elif op == "finding" and visits:
            inspection.add_finding(ws, pick.draw(st.sampled_from(visits)), description="问题",
                                   requirement="整改", severity=arg)
        elif op == "finalize" and drafts:
            visit = pick.draw(st.sampled_from(drafts))
            records.put(ws, "visit", {"id": visit, "signed_on_paper": True})
            inspection.finalize(ws, visit)
    except ValidationError:
        pass


def _run(ws: Workspace, steps: list[tuple[str, str]], pick: st.DataObject,
         made: dict[str, str] | None = None) -> None:
    visits: list[str] = [made["visit"]] if made else []
    schools: list[str] = [add_school(ws)]
    students: list[str] = []
    deleted: list[str] = []
    for op, arg in steps:
        if op in ("visit", "answer", "finding", "finalize"):
            if made:
                _inspect(ws, made, visits, op, arg, pick)
        elif op == "school":
            schools.append(add_school(ws, f"巫山县测试学校{len(schools)}", arg))
        elif op == "student":
            school = pick.draw(st.sampled_from(schools))
            grade = codes.GRADES_BY_SCHOOL_TYPE[
                records.get(ws, "school", school, deleted=True)["type"]
            ][0]
            try:
                students.append(
                    records.put(ws, "student", student_record(school, name=arg, grade=grade)).id
                )
            except entities.RecordInvalid:
                pass  # its school was deleted: refused, nothing written
        elif op == "edit" and students:
            sid = pick.draw(st.sampled_from(students))
            value = {
                "name": pick.draw(st.sampled_from(NAMES)),
                "class_name": pick.draw(st.sampled_from(["1班", "2班", None])),
                "special_groups": pick.draw(
                    st.lists(st.sampled_from(codes.SPECIAL_GROUPS), max_size=3)
                ),
                "grade": None,
                "guardian_phone": pick.draw(st.sampled_from(["13912345678", "023-57681234", None])),
            }[arg]
            if arg == "grade":
                school = records.get(ws, "student", sid, deleted=True)["school_id"]
                value = pick.draw(
                    st.sampled_from(
                        codes.GRADES_BY_SCHOOL_TYPE[
                            records.get(ws, "school", school, deleted=True)["type"]
                        ]
                    )
                )
            try:
                records.put(ws, "student", {"id": sid, arg: value})
            except entities.RecordInvalid:
                pass  # e.g. its school was deleted meanwhile: refused, nothing written
        elif op == "edit_school":
            sid = pick.draw(st.sampled_from(schools))
            value = {
                "head": pick.draw(st.sampled_from(["冉校长", "谭校长"])),
                "boarding": pick.draw(st.booleans()),
                "phone": pick.draw(st.sampled_from(["023-57689999", None])),
            }[arg]
            records.put(ws, "school", {"id": sid, arg: value})
        elif op == "delete":
            pool = students if arg == "student" else schools[1:]
            if pool:
                rid = pick.draw(st.sampled_from(pool))
                if records.delete(ws, arg, rid) and arg == "student":
                    deleted.append(rid)
        elif op == "restore" and deleted:
            rid = deleted.pop()
            try:
                records.put(ws, "student", {"id": rid})
            except entities.RecordInvalid:
                pass


def replay(ws: Workspace, table: str) -> dict[str, dict]:
    """Fold the change log into records, as a fresh device receiving it would."""
    state: dict[str, dict] = {}
    for row_id, data in ws.conn.execute(
        "SELECT row_id, data FROM change_log WHERE tbl = ? ORDER BY seq", (table,)
    ):
        state.setdefault(row_id, {"deleted": False}).update(json.loads(data))
    return state


def assert_log_explains_tables(ws: Workspace) -> None:
    for table in changes.synced_tables(ws):
        kind = changes.table_kind(table)
        replayed = replay(ws, table)
        cur = ws.conn.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur]
        assert {r["id"] for r in rows} == set(replayed), table
        for row in rows:
            expected = replayed[row["id"]]
            actual = changes.from_sql(kind, row) | {"deleted": bool(row["deleted"])}
            assert {k: actual[k] for k in expected} == {
                k: (bool(v) if k == "deleted" else v) for k, v in expected.items()
            }
            last_seq, max_hlc = ws.conn.execute(
                "SELECT max(seq), max(hlc) FROM change_log WHERE tbl = ? AND row_id = ?",
                (table, row["id"]),
            ).fetchone()
            assert row["seq"] == last_seq and row["hlc"] == max_hlc


def _every_table_once(ws: Workspace) -> dict[str, str]:
    """One write through the services into each synced table: the property then covers
    every table, not only the ones the random steps happen to touch."""
    from wushan_desk.domain import clock
    from wushan_desk.services import attachments, inspection, templates, workspace

    made: dict[str, str] = {}
    records.put(ws, "county", {"id": workspace.county_id(), "name": "巫山县（测试）"})
    records.put(ws, "township", {"id": township("骡坪镇"), "name": "骡坪镇"})
    made["centre"] = records.put(ws, "centre", {"name": "骡坪片区教育督导中心",
                                               "county_id": workspace.county_id()}).id
    records.put(ws, "centre_township", {"centre_id": made["centre"],
                                        "township_id": township("骡坪镇")})
    made["school"] = add_school(ws)
    made["staff"] = records.put(ws, "staff", {"name": "向堃", "role": "责任督学",
                                             "centre_id": made["centre"]}).id
    records.put(ws, "device", {"name": "骡坪笔记本", "role": "centre",
                               "centre_id": made["centre"]})
    made["template"] = support.make_template(ws)
    templates.new_version(ws, made["template"])
    student = records.put(ws, "student", student_record(made["school"])).id
    from wushan_desk.services import dropout

    leave = dropout.record_enrolment_change(ws, student, "休学", clock.today(),
                                            until="2099-01-01")
    dropout.dismiss(ws, dropout.Candidate(student, "", "", "", "休学逾期", leave, ""),
                    "电话核实：已在外地就读", clock.today())
    case = dropout.open_case(ws, {"student_id": student, "status": "疑似辍学",
                                  "opened_on": clock.today().isoformat()})
    dropout.change_status(ws, case, "劝返中", clock.today(), note="家访")
    dropout.add_duty(ws, case, "班主任", "谭老师", "13812345678")
    dropout.add_visit(ws, case, clock.today(), "家访", "谭老师、村主任", "家长同意返校")
    from wushan_desk.services import term_rosters

    term_rosters.archive(ws, clock.today())
    from wushan_desk.services import aid

    aid.load_defaults(ws, "2026-2027")
    aid.set_day(ws, dt.date(2027, 2, 8), "放假", "春节")
    from wushan_desk.services import aid_recognition as recognition

    applied = recognition.apply(ws, student, "2026-2027", dt.date(2026, 9, 10),
                                members=[{"name": "王大山", "relation": "父亲"}])
    recognition.review(ws, applied, dt.date(2026, 9, 20), "属实", "困难")
    from wushan_desk.services import aid_roster

    programme = next(p["id"] for p in records.iter_records(ws, "aid_programme")
                     if p["name"] == "农村义务教育学生营养改善计划")
    roster = aid_roster.new_roster(ws, made["school"], programme, "2026-2027-1")
    meal = aid_roster.add_payment(ws, roster, student, boarding="走读", days=90,
                                  bank_card="6222021001115555556")
    aid_roster.report(ws, roster, dt.date(2026, 10, 8))
    aid_roster.confirm(ws, roster, dt.date(2026, 10, 9))
    aid_roster.adjust(ws, meal, dt.date(2026, 10, 20), "发放完成", "银行代发")
    from wushan_desk.services import aid_check

    paid_away = aid_check.findings(ws)[0]  # paid while 休学 and with an open case
    aid_check.explain(ws, paid_away.key, "已核实：休学前已就餐", clock.today())
    attachments.add_bytes(ws, b"\x89PNG fake", "照片.png", owner_kind="school",
                          owner_id=made["school"])
    day = clock.today()
    visit = inspection.start_visit(ws, school_id=made["school"], template_id=made["template"],
                                   inspector_ids=[made["staff"]], date=day)
    item = inspection.detail(ws, visit).items[0]
    inspection.answer(ws, visit, item["id"], "5")
    finding = inspection.add_finding(ws, visit, description="课程未开齐", requirement="补开")
    png = (Path(__file__).parent / "fixtures" / "signature.png").read_bytes()
    inspection.sign(ws, visit, role="督学", name="向堃", png=png)
    inspection.sign(ws, visit, role="校长（园长）", name="冉校长", on_paper=True)
    support.answer_all(ws, visit)
    inspection.finalize(ws, visit)
    inspection.amend(ws, visit, "分数录错", [("visit_answer", {"item_id": item["id"],
                                                             "value": "6"})])
    check_visit = inspection.follow_up(ws, visit, date=day, inspector_ids=[made["staff"]])
    inspection.record_check(ws, finding, check_visit, rules.FIXED, day=day, note="已补开")
    made["visit"] = visit
    return made


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=ops, pick=st.data())
def test_replaying_the_change_log_rebuilds_every_synced_table(steps, pick) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = new_workspace(Path(tmp) / "w.wsdb")
        try:
            made = _every_table_once(ws)
            _run(ws, steps, pick, made)
            written = {r[0] for r in ws.conn.execute("SELECT DISTINCT tbl FROM change_log")}
            assert written == set(changes.synced_tables(ws))  # the property covers them all
            assert_log_explains_tables(ws)
        finally:
            ws.close()


def test_unchanged_put_writes_nothing(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    school = add_school(ws)
    before = ws.conn.execute("SELECT max(seq) FROM change_log").fetchone()[0]
    result = records.put(ws, "school", {"id": school, "name": "巫山县骡坪镇中心小学"})
    assert result.changed == []
    assert ws.conn.execute("SELECT max(seq) FROM change_log").fetchone()[0] == before
    ws.close()


def test_every_synced_table_has_guards_and_a_kind(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    triggers = {
        r[0] for r in ws.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    for table in changes.synced_tables(ws):
        assert changes.table_kind(table).table == table
        for event in ("insert", "update", "delete"):
            assert f"{table}_guard_{event}" in triggers
    ws.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE townships SET name = '改名镇'",
        "UPDATE townships SET name = '改名镇', seq = seq + 1000",
        "DELETE FROM townships",
        "INSERT INTO counties (id, origin_device, created_hlc, hlc, seq, code, name) "
        "VALUES ('x', 'd', 'h', 'h', 999999, '500238', '假县')",
    ],
)
def test_writes_that_bypass_the_change_log_are_refused(tmp_path: Path, sql: str) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    with pytest.raises(sqlite3.IntegrityError, match=r"change log|tombstoned"):
        ws.conn.execute(sql)
    assert (
        ws.conn.execute("SELECT count(*) FROM townships WHERE name = '改名镇'").fetchone()[0] == 0
    )
    ws.close()


def test_delete_is_a_tombstone_that_is_logged(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "w.wsdb")
    sid = records.put(ws, "student", student_record(add_school(ws))).id
    assert records.delete(ws, "student", sid)
    assert records.get(ws, "student", sid) is None
    assert records.get(ws, "student", sid, deleted=True)["name"] == "向堃"
    op, data = ws.conn.execute(
        "SELECT op, data FROM change_log WHERE row_id = ? ORDER BY seq DESC LIMIT 1", (sid,)
    ).fetchone()
    assert op == "delete" and json.loads(data) == {"deleted": True}
    assert township("骡坪镇")
    ws.close()


def test_each_change_names_the_versions_it_replaced(tmp_path: Path) -> None:
    """The base of an edit is the version the editor saw: sync tells concurrent edits by it."""
    ws = new_workspace(tmp_path / "w.wsdb")
    sid = records.put(ws, "student", student_record(add_school(ws))).id
    records.put(ws, "student", {"id": sid, "class_name": "1班"})
    records.put(ws, "student", {"id": sid, "class_name": "2班"})
    log = [
        (hlc, json.loads(base))
        for hlc, base in ws.conn.execute(
            "SELECT hlc, base FROM change_log WHERE row_id = ? ORDER BY seq", (sid,)
        )
    ]
    (created, base0), (first, base1), (_, base2) = log
    assert base0 == {}
    assert base1 == {"class_name": created, "deleted": created}
    assert base2 == {"class_name": first, "deleted": created}
    ws.close()


def test_a_write_against_shown_versions_refuses_what_changed_since(tmp_path: Path) -> None:
    """`put(seen=...)`: the fields written must still hold the versions the user saw; a
    deletion since is a change too; untouched fields may have moved freely."""
    ws = new_workspace(tmp_path / "w.wsdb")
    try:
        school = add_school(ws)
        sid = records.put(ws, "student", student_record(school)).id
        seen = records.versions(ws, "student", sid)
        records.put(ws, "student", {"id": sid, "guardian_name": "新监护人"})
        records.put(ws, "student", {"id": sid, "class_name": "7班"}, seen=seen)  # other field
        with pytest.raises(records.ChangedMeanwhile) as caught:
            records.put(ws, "student", {"id": sid, "guardian_name": "我的"}, seen=seen)
        assert [f.field for f in caught.value.fields] == ["guardian_name"]
        assert caught.value.fields[0].now == "新监护人" and "监护人" in caught.value.message
        seen = records.versions(ws, "student", sid)
        records.delete(ws, "student", sid)
        with pytest.raises(records.ChangedMeanwhile) as caught:
            records.put(ws, "student", {"id": sid, "class_name": "8班"}, seen=seen)
        assert [(f.field, f.now) for f in caught.value.fields] == [("deleted", True)]
        assert records.get(ws, "student", sid) is None
    finally:
        ws.close()
