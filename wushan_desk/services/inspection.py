"""督导检查 use cases: start a visit, answer, record findings, sign, finalize, amend,
follow up, and the lists built on them (open and overdue findings, term coverage).

The GUI's visit editor, the CLI and the demo generator call these; every write goes
through services.records so validation, locks and the sync change log always apply.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wushan_desk.domain import clock, entities
from wushan_desk.domain import inspection as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.services import attachments, doc_numbers, records
from wushan_desk.store import inspection_queries as q
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import authorship, identity

DEFAULT_DEADLINE_DAYS = 30


def _get(ws: Workspace, kind: str, record_id: str) -> dict[str, Any]:
    record = records.get(ws, kind, record_id)
    if record is None:
        raise ValidationError(f"找不到该{_LABELS.get(kind, kind)}（{record_id[:8]}）。")
    return record


_LABELS = {
    "visit": "督导记录",
    "finding": "问题",
    "checklist_item": "检查项目",
    "checklist_template": "检查表",
    "school": "学校",
}


def start_visit(
    ws: Workspace,
    *,
    school_id: str,
    template_id: str,
    inspector_ids: list[str],
    date: dt.date,
    kind: str = "经常性",
    follow_up_of: str | None = None,
    head_name: str | None = None,
) -> str:
    """A new draft visit of a school with a published checklist (a 复查: its original's)."""
    _get(ws, "checklist_template", template_id)
    return records.put(
        ws,
        "visit",
        {
            "school_id": school_id,
            "date": date.isoformat(),
            "kind": kind,
            "template_id": template_id,
            "inspector_ids": inspector_ids,
            "term": rules.term_of(date),
            "status": rules.DRAFT,
            "follow_up_of": follow_up_of,
            "head_name": head_name,
        },
    ).id


def answer(
    ws: Workspace,
    visit_id: str,
    item_id: str,
    value: str | None,
    note: str | None = None,
    photo_ids: Iterable[str] = (),
) -> str:
    """Set (or change) the answer to one item; its score is computed from the item."""
    with ws.transaction():
        item = _get(ws, "checklist_item", item_id)
        record = {
            "id": rules.answer_id(visit_id, item_id),
            "visit_id": visit_id,
            "item_id": item_id,
            "value": value,
            "score": rules.score_answer(item, value),
            "note": note,
            "photo_ids": list(photo_ids),
        }
        return records.put(ws, "visit_answer", record).id


def add_finding(
    ws: Workspace,
    visit_id: str,
    *,
    description: str,
    requirement: str,
    severity: str = "一般",
    deadline: dt.date | None = None,
    item_id: str | None = None,
    responsible: str | None = None,
) -> str:
    """A problem found, with what the school must do and by when (default by item/template)."""
    with ws.transaction():
        visit = _get(ws, "visit", visit_id)
        if deadline is None:
            deadline = default_deadline(ws, visit, item_id)
        finding = {
            "visit_id": visit_id,
            "item_id": item_id,
            "description": description,
            "severity": severity,
            "requirement": requirement,
            "deadline": deadline.isoformat(),
            "responsible": responsible,
            "status": rules.OPEN,
        }
        return records.put(ws, "finding", finding).id


def default_deadline(ws: Workspace, visit: Mapping[str, Any], item_id: str | None) -> dt.date:
    """The visit date plus the item's days, else the checklist's, else 30 days."""
    item = records.get(ws, "checklist_item", item_id) if item_id else None
    template = records.get(ws, "checklist_template", visit["template_id"]) or {}
    days = int(
        (item or {}).get("deadline_days")
        or template.get("default_deadline_days")
        or DEFAULT_DEADLINE_DAYS
    )
    return dt.date.fromisoformat(visit["date"]) + dt.timedelta(days=days)


def sign(
    ws: Workspace,
    visit_id: str,
    *,
    role: str,
    name: str,
    png: bytes | None = None,
    on_paper: bool = False,
    day: dt.date | None = None,
) -> str:
    """A signature captured on screen (PNG) or noted as signed on paper.

    Signing again replaces the earlier signature of the same person (for the head, of
    whoever signed as head): the document shows one per person. The head's name is
    kept on the visit as well.
    """
    with ws.transaction():  # the image and the signature record together, or neither
        visit = _get(ws, "visit", visit_id)
        if visit["status"] == rules.FINAL:
            raise ValidationError("该督导记录已定稿，不能再改签名。")
        for earlier in q.visit_signatures(ws, visit_id):
            if earlier["role"] == role and (earlier["name"] == name or role == rules.HEAD):
                records.delete(ws, "visit_signature", earlier["id"])
        if role == rules.HEAD and visit.get("head_name") != name:
            records.put(ws, "visit", {"id": visit_id, "head_name": name})
        attachment_id = None
        if png:
            attachment_id = attachments.add_bytes(
                ws, png, f"签名-{role}-{name}.png", owner_kind="visit", owner_id=visit_id,
                note=f"{role}签名",
            )
        return records.put(
            ws,
            "visit_signature",
            {
                "visit_id": visit_id,
                "role": role,
                "name": name,
                "attachment_id": attachment_id,
                "on_paper": on_paper,
                "signed_on": (day or clock.today()).isoformat(),
            },
        ).id


@dataclass(frozen=True)
class VisitDetail:
    """Everything the editor and the report show about one visit."""

    visit: dict[str, Any]
    school: dict[str, Any]
    template: dict[str, Any]
    items: list[dict[str, Any]]
    answers: dict[str, dict[str, Any]]  # by item id
    findings: list[dict[str, Any]]
    signatures: list[dict[str, Any]]
    amendments: list[dict[str, Any]]
    inspectors: list[dict[str, Any]]
    sections: list[rules.SectionScore] = field(default_factory=list)
    #: Why this computer may only look at the draft (it was started on another), or None.
    held_elsewhere: str | None = None

    @property
    def total(self) -> tuple[float, float]:
        return (
            round(sum(s.got for s in self.sections), 2),
            round(sum(s.top for s in self.sections), 2),
        )

    @property
    def locked(self) -> bool:
        return self.visit["status"] == rules.FINAL

    @property
    def read_only(self) -> bool:
        """Finalized, or a draft that belongs to another computer."""
        return self.locked or self.held_elsewhere is not None

    @property
    def missing_signers(self) -> list[str]:
        """Who still has to sign before 定稿 (empty once all have, or 纸质签名)."""
        return rules.missing_signers(self.signatures, bool(self.visit.get("signed_on_paper")))

    @property
    def problems(self) -> list[rules.Missing]:
        """What is still missing before 定稿 (empty: ready): see rules.finalize_problems."""
        return rules.finalize_problems(self.visit, self.items, self.answers, self.signatures)


def detail(ws: Workspace, visit_id: str) -> VisitDetail:
    visit = _get(ws, "visit", visit_id)
    items = q.template_items(ws, visit["template_id"])
    answers = {a["item_id"]: a for a in q.visit_answers(ws, visit_id)}
    return VisitDetail(
        visit=visit,
        school=records.get(ws, "school", visit["school_id"]) or {},
        template=records.get(ws, "checklist_template", visit["template_id"]) or {},
        items=items,
        answers=answers,
        findings=q.visit_findings(ws, visit_id),
        signatures=q.visit_signatures(ws, visit_id),
        amendments=q.visit_amendments(ws, visit_id),
        inspectors=[s for i in visit["inspector_ids"] if (s := records.get(ws, "staff", i))],
        sections=rules.section_scores(items, answers),
        held_elsewhere=authorship.draft_refusal(ws, "visit", visit, ws.device_id),
    )


def finalize(ws: Workspace, visit_id: str, day: dt.date | None = None) -> VisitDetail:
    """Lock a complete, signed visit: totals are fixed; later changes need an amendment.

    Refused (ValidationError naming each item by number and text) while an item is
    unanswered, a photo-required item has no photo, or a signature is missing."""
    token = rules.FINALIZING.set(True)
    try:
        with ws.transaction():  # checked and locked against the visit as stored now
            d = detail(ws, visit_id)
            if d.locked:
                raise ValidationError("该督导记录已经定稿。")
            if d.problems:
                raise ValidationError(rules.finalize_refusal(d.problems))
            got, top = d.total
            on = day or clock.today()
            # 发文字号 of its documents: the opinion, and the notice when there are problems
            numbers = doc_numbers.allocate(ws, on.year, 2 if d.findings else 1)
            final = {
                "id": visit_id,
                "status": rules.FINAL,
                "finalized_on": on.isoformat(),
                "total_score": got,
                "max_score": top,
                "opinion_no": numbers[0],
                "notice_no": numbers[1] if d.findings else None,
            }
            records.put(ws, "visit", final)
            return detail(ws, visit_id)
    finally:
        rules.FINALIZING.reset(token)


def amend(
    ws: Workspace,
    visit_id: str,
    reason: str,
    edits: list[tuple[str, dict[str, Any]]],
    *,
    by: str | None = None,
    day: dt.date | None = None,
) -> str:
    """Change a finalized visit: the edits and the reason are kept as an amendment.

    `edits` are (kind, record with id and changed fields) of the visit, its answers or
    findings. All or nothing; the totals follow changed answers.
    """
    if not reason or not reason.strip():
        raise ValidationError("更正必须说明理由。")
    described: list[str] = []
    token = rules.AMENDING.set(True)
    try:
        with ws.transaction():
            if not detail(ws, visit_id).locked:
                raise ValidationError("草稿可以直接修改，不需要更正。")
            supersedes = _opinion_digest(ws, visit_id)
            for kind, record in edits:
                before = _amendable(ws, visit_id, kind, record)
                if kind == "visit_answer":  # the score follows the answer, new or changed
                    item = _get(ws, "checklist_item", (before or record)["item_id"])
                    value = record.get("value", (before or {}).get("value"))
                    record = record | {"score": rules.score_answer(item, value)}
                records.put(ws, kind, record)
                described += _describe(ws, kind, before, record)
            refreshed = detail(ws, visit_id)
            got, top = refreshed.total
            totals: dict[str, Any] = {"id": visit_id, "total_score": got, "max_score": top}
            if refreshed.findings and not refreshed.visit.get("notice_no"):
                # the first problem came with this amendment: its 整改通知书 needs a number
                on = dt.date.fromisoformat(refreshed.visit.get("finalized_on")
                                           or refreshed.visit["date"])
                totals["notice_no"] = doc_numbers.allocate(ws, on.year, 1)[0]
            records.put(ws, "visit", totals)
            return records.put(
                ws,
                "visit_amendment",
                {
                    "visit_id": visit_id,
                    "reason": reason.strip(),
                    "changes": json.dumps(described, ensure_ascii=False),
                    "amended_on": (day or clock.today()).isoformat(),
                    "amended_by": by,
                    "supersedes": supersedes,
                },
            ).id
    finally:
        rules.AMENDING.reset(token)


def _opinion_digest(ws: Workspace, visit_id: str) -> str:
    """The 校验码 (first 16 hex digits of the content hash) of the visit's 督导意见书 as
    it prints now: the amended version's 更正记录 names the version it replaces."""
    from wushan_desk import reports
    from wushan_desk.services import inspection_report

    d = detail(ws, visit_id)
    # as the centre whose laptop made the visit prints it (the hub may be amending it)
    origin = identity.device_row(ws, q.visit_origin(ws, visit_id) or "") or {}
    document = inspection_report.inspection_document(ws, d, origin.get("centre_id"))
    return reports.content_hash(document)[:16]


@dataclass(frozen=True)
class AnswerShown:
    """An answer as the editor shows it while amending."""

    item_id: str
    value: str | None
    note: str | None
    photo_ids: list[str]


def amendment_edits(
    d: VisitDetail,
    answers: Iterable[AnswerShown],
    findings: Iterable[Mapping[str, Any]] = (),
    summary: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The edits an amendment makes, for `amend`: the answers shown compared with the
    visit as signed (unchanged ones left out; a new answer names its item), the
    findings added or changed, and the opinion if it differs (`summary` None: not
    edited). Empty: nothing to amend."""
    edits: list[tuple[str, dict[str, Any]]] = []
    for shown in answers:
        values = {"value": shown.value, "note": shown.note, "photo_ids": list(shown.photo_ids)}
        stored = d.answers.get(shown.item_id)
        if stored and all(stored.get(k) == v for k, v in values.items()):
            continue
        if not stored and not any(values.values()):
            continue  # touched and left empty: nothing was answered
        key = {"id": stored["id"]} if stored else {"visit_id": d.visit["id"],
                                                   "item_id": shown.item_id}
        edits.append(("visit_answer", key | values))
    edits += [("finding", dict(finding)) for finding in findings]
    if summary is not None and summary != (d.visit.get("summary") or ""):
        edits.append(("visit", {"id": d.visit["id"], "summary": summary}))
    return edits


AMENDABLE = rules.AMENDABLE


def _amendable(
    ws: Workspace, visit_id: str, kind: str, record: dict[str, Any]
) -> dict[str, Any] | None:
    """The stored record an amendment edits (None for a new answer or finding), checked to
    belong to this visit and to change only what an amendment may change: not the
    status of a finding (only a 复查 closes it), not the visit's status or totals."""
    if kind not in AMENDABLE or set(record) - AMENDABLE[kind]:
        raise ValidationError("更正只能修改督导意见、检查结果和问题清单。")
    if kind == "visit_answer" and not record.get("id"):
        record["id"] = rules.answer_id(visit_id, record.get("item_id") or "")
    before = records.get(ws, kind, record["id"]) if record.get("id") else None
    owner = (before or record).get("id" if kind == "visit" else "visit_id")
    if owner != visit_id or record.get("visit_id", owner) != owner:
        raise ValidationError("更正只能修改本次督导记录的内容。")
    if kind == "finding":
        status = (before or {}).get("status", rules.OPEN)
        if record.get("status", status) != status or record.get(
            "closed_on", (before or {}).get("closed_on")
        ) != (before or {}).get("closed_on"):
            raise ValidationError("问题的整改状态只能通过复查改变。")
    return before


def _describe(ws: Workspace, kind: str, before: Mapping[str, Any] | None,
              after: Mapping[str, Any]) -> list[str]:
    """An amendment's changes in the user's words: “3.1 开齐国家课程 结果：6 → 8”."""
    record = {**(before or {}), **after}
    if kind == "visit_answer":
        item = records.get(ws, "checklist_item", record.get("item_id") or "") or {}
        subject = f"{item.get('code') or ''} {str(item.get('content', ''))[:16]}".strip()
    elif kind == "finding":
        subject = f"问题“{str(record.get('description', ''))[:16]}”"
    else:
        subject = "督导记录"
    if before is None:
        return [f"新增{_LABELS.get(kind, kind)}：{subject}"]
    spec = entities.kind(kind)
    return [
        f"{subject} {spec.field(k).label}：{_shown(before.get(k))} → {_shown(v)}"
        for k, v in after.items()
        if k in spec.field_names and k not in ("score", "visit_id", "item_id")
        and before.get(k) != v
    ]


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "（空）"
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)


def follow_up(ws: Workspace, visit_id: str, *, date: dt.date, inspector_ids: list[str]) -> str:
    """A 复查 visit of the same school with the same checklist, linked to the original."""
    original = _get(ws, "visit", visit_id)
    return start_visit(
        ws,
        school_id=original["school_id"],
        template_id=original["template_id"],
        inspector_ids=inspector_ids,
        date=date,
        kind="复查",
        follow_up_of=visit_id,
        head_name=original.get("head_name"),
    )


def record_check(
    ws: Workspace,
    finding_id: str,
    check_visit_id: str,
    result: str,
    *,
    day: dt.date,
    note: str | None = None,
    photo_ids: Iterable[str] = (),
    check_id: str | None = None,
) -> str:
    """The result of re-checking a finding; 已整改 closes it (销号).

    With `check_id` the result recorded earlier in the same 复查 is corrected instead of
    adding a second one.
    """
    if result not in rules.CHECK_RESULTS:
        raise ValidationError(f"复查结论应为{'、'.join(rules.CHECK_RESULTS)}之一。")
    token = rules.CHECKING.set(True)  # the follow-up may close a finalized visit's finding
    try:
        return _record_check(ws, finding_id, check_visit_id, result, day, note, photo_ids, check_id)
    finally:
        rules.CHECKING.reset(token)


def _record_check(
    ws: Workspace,
    finding_id: str,
    check_visit_id: str,
    result: str,
    day: dt.date,
    note: str | None,
    photo_ids: Iterable[str],
    check_id: str | None,
) -> str:
    with ws.transaction():
        check = {
            "finding_id": finding_id,
            "visit_id": check_visit_id,
            "result": result,
            "note": note,
            "photo_ids": list(photo_ids),
            "checked_on": day.isoformat(),
        }
        check_id = records.put(
            ws, "finding_check", check | ({"id": check_id} if check_id else {})
        ).id
        records.put(
            ws,
            "finding",
            {
                "id": finding_id,
                "status": result,
                "closed_on": day.isoformat() if result == rules.FIXED else None,
            },
        )
    return check_id


def list_visits(
    ws: Workspace,
    today: dt.date,
    *,
    school_id: str | None = None,
    inspector_id: str | None = None,
    status: str | None = None,
    term: str | None = None,
    overdue_only: bool = False,
    zone: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Visits newest first with school, township, finding counts and `overdue` (an
    unrectified finding past its deadline on `today`): the visits list and a school's
    history show these, with the same rule as the findings list."""
    out = []
    for visit in q.visits(ws, school_id=school_id, inspector_id=inspector_id, status=status,
                          zone=zone):
        if term and visit["term"] != term:
            continue
        visit["overdue"] = rules.deadline_passed(visit["earliest_deadline"], today)
        if overdue_only and not visit["overdue"]:
            continue
        out.append(visit)
    return out


def findings_of(ws: Workspace, visit_id: str) -> list[dict[str, Any]]:
    """The findings of one visit, in the order they were recorded."""
    return q.visit_findings(ws, visit_id)


def open_findings(
    ws: Workspace,
    today: dt.date,
    *,
    school_id: str | None = None,
    zone: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Unrectified findings, earliest deadline first, each marked `overdue`."""
    return [
        f | {"overdue": rules.is_overdue(f, today)}
        for f in q.open_findings(ws, school_id=school_id, zone=zone)
    ]


@dataclass(frozen=True)
class CoverageRow:
    school_id: str
    school: str
    township: str
    visits: int
    inspectors: list[str]


def coverage(
    ws: Workspace, term: str, *, minimum: int = 2, zone: tuple[str, ...] | None = None
) -> list[CoverageRow]:
    """Schools with fewer than `minimum` routine (经常性) visits in a term."""
    first, last = rules.term_range(term)
    names = {r["id"]: r["name"] for r in records.iter_records(ws, "staff")}
    by_school = q.inspectors_of_schools(ws)
    return [
        CoverageRow(
            r["school_id"],
            r["school"],
            r["township"] or "",
            r["visits"],
            [names.get(i, "") for i in by_school.get(r["school_id"], [])],
        )
        for r in q.visit_counts(ws, first.isoformat(), last.isoformat(), zone)
        if r["visits"] < minimum
    ]
