"""The demo county: deterministic, valid, realistic enough, and all-or-nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import file_digest, new_workspace, open_workspace

from wushan_desk.domain import codes, entities, ids
from wushan_desk.domain import doc_numbers as number_rules
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.progress import Cancelled
from wushan_desk.services import demo_inspections, doc_numbers, inspection, records, workspace
from wushan_desk.services.demo import DEMO_NAME, DemoSummary, build_demo
from wushan_desk.store import changes
from wushan_desk.store.errors import WorkspaceError
from wushan_desk.store.workspace import Workspace

KINDS = ("centre", "centre_township", "school", "device", "staff", "student")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return build_demo(tmp_path_factory.mktemp("demo") / "demo.wsdb", scale=0.02)


@pytest.fixture
def ws(built: DemoSummary) -> Iterator[Workspace]:
    ws = open_workspace(built.path, create=False)
    yield ws
    ws.close()


def all_records(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    return {kind: list(records.iter_records(ws, kind)) for kind in KINDS}


def is_rare(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return False


def test_summary_counts_and_workspace_identity(built: DemoSummary, ws: Workspace) -> None:
    data = all_records(ws)
    assert {k: len(v) for k, v in data.items()} == {k: built.counts[k] for k in KINDS}
    assert built.counts["county"] == 1 and built.counts["township"] == 26
    assert built.counts["student"] == 1200
    assert built.counts["centre"] == 8 and built.counts["centre_township"] == 26
    assert built.seconds > 0 and built.total == sum(built.counts.values())
    info = workspace.info(ws)
    assert (info.role, info.name) == ("demo", DEMO_NAME)
    [device] = data["device"]
    assert device["id"] == ws.device_id and device["role"] == "demo"
    assert ws.state("centre_id") == device["centre_id"] == data["centre"][0]["id"]
    assert data["centre"][0]["name"] == "高唐片区教育督导中心"
    assert workspace.check(ws).ok


def test_same_seed_same_records_other_seed_differs(tmp_path: Path, ws: Workspace) -> None:
    def build(name: str, seed: int) -> dict[str, list[dict[str, Any]]]:
        build_demo(tmp_path / name, scale=0.01, seed=seed)
        other = open_workspace(tmp_path / name, create=False)
        try:
            data = all_records(other)
        finally:
            other.close()
        for device in data["device"]:
            device.pop("id")  # this workspace's own device: bookkeeping, random
        return data

    first, again, other = build("a.wsdb", 7), build("b.wsdb", 7), build("c.wsdb", 8)
    assert first == again
    assert len(first["student"]) == 600
    assert {r["id"] for r in first["student"]}.isdisjoint(r["id"] for r in other["student"])
    assert [r["name"] for r in first["student"]] != [r["name"] for r in other["student"]]
    # The same seed at another scale keeps the township map (the 中心小学 names).
    central = {r["name"] for r in all_records(ws)["school"] if r["name"].endswith("中心小学")}
    assert central == {r["name"] for r in first["school"] if r["name"].endswith("中心小学")}


def test_counts_follow_the_scale(tmp_path: Path, built: DemoSummary) -> None:
    bigger = build_demo(tmp_path / "bigger.wsdb", scale=0.15)
    assert bigger.counts["student"] == 9000 == 7.5 * built.counts["student"]
    assert bigger.counts["school"] == round(253 * 0.15) > built.counts["school"] >= 26 + 6
    assert bigger.counts["staff"] > built.counts["staff"]  # one head per school


def test_every_township_has_a_central_primary_school(ws: Workspace) -> None:
    schools = list(records.iter_records(ws, "school"))
    for name, tid in workspace.township_ids().items():
        mine = [s["name"] for s in schools if s["township_id"] == tid]
        assert f"巫山县{name}中心小学" in mine
    assert len({s["name"] for s in schools}) == len(schools)
    assert len({s["code"] for s in schools}) == len(schools)
    assert {s["type"] for s in schools} >= {"小学", "初中", "幼儿园", "教学点"}
    for s in schools:
        assert s["code"].startswith("31") and len(s["code"]) == 10
        assert s["phone"].startswith("023-5768") and ids.normalize_phone(s["phone"]) == s["phone"]


def test_centres_cover_every_township_once(ws: Workspace) -> None:
    links = list(records.iter_records(ws, "centre_township"))
    covered = sorted(link["township_id"] for link in links)
    assert covered == sorted(workspace.township_ids().values())
    per_centre = Counter(link["centre_id"] for link in links)
    assert all(2 <= n <= 5 for n in per_centre.values())
    staff = list(records.iter_records(ws, "staff"))
    for centre_id in per_centre:
        roles = Counter(s["role"] for s in staff if s["centre_id"] == centre_id)
        assert roles["督导中心主任"] == 1 and 3 <= roles["责任督学"] <= 5
    inspectors = [s for s in staff if s["role"] == "责任督学"]
    assert all(s["certificate_no"].startswith("渝督学〔") for s in inspectors)
    heads = {s["school_id"]: s["name"] for s in staff if s["role"] == "校长"}
    assert heads == {s["id"]: s["head"] for s in records.iter_records(ws, "school")}
    assert any(s["role"] == "县督导室" and s["centre_id"] is None for s in staff)


def test_resident_ids_are_valid_and_agree_with_birth_date_and_sex(ws: Workspace) -> None:
    students = list(records.iter_records(ws, "student"))
    with_id = [s for s in students if s["resident_id"]]
    assert len({s["resident_id"] for s in with_id}) == len(with_id)
    for s in with_id:
        parsed = ids.parse_resident_id(s["resident_id"])
        assert parsed.birth_date.isoformat() == s["birth_date"]
        assert parsed.sex == s["sex"]
        assert s["student_number"] == "G" + s["resident_id"]
    areas = Counter(s["resident_id"][:6] for s in with_id)
    assert areas["500237"] > 0.9 * len(with_id) and len(areas) > 1
    without = [s for s in students if not s["resident_id"]]
    assert 0 < len(without) < 0.05 * len(students)
    for s in without:
        assert s["student_number"][0] in "JL"
        assert ids.parse_student_number(s["student_number"]) == s["student_number"]
        assert s["student_number"][7:15] == s["birth_date"].replace("-", "")


def test_grades_fit_the_school_and_ages_fit_the_grade(ws: Workspace) -> None:
    types = {s["id"]: s["type"] for s in records.iter_records(ws, "school")}
    ages: dict[str, list[int]] = {}
    for s in records.iter_records(ws, "student"):
        assert s["grade"] in codes.GRADES_BY_SCHOOL_TYPE[types[s["school_id"]]]
        assert s["class_name"].endswith("班")
        born = dt.date.fromisoformat(s["birth_date"])
        age = 2026 - born.year - ((born.month, born.day) > (9, 1))  # on 2026-09-01
        ages.setdefault(s["grade"], []).append(age)
    assert set(ages["一年级"]) <= {6, 7, 8} and Counter(ages["一年级"]).most_common(1)[0][0] == 6
    assert Counter(ages["七年级"]).most_common(1)[0][0] == 12


def test_names_and_families_look_like_wushan(ws: Workspace) -> None:
    students = list(records.iter_records(ws, "student"))
    rare = [s["name"] for s in students if is_rare(s["name"])]
    assert rare, "some names must hold characters outside GB2312"
    assert len(rare) < 0.05 * len(students)
    surnames = Counter(s["name"][0] for s in students)
    assert {"向", "谭", "冉"} <= set(surnames)
    assert all(2 <= len(s["name"]) <= 4 for s in students)
    fathers = [s for s in students if s["guardian_relation"] == "父亲"]
    assert fathers and all(s["guardian_name"][0] == s["name"][0] for s in fathers)
    groups = Counter(g for s in students for g in s["special_groups"])
    assert 0.08 < groups["留守儿童"] / len(students) < 0.3
    assert 0.04 < groups["脱贫家庭"] / len(students) < 0.2
    assert Counter(s["hukou_type"] for s in students).most_common(1)[0][0] == "农村"
    assert all(s["hukou_address"].startswith(("重庆市", "湖北省", "四川省")) for s in students)
    assert all(ids.normalize_phone(s["guardian_phone"]) == s["guardian_phone"]
               for s in students if s["guardian_phone"])


def test_a_sample_of_every_kind_passes_validation(ws: Workspace) -> None:
    lookup = records.lookup_for(ws)
    for kind in KINDS:
        sample = list(records.iter_records(ws, kind))[::7][:60]
        assert sample, kind
        for rec in sample:
            clean = entities.validate_record(kind, rec, lookup)
            assert clean == {k: v for k, v in rec.items() if k != "id"}


def test_every_value_of_every_synced_row_is_in_stored_form(ws: Workspace) -> None:
    """The demo writes most kinds without validation (speed): every value must still be
    what the app itself would store, or the hub refuses to send it (a recognition's
    groups in code-point order stopped every device's enrolment from a demo hub)."""
    from wushan_desk.domain import schema

    for table in changes.synced_tables(ws):
        kind = changes.table_kind(table)
        for row in ws.conn.execute(f"SELECT * FROM {table}"):
            logical = changes.from_sql(kind, dict(zip(
                [d[0] for d in ws.conn.execute(f"SELECT * FROM {table} LIMIT 0").description],
                row, strict=True)))
            for spec in kind.fields:
                value = logical.get(spec.name)
                if value in ("", None, []):
                    continue
                assert schema.clean_value(spec, value) == value, (table, spec.name, value)


def test_every_row_has_its_change_log_entry(ws: Workspace) -> None:
    tables = changes.synced_tables(ws)
    rows = sum(ws.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
    logged = ws.conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    edited = ws.conn.execute(  # published checklists: created, then published
        "SELECT count(*) FROM change_log WHERE tbl = 'checklist_templates'").fetchone()[0]
    templates = ws.conn.execute("SELECT count(*) FROM checklist_templates").fetchone()[0]
    assert logged == rows + edited - templates
    orphans = ws.conn.execute(
        "SELECT count(*) FROM students s WHERE NOT EXISTS (SELECT 1 FROM change_log c "
        "WHERE c.seq = s.seq AND c.tbl = 'students' AND c.row_id = s.id)").fetchone()[0]
    assert orphans == 0


def test_progress_reports_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    summary = build_demo(tmp_path / "p.wsdb", scale=0.01,
                         progress=lambda d, t, m: calls.append((d, t, m)))
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[0] == 0
    assert calls[-1][0] == calls[-1][1] == summary.total - 27  # reference rows pre-exist
    assert any("学生" in m for _, _, m in calls)


def test_cancelling_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "cancel.wsdb"
    seen: list[str] = []  # cancel once the first batch of students is written
    with pytest.raises(Cancelled):
        build_demo(path, scale=0.05, progress=lambda d, t, m: seen.append(m),
                   cancelled=lambda: "正在生成学生…" in seen)
    assert seen.count("正在生成学生…") == 1
    assert list(tmp_path.iterdir()) == []


def test_cancelling_a_filled_hub_changes_nothing_in_it(tmp_path: Path) -> None:
    path = tmp_path / "hub.wsdb"
    new_workspace(path, role="hub").close()
    before = file_digest(path)
    with pytest.raises(Cancelled):
        build_demo(path, scale=0.01, cancelled=lambda: True)
    assert file_digest(path) == before


def test_a_workspace_with_reference_data_only_is_filled(tmp_path: Path) -> None:
    path = tmp_path / "hub.wsdb"
    new_workspace(path, role="hub").close()
    summary = build_demo(path, scale=0.01)
    assert summary.counts["school"] == 32
    hub = open_workspace(path, create=False)
    try:
        assert workspace.info(hub).role == "hub"
        [device] = records.iter_records(hub, "device")
        assert device["role"] == "hub" and device["centre_id"] is None
    finally:
        hub.close()


def test_a_workspace_with_schools_is_refused_untouched(built: DemoSummary) -> None:
    before = file_digest(built.path)
    with pytest.raises(WorkspaceError, match="已有学校"):
        build_demo(built.path, scale=0.01)
    assert file_digest(built.path) == before


@pytest.mark.parametrize("scale", [0, -1, 21, float("nan")])
def test_a_silly_scale_is_refused(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValidationError, match="规模"):
        build_demo(tmp_path / "x.wsdb", scale=scale)
    assert not (tmp_path / "x.wsdb").exists()


def test_special_groups_are_valid_choices(ws: Workspace) -> None:
    raw = ws.conn.execute("SELECT special_groups FROM students").fetchall()
    for (text,) in raw:
        assert set(json.loads(text)) <= set(codes.SPECIAL_GROUPS)


INSPECTION_KINDS = ("checklist_template", "checklist_item", "visit", "visit_answer", "finding",
                    "visit_signature", "finding_check")


def test_inspection_history_is_valid_and_realistic(ws: Workspace) -> None:
    lookup = records.lookup_for(ws)
    token = rules.AMENDING.set(True)  # stored answers of finalized visits: re-check them
    try:
        for kind in INSPECTION_KINDS:
            sample = list(records.iter_records(ws, kind))[::5][:80]
            assert sample, kind
            for rec in sample:
                clean = entities.validate_record(kind, rec, lookup)
                assert clean == {k: v for k, v in rec.items() if k != "id"}, kind
    finally:
        rules.AMENDING.reset(token)
    today = demo_inspections.DEMO_TODAY
    findings = inspection.open_findings(ws, today)
    assert any(f["overdue"] for f in findings) and any(not f["overdue"] for f in findings)
    term = rules.term_of(today)
    gaps = inspection.coverage(ws, term)
    schools = list(records.iter_records(ws, "school"))
    assert 0 < len(gaps) < len(schools) * 0.5
    visits = list(records.iter_records(ws, "visit"))
    assert {v["kind"] for v in visits} == {"经常性", "专项", "复查"}
    assert {v["status"] for v in visits} == {rules.DRAFT, rules.FINAL}
    closed = [f for f in records.iter_records(ws, "finding") if f["status"] == rules.FIXED]
    assert closed and all(f["closed_on"] for f in closed)


def test_finalized_visits_carry_the_numbers_finalizing_gives(ws: Workspace) -> None:
    """Each 督导意见书 has its 发文字号, each 整改通知书 (a visit with problems) the next;
    numbered in the order they were finalized, from 1 each year, none twice."""
    visits = [v for v in records.iter_records(ws, "visit") if v["status"] == rules.FINAL]
    with_problems = {f["visit_id"] for f in records.iter_records(ws, "finding")}
    assert visits and all(v["opinion_no"] for v in visits)
    assert all(bool(v["notice_no"]) == (v["id"] in with_problems) for v in visits)
    assert any(v["notice_no"] for v in visits)
    assert doc_numbers.duplicates(ws) == []
    for year in {v["finalized_on"][:4] for v in visits}:
        numbered = sorted((v for v in visits if v["finalized_on"][:4] == year),
                          key=lambda v: (v["finalized_on"], v["date"], v["id"]))
        parsed = [number_rules.parse(n) for v in numbered
                  for n in (v["opinion_no"], v["notice_no"]) if n]
        assert {p[:2] for p in parsed if p} == {("巫督", int(year))}
        given = [p[2] for p in parsed if p]
        assert given == list(range(1, len(parsed) + 1)), year


def test_recognitions_follow_their_steps_over_three_years(ws: Workspace) -> None:
    """Each recognition's events chain from 申请 to its status; notices last five working
    days by the calendar, except the two planted for the cross-check."""
    from wushan_desk.domain import aid as aid_rules
    from wushan_desk.services import aid
    from wushan_desk.services import aid_recognition as recognition

    rows = recognition.listing(ws)
    assert {r.school_year for r in rows} == {"2024-2025", "2025-2026", "2026-2027"}
    assert {r.status for r in rows if r.school_year == "2026-2027"} == {
        "申请", "评议", "公示中", "已认定", "未通过"}
    known, short = aid.exceptions(ws), 0
    for row in rows[::3]:
        rec = recognition.get(ws, row.id)
        chain = recognition.events(ws, row.id)
        assert chain[0]["from_status"] is None and chain[-1]["status"] == rec["status"]
        assert all(a["status"] == b["from_status"] for a, b in itertools.pairwise(chain))
        if rec["notice_from"]:
            days = aid_rules.working_days(dt.date.fromisoformat(rec["notice_from"]),
                                          dt.date.fromisoformat(rec["notice_to"]), known)
            short += days < aid_rules.NOTICE_WORKING_DAYS
    assert short <= 2
    assert len(recognition.members(ws, rows[0].id)) >= 2
