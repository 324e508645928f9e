"""督导检查: checklist templates, visits, answers, findings, follow-ups, signatures.

Rules from 中小学校责任督学挂牌督导办法 (domain.md section 1): a published checklist
version never changes (visits keep the version they used); a finalized, signed visit is
locked, and a later change is an amendment with a reason; findings carry a deadline and
close when a follow-up visit finds them rectified.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

YES_NO, SCORE, RATING, NUMBER, TEXT, CHOICE, PHOTO = (
    "符合/不符合",
    "评分",
    "评级",
    "数值",
    "文本",
    "选项",
    "照片",
)
ITEM_KINDS = (YES_NO, SCORE, RATING, NUMBER, TEXT, CHOICE, PHOTO)
METHODS = ("查阅资料", "听课", "访谈", "实地查看", "问卷")
TEMPLATE_STATUSES = ("草稿", "已发布", "已停用")
TEMPLATE_KINDS = ("经常性督导", "开学专项督导", "专项督导")
VISIT_KINDS = ("经常性", "专项", "复查")
DRAFT, FINAL = "草稿", "已定稿"
VISIT_STATUSES = (DRAFT, FINAL)
SEVERITIES = ("一般", "较重", "严重")
OPEN, PARTLY, FIXED, NOT_FIXED = "待整改", "部分整改", "已整改", "未整改"
FINDING_STATUSES = (OPEN, PARTLY, FIXED, NOT_FIXED)
CHECK_RESULTS = (FIXED, PARTLY, NOT_FIXED)
INSPECTOR, HEAD = "督学", "校长（园长）"
SIGNER_ROLES = (INSPECTOR, HEAD, "学校其他人员")
#: Who must sign before a visit is finalized (or 纸质签名: signed on the paper record).
REQUIRED_SIGNERS = (INSPECTOR, HEAD)

#: The parts of a visit, by kind, and the field naming their visit. A draft visit and
#: its parts are written on one computer only, the one where the visit was started (its
#: origin): two laptops, or the county office, filling in the same draft would sign
#: different content. Once finalized, changes go through an amendment, anywhere.
VISIT_PARTS = {
    "visit": "id",
    "visit_answer": "visit_id",
    "finding": "visit_id",
    "visit_signature": "visit_id",
    "visit_amendment": "visit_id",
    "finding_check": "visit_id",
}


def missing_signers(signatures: Iterable[Mapping[str, Any]], on_paper: bool) -> list[str]:
    """The roles still to sign before finalizing, in the order they sign."""
    if on_paper:
        return []
    signed = {s.get("role") for s in signatures}
    return [role for role in REQUIRED_SIGNERS if role not in signed]


YES, NO, NOT_APPLICABLE = "符合", "不符合", "不适用"
RATINGS = ("好", "中", "差")
#: Share of an item's points a rating earns (好 full marks, 中 60 %, 差 none).
RATING_SHARE = {"好": 1.0, "中": 0.6, "差": 0.0}

#: Set while an amendment with a reason is being written: the only way to change a
#: finalized visit. Services set it; the lock checks below read it.
AMENDING: contextvars.ContextVar[bool] = contextvars.ContextVar("amending", default=False)
#: Set by the finalize use case (signatures checked, totals computed) and by record_check
#: (a follow-up result may close a finding of a finalized visit).
FINALIZING: contextvars.ContextVar[bool] = contextvars.ContextVar("finalizing", default=False)
CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar("checking", default=False)
#: Set while a record arrives as state (a snapshot in a package): only the rules about
#: the record as it is apply, not the ones about how it got there (locks, transitions,
#: "published checklists do not change"): its history was judged where it was made.
AS_STATE: contextvars.ContextVar[bool] = contextvars.ContextVar("as_state", default=False)


def score_answer(item: Mapping[str, Any], value: str | None) -> float | None:
    """Points an answer earns; None when the item is not scored or not applicable.

    Raises ValidationError for a value the item's kind does not allow.
    """
    kind, top = item.get("item_kind"), float(item.get("max_score") or 0)
    if value in (None, "") or value == NOT_APPLICABLE:
        return None
    if kind == YES_NO:
        if value not in (YES, NO):
            raise ValidationError("应填“符合”“不符合”或“不适用”", "value")
        return (top if value == YES else 0.0) if top else None
    if kind == SCORE:
        try:
            points = float(value)
        except ValueError:
            raise ValidationError(f"得分应为 0 到 {top:g} 之间的数", "value") from None
        if not 0 <= points <= top:
            raise ValidationError(f"得分应在 0 到 {top:g} 之间", "value")
        return points
    if kind == RATING:
        if value not in RATING_SHARE:
            raise ValidationError("评级应为“好”“中”或“差”", "value")
        return round(top * RATING_SHARE[value], 2) if top else None
    if kind == NUMBER:
        try:
            float(value)
        except ValueError:
            raise ValidationError("应填数字", "value") from None
    if kind == CHOICE and value not in (item.get("choices") or []):
        raise ValidationError(f"应从“{'、'.join(item.get('choices') or [])}”中选择", "value")
    return None


def is_scored(item: Mapping[str, Any]) -> bool:
    return item.get("item_kind") in (YES_NO, SCORE, RATING) and bool(item.get("max_score"))


@dataclass(frozen=True)
class SectionScore:
    section: str
    got: float
    top: float
    answered: int
    items: int


def section_scores(
    items: Iterable[Mapping[str, Any]], answers: Mapping[str, Mapping[str, Any]]
) -> list[SectionScore]:
    """Scores per section in checklist order; `answers` by item id.

    An unanswered scored item counts its points as possible but not earned; a 不适用
    answer takes the item out of both.
    """
    order: list[str] = []
    sums: dict[str, list[float]] = {}
    for item in sorted(items, key=lambda i: i.get("position") or 0):
        section = item.get("section") or ""
        if section not in sums:
            order.append(section)
            sums[section] = [0.0, 0.0, 0, 0]
        answer = answers.get(item["id"]) or {}
        if answer.get("value") == NOT_APPLICABLE or not is_scored(item):
            continue
        acc = sums[section]
        acc[1] += float(item["max_score"])
        acc[3] += 1
        if answer.get("value") not in (None, ""):
            acc[0] += float(answer.get("score") or 0)
            acc[2] += 1
    return [
        SectionScore(
            s, round(sums[s][0], 2), round(sums[s][1], 2), int(sums[s][2]), int(sums[s][3])
        )
        for s in order
    ]


def is_overdue(finding: Mapping[str, Any], today: dt.date) -> bool:
    """Open and past its rectification deadline."""
    if (finding.get("status") or OPEN) == FIXED:
        return False
    return deadline_passed(finding.get("deadline"), today)


def deadline_passed(deadline: str | None, today: dt.date) -> bool:
    """A rectification deadline (ISO date) lies before `today`: the day itself is in time."""
    return bool(deadline) and dt.date.fromisoformat(str(deadline)) < today


def term_of(day: dt.date) -> str:
    """The school term a date falls in: autumn term Sep-Jan, spring term Feb-Aug."""
    if day.month >= 9:
        return f"{day.year}-{day.year + 1}学年第一学期"
    if day.month == 1:
        return f"{day.year - 1}-{day.year}学年第一学期"
    return f"{day.year - 1}-{day.year}学年第二学期"


def term_range(term: str) -> tuple[dt.date, dt.date]:
    """First and last day of a term named by `term_of`."""
    first_year = int(term[:4])
    if term.endswith("第一学期"):
        return dt.date(first_year, 9, 1), dt.date(first_year + 1, 1, 31)
    return dt.date(first_year + 1, 2, 1), dt.date(first_year + 1, 8, 31)


# --- what is missing before finalizing --------------------------------------------------

#: Why a visit cannot be finalized yet, one per item or signer.
UNANSWERED, NO_PHOTO, UNSIGNED = "未填写", "缺照片", "未签名"
#: How much of an item's text a message quotes (the list in the editor shows it all).
SHORT_TEXT = 16


def item_number(item: Mapping[str, Any], position: int) -> str:
    """An item's number as the checklist shows it: its 序号 ("7.3"), else its place
    (1-based) in the checklist. The editor's rows and every message use this."""
    return str(item.get("code") or position)


def in_order(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Checklist items in the order the checklist lists them (position, then id)."""
    return sorted(items, key=lambda i: (i.get("position") or 0, str(i.get("id") or "")))


@dataclass(frozen=True)
class Missing:
    """One thing a visit still lacks before it may be finalized: an item not answered
    or without its photo (`item_id`, `number` as printed, `text` the item's content),
    or a signer (`text` the role, no item)."""

    kind: str  # UNANSWERED, NO_PHOTO or UNSIGNED
    text: str
    number: str = ""
    item_id: str | None = None
    photo_too: bool = False  # unanswered, and the item needs a photo as well

    @property
    def what(self) -> str:
        return f"{self.kind}，须拍照" if self.photo_too else self.kind

    def label(self, short: bool = True) -> str:
        """“7.3 拍摄当日陪餐记录（含陪餐人签名）…” (short) or “督学签名”."""
        if self.item_id is None:
            return f"{self.text}签名"
        cut = short and len(self.text) > SHORT_TEXT
        return f"{self.number} {self.text[:SHORT_TEXT] + '…' if cut else self.text}"

    def line(self, short: bool = True) -> str:
        """“7.3 拍摄当日陪餐记录（含陪餐人签名）…（缺照片）”."""
        return f"{self.label(short)}（{self.what}）"


def finalize_problems(
    visit: Mapping[str, Any],
    items: Iterable[Mapping[str, Any]],
    answers: Mapping[str, Mapping[str, Any]],
    signatures: Iterable[Mapping[str, Any]],
) -> list[Missing]:
    """What keeps `visit` from being finalized (empty: nothing), items in checklist
    order, then the signers; `answers` by item id.

    - Every item is answered (不适用 is an answer). A 复查 re-checks findings: its
      checklist is optional, so only the items it does answer are judged.
    - An item marked 须拍照 has a photo: a 照片 item always, another unless 不适用.
    - The inspector and the head have signed (or 纸质签名 is ticked).

    The finalize use case refuses while any is left; the sync receiver takes a visit
    arriving finalized as finalized by that use case only when none is left."""
    follow_up = visit.get("kind") == "复查"
    out: list[Missing] = []
    for position, item in enumerate(in_order(items), start=1):
        problem = _item_missing(item, answers.get(str(item.get("id"))) or {}, follow_up)
        if problem is not None:
            out.append(Missing(problem[0], str(item.get("content") or ""),
                               item_number(item, position), str(item["id"]), problem[1]))
    on_paper = bool(visit.get("signed_on_paper"))
    out += [Missing(UNSIGNED, role) for role in missing_signers(signatures, on_paper)]
    return out


def _item_missing(item: Mapping[str, Any], answer: Mapping[str, Any], follow_up: bool
                  ) -> tuple[str, bool] | None:
    """(kind, photo too) of what one item lacks, or None."""
    value, photos = answer.get("value"), bool(answer.get("photo_ids"))
    answered = value not in (None, "")
    if follow_up and not answered and not photos:
        return None
    if item.get("item_kind") == PHOTO:  # its answer is the photo
        return None if photos else (NO_PHOTO, False)
    needs_photo = bool(item.get("photo_required")) and value != NOT_APPLICABLE and not photos
    if not answered:
        return UNANSWERED, needs_photo
    return (NO_PHOTO, False) if needs_photo else None


def finalize_refusal(problems: Sequence[Missing], shown: int = 8) -> str:
    """The message refusing 定稿, naming what is missing (the first `shown` of them)."""
    named = "；".join(p.line() for p in problems[:shown])
    more = "……" if len(problems) > shown else ""
    paper = "；签名也可勾选“已在纸质记录上签字”" if any(
        p.kind == UNSIGNED for p in problems) else ""
    return (f"还不能定稿，还有 {len(problems)} 项没有填齐：{named}{more}。"
            f"请补齐后再定稿{paper}。")


#: What an amendment may change: the visit's opinion and head, its answers and findings.
AMENDABLE = {
    "visit": {"id", "summary", "head_name"},
    "visit_answer": {"id", "visit_id", "item_id", "value", "score", "note", "photo_ids"},
    "finding": {
        "id",
        "visit_id",
        "item_id",
        "description",
        "severity",
        "requirement",
        "deadline",
        "responsible",
        "status",
        "closed_on",
    },
}


# --- validation rules ------------------------------------------------------------------


def answer_id(visit_id: str, item_id: str) -> str:
    """The one answer of a visit to an item has a fixed id: two devices answering the
    same item of the same visit edit one record instead of creating two."""
    return str(uuid.uuid5(uuid.UUID(visit_id), f"answer:{item_id}"))


def _locked_visit(lookup: Lookup, visit_id: str | None) -> bool:
    if AS_STATE.get():
        return False
    visit = lookup("visit", visit_id) if visit_id else None
    return bool(visit and visit.get("status") == FINAL) and not AMENDING.get()


def stored_before(lookup: Lookup, kind: str, record: Mapping[str, Any]
                  ) -> Mapping[str, Any] | None:
    """The record as stored before this write (None: new, or judged as state)."""
    if AS_STATE.get() or not record.get("id"):
        return None
    return lookup(kind, record["id"])


def _parent_fixed(lookup: Lookup, kind: str, record: Mapping[str, Any], *fields: str) -> None:
    """A row never moves to another visit, item or checklist: that would empty a locked one."""
    stored = stored_before(lookup, kind, record)
    for name in fields:
        if stored is not None and stored.get(name) != record.get(name):
            raise ValidationError("已建立的记录不能改属其他督导记录或检查表。", name)


def _check_template(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("checklist_template")(record, lookup)
    stored = stored_before(lookup, "checklist_template", record)
    if stored and stored.get("status") != "草稿":
        changed = [k for k, v in record.items() if k not in ("id", "status") and stored.get(k) != v]
        if changed or record.get("status") == "草稿":
            raise ValidationError("已发布的检查表不能修改，请“另存为新版本”后修改。", "status")


#: Item kinds that carry no points.
UNSCORED_KINDS = (NUMBER, TEXT, CHOICE, PHOTO)


def item_problems(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a checklist item beyond its field types: (field, Chinese
    message) pairs. One rule set for every door: a form, `records put`, an XLSX or JSON
    import, a package. (What the form accepts, an export and re-import accepts too.)"""
    problems: list[tuple[str, str]] = []
    kind, points = item.get("item_kind"), item.get("max_score")
    if not item.get("section"):
        problems.append(("section", "类别不能为空"))
    if not item.get("content"):
        problems.append(("content", "内容不能为空"))
    if kind not in ITEM_KINDS:
        problems.append(("item_kind", f"题型“{kind}”不是可选项，应为{'、'.join(ITEM_KINDS)}之一"))
    method = item.get("method")
    if method and method not in METHODS:
        problems.append(("method", f"检查方法“{method}”不是可选项，应为{'、'.join(METHODS)}之一"))
    if kind == SCORE and not points:
        problems.append(("max_score", "评分题必须填写大于 0 的分值"))
    if kind in UNSCORED_KINDS and points:
        problems.append(("max_score", f"“{kind}”题不计分，分值应留空"))
    choices = item.get("choices") or []
    if kind == CHOICE and len(choices) < 2:
        problems.append(("choices", "选项题至少要列出两个可选项"))
    if kind != CHOICE and choices:
        problems.append(("choices", "只有“选项”题才填写可选项"))
    if kind == PHOTO and not item.get("photo_required"):
        problems.append(("photo_required", "照片题必须拍照（须拍照应为“是”）"))
    return problems


def _check_item(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("checklist_item")(record, lookup)
    _parent_fixed(lookup, "checklist_item", record, "template_id")
    template = lookup("checklist_template", record["template_id"]) or {}
    stored = stored_before(lookup, "checklist_item", record)
    unchanged = stored is not None and all(stored.get(k) == v for k, v in record.items())
    if template.get("status") != "草稿" and not unchanged and not AS_STATE.get():
        raise ValidationError("已发布的检查表不能修改，请“另存为新版本”后修改。", "template_id")
    for field, message in item_problems(record)[:1]:
        raise ValidationError(message, field)


def _check_visit(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("visit")(record, lookup)
    stored = stored_before(lookup, "visit", record)
    if (
        stored
        and _locked_visit(lookup, record["id"])
        and any(stored.get(k) != v for k, v in record.items() if k != "id")
    ):
        raise ValidationError(
            "该督导记录已定稿签字，不能直接修改；请使用“更正”并说明理由。", "status"
        )
    if stored is None:
        _check_new_visit(record, lookup)
    was_final = stored is not None and stored.get("status") == FINAL
    if AS_STATE.get():
        pass  # how it was finalized, and by whom, was judged where it happened
    elif record.get("status") == FINAL and not was_final and not FINALIZING.get():
        raise ValidationError(
            "请用“定稿”：检查项目填齐、签名齐全后由程序定稿并计算总分。", "status")
    if was_final and record.get("status") != FINAL:
        raise ValidationError("已定稿的督导记录不能退回草稿。", "status")
    totals = ("total_score", "max_score", "finalized_on", "opinion_no", "notice_no")
    if any((stored or {}).get(k) != record.get(k) for k in totals) and not (
        FINALIZING.get() or AMENDING.get() or AS_STATE.get()
    ):
        raise ValidationError("总分由程序在定稿或更正时计算，不能直接填写。", "total_score")
    if not record.get("inspector_ids"):
        raise ValidationError("至少要有一名督学", "inspector_ids")


def _check_new_visit(record: Mapping[str, Any], lookup: Lookup) -> None:
    """A visit uses a published checklist; a 复查 may keep its original's, even retired."""
    template = lookup("checklist_template", record["template_id"]) or {}
    if record["kind"] == "复查":
        original = lookup("visit", record.get("follow_up_of") or "")
        if original is None:
            raise ValidationError("复查要选择被复查的督导记录", "follow_up_of")
        if original.get("school_id") != record["school_id"]:
            raise ValidationError("复查的学校应与被复查的督导记录相同", "school_id")
        if record["template_id"] == original.get("template_id"):
            return
    if template.get("status") != "已发布" and not AS_STATE.get():
        raise ValidationError("只能使用已发布的检查表开始督导。", "template_id")


def _check_answer(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("visit_answer")(record, lookup)
    _parent_fixed(lookup, "visit_answer", record, "visit_id", "item_id")
    if record.get("id") and record["id"] != answer_id(record["visit_id"], record["item_id"]):
        raise ValidationError("每项检查只能有一个结果", "item_id")
    if _locked_visit(lookup, record["visit_id"]):
        raise ValidationError("该督导记录已定稿签字，不能再修改答案；请使用“更正”。", "value")
    visit = lookup("visit", record["visit_id"]) or {}
    item = lookup("checklist_item", record["item_id"]) or {}
    if item.get("template_id") != visit.get("template_id"):
        raise ValidationError("该检查项不属于本次督导使用的检查表", "item_id")
    expected = score_answer(item, record.get("value"))
    if record.get("score") != expected:
        raise ValidationError("得分与答案不一致", "score")


def _check_finding(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("finding")(record, lookup)
    _parent_fixed(lookup, "finding", record, "visit_id")
    visit = lookup("visit", record["visit_id"]) or {}
    if record["deadline"] < (visit.get("date") or ""):
        raise ValidationError("整改期限不能早于督导日期", "deadline")
    stored = stored_before(lookup, "finding", record)
    if _locked_visit(lookup, record["visit_id"]):
        # after finalizing only a follow-up check (record_check) moves the status
        may_change = ("id", "status", "closed_on") if CHECKING.get() else ("id",)
        if stored is None or any(
            stored.get(k) != v for k, v in record.items() if k not in may_change
        ):
            raise ValidationError(
                "该督导记录已定稿签字，问题清单不能直接修改；请使用“更正”。", "description"
            )
    if record.get("status") == FIXED and not record.get("closed_on"):
        raise ValidationError("已整改的问题要填写销号日期", "closed_on")


def _check_finding_check(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("finding_check")(record, lookup)
    _parent_fixed(lookup, "finding_check", record, "finding_id", "visit_id")
    finding = lookup("finding", record["finding_id"]) or {}
    check_visit = lookup("visit", record["visit_id"]) or {}
    if check_visit.get("kind") != "复查" or check_visit.get("follow_up_of") != finding.get(
        "visit_id"
    ):
        raise ValidationError("复查结果要记在对该次督导的复查记录里", "visit_id")
    if _locked_visit(lookup, record["visit_id"]):
        raise ValidationError("该复查记录已定稿，不能再改复查结论。", "result")


def _check_signature(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("visit_signature")(record, lookup)
    _parent_fixed(lookup, "visit_signature", record, "visit_id")
    if _locked_visit(lookup, record["visit_id"]):
        raise ValidationError("该督导记录已定稿，不能再改签名。", "attachment_id")
    if not record.get("attachment_id") and not record.get("on_paper"):
        raise ValidationError("请在屏幕上签名，或勾选“纸质签名”", "attachment_id")


def _check_amendment(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("visit_amendment")(record, lookup)
    stored = stored_before(lookup, "visit_amendment", record)
    if stored is not None and any(stored.get(k) != v for k, v in record.items() if k != "id"):
        raise ValidationError("更正记录一经保存不能修改。", "reason")


# --- what may be deleted (tombstoned) ------------------------------------------------


def _no_delete_when_locked(parent_field: str) -> Callable[[dict[str, Any], Lookup], None]:
    def check(record: dict[str, Any], lookup: Lookup) -> None:
        if _locked_visit(lookup, record.get(parent_field)):
            raise ValidationError("该督导记录已定稿签字，不能删除其中的内容；请使用“更正”。")

    return check


def _no_delete_visit(record: dict[str, Any], lookup: Lookup) -> None:
    if record.get("status") == FINAL:
        raise ValidationError("已定稿的督导记录不能删除。")


def _no_delete_published(record: dict[str, Any], lookup: Lookup) -> None:
    template = (
        record
        if "template_id" not in record
        else (lookup("checklist_template", record["template_id"]) or {})
    )
    if template.get("status") != "草稿":
        raise ValidationError("已发布的检查表不能删除或修改，可以“停用”。")


def _never(record: dict[str, Any], lookup: Lookup) -> None:
    raise ValidationError("这类记录只增不删。")


F = FieldSpec
register(
    Kind(
        "checklist_template",
        "checklist_templates",
        "督导检查表",
        (
            F("name", "名称", required=True),
            F("template_kind", "类别", "choice", required=True, choices=TEMPLATE_KINDS),
            F("version", "版本", "int", required=True),
            F("status", "状态", "choice", required=True, choices=TEMPLATE_STATUSES),
            F("published_on", "发布日期", "date"),
            F("supersedes_id", "替代的版本", "ref", ref="checklist_template"),
            F("default_deadline_days", "默认整改期限（天）", "int"),
            F("note", "说明", max_length=2000),
        ),
        check=_check_template,
        delete_check=_no_delete_published,
    ),
    Kind(
        "checklist_item",
        "checklist_items",
        "检查项目",
        (
            F("template_id", "检查表", "ref", required=True, ref="checklist_template"),
            F("section", "类别", required=True, max_length=100),
            F("position", "顺序", "int", required=True),
            F("code", "序号", max_length=20),
            F("content", "内容及要求", required=True, max_length=2000),
            F("item_kind", "题型", "choice", required=True, choices=ITEM_KINDS),
            F("max_score", "分值", "number"),
            F("deduction_rule", "扣分标准", max_length=2000),
            F("method", "检查方法", "choice", choices=METHODS),
            F("choices", "可选项", "list"),
            F("deadline_days", "整改期限（天）", "int"),
            F("photo_required", "须拍照", "bool"),
        ),
        check=_check_item,
        delete_check=_no_delete_published,
        title_field="content",
    ),
    Kind(
        "visit",
        "visits",
        "督导记录",
        (
            F("school_id", "学校", "ref", required=True, ref="school"),
            F("date", "督导日期", "date", required=True),
            F("kind", "督导类型", "choice", required=True, choices=VISIT_KINDS),
            F("template_id", "检查表", "ref", required=True, ref="checklist_template"),
            F("inspector_ids", "督学", "list", ref="staff"),
            F("term", "学期", max_length=40),
            F("status", "状态", "choice", required=True, choices=VISIT_STATUSES),
            F("summary", "督导意见", max_length=5000),
            F("follow_up_of", "复查的督导记录", "ref", ref="visit"),
            F("head_name", "校长（园长）", max_length=40),
            F("signed_on_paper", "纸质签名", "bool"),
            F("finalized_on", "定稿日期", "date"),
            F("total_score", "总得分", "number"),
            F("max_score", "总分值", "number"),
            # 发文字号, given out at 定稿 (domain/doc_numbers.py)
            F("opinion_no", "督导意见书文号", max_length=40),
            F("notice_no", "整改通知书文号", max_length=40),
        ),
        check=_check_visit,
        delete_check=_no_delete_visit,
        title_field="date",
    ),
    Kind(
        "visit_answer",
        "visit_answers",
        "检查结果",
        (
            F("visit_id", "督导记录", "ref", required=True, ref="visit"),
            F("item_id", "检查项目", "ref", required=True, ref="checklist_item"),
            F("value", "结果", max_length=2000),
            F("score", "得分", "number"),
            F("note", "佐证说明", max_length=2000),
            F("photo_ids", "照片", "list", ref="attachment"),
        ),
        check=_check_answer,
        delete_check=_no_delete_when_locked("visit_id"),
        title_field="value",
    ),
    Kind(
        "finding",
        "findings",
        "发现问题",
        (
            F("visit_id", "督导记录", "ref", required=True, ref="visit"),
            F("item_id", "检查项目", "ref", ref="checklist_item"),
            F("description", "问题", required=True, max_length=2000),
            F("severity", "程度", "choice", required=True, choices=SEVERITIES),
            F("requirement", "整改要求", required=True, max_length=2000),
            F("deadline", "整改期限", "date", required=True),
            F("responsible", "学校责任人", max_length=40),
            F("status", "整改状态", "choice", required=True, choices=FINDING_STATUSES),
            F("closed_on", "销号日期", "date"),
        ),
        check=_check_finding,
        delete_check=_no_delete_when_locked("visit_id"),
        title_field="description",
    ),
    Kind(
        "finding_check",
        "finding_checks",
        "复查结果",
        (
            F("finding_id", "问题", "ref", required=True, ref="finding"),
            F("visit_id", "复查记录", "ref", required=True, ref="visit"),
            F("result", "复查结论", "choice", required=True, choices=CHECK_RESULTS),
            F("note", "佐证说明", max_length=2000),
            F("photo_ids", "照片", "list", ref="attachment"),
            F("checked_on", "复查日期", "date", required=True),
        ),
        check=_check_finding_check,
        delete_check=_no_delete_when_locked("visit_id"),
        title_field="result",
    ),
    Kind(
        "visit_signature",
        "visit_signatures",
        "签名",
        (
            F("visit_id", "督导记录", "ref", required=True, ref="visit"),
            F("role", "身份", "choice", required=True, choices=SIGNER_ROLES),
            F("name", "姓名", required=True, max_length=40),
            F("attachment_id", "签名图像", "ref", ref="attachment"),
            F("on_paper", "纸质签名", "bool"),
            F("signed_on", "签名日期", "date", required=True),
        ),
        check=_check_signature,
        delete_check=_no_delete_when_locked("visit_id"),
    ),
    Kind(
        "visit_amendment",
        "visit_amendments",
        "更正记录",
        (
            F("visit_id", "督导记录", "ref", required=True, ref="visit"),
            F("reason", "更正理由", required=True, max_length=2000),
            F("changes", "更正内容", required=True, max_length=10_000),
            F("amended_on", "更正日期", "date", required=True),
            F("amended_by", "更正人", max_length=40),
            # the 校验码 of the 督导意见书 it replaces: the new version names the old one
            F("supersedes", "更正前的校验码", max_length=64),
        ),
        check=_check_amendment,
        delete_check=_never,
        title_field="reason",
    ),
)
