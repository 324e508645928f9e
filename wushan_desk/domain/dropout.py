"""控辍保学: enrolment events, dropout cases with their status events, duties and visits.

Rules from domain.md section 2. A case's status changes only by a dated status event
(`dropout_status`) that names the status it moves from; the transitions allowed are in
`TRANSITIONS`. A closed case (已销号) is locked: later facts are new events on a new
case. "The status on date D" is the status of the last event dated on or before D, so
the board and the monthly figures of a past date never read today's status.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wushan_desk.domain import ids
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.inspection import AS_STATE, stored_before
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec

# -- enrolment (学籍变动) ---------------------------------------------------------------

ENROLMENT_CHANGES = ("入学", "转入", "转出", "休学", "复学", "毕业", "死亡", "其他")
#: The enrolment status each change leaves the student in.
ENROLMENT_STATUS_AFTER = {"入学": "在读", "转入": "在读", "复学": "在读", "转出": "转出",
                          "休学": "休学", "毕业": "毕业", "死亡": "死亡", "其他": "其他"}
ENROLMENT_STATUSES = ("在读", "休学", "转出", "毕业", "死亡", "其他")

# -- cases -----------------------------------------------------------------------------

REASONS = ("学习困难/厌学", "外出务工", "早婚早育", "宗教", "身体原因(疾病/残疾)", "因贫",
           "上学远/难", "监护缺失", "其他")
GROUPS = ("孤儿", "事实无人抚养", "残疾", "留守", "困境", "流动", "涉法涉诉")
NEVER_ENROLLED, SUSPECTED, DROPPED, PERSUADING = "失学", "疑似辍学", "辍学", "劝返中"
RETURNED, CLOSED = "已复学", "已销号"
OPEN_STATUSES = (NEVER_ENROLLED, SUSPECTED, DROPPED, PERSUADING)
PLACED_STATUSES = (RETURNED, "随班就读", "特殊教育学校", "送教上门", "康复机构送教",
                   "延缓入学", "转学")
STATUSES = (*OPEN_STATUSES, *PLACED_STATUSES, CLOSED)
PLACEMENTS = ("插班", "单独编班", "普职融合")
#: status -> the statuses a case may move to from it (已销号: none, the case is closed).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEVER_ENROLLED: (PERSUADING, *PLACED_STATUSES),
    SUSPECTED: (DROPPED, PERSUADING, *PLACED_STATUSES),
    DROPPED: (PERSUADING, *PLACED_STATUSES),
    PERSUADING: (DROPPED, *PLACED_STATUSES),
    **{placed: (CLOSED, SUSPECTED) for placed in PLACED_STATUSES},
    CLOSED: (),
}
DUTY_ROLES = ("乡镇", "村(社区)", "学校", "班主任", "家长")
VISIT_METHODS = ("家访", "电话", "约谈", "联合劝返", "送达限期返校通知书", "其他")
#: Days without a persuasion visit after which an open case stands out, unless the
#: workspace sets another (services/dropout.visit_every_days).
VISIT_EVERY_DAYS = 14


#: Set by the status-change use case: the only way a case's status changes.
STATUS_CHANGE: contextvars.ContextVar[bool] = contextvars.ContextVar("status_change",
                                                                     default=False)
#: Set by the open-case use case: the only way a case is made here (duplicates checked).
OPENING: contextvars.ContextVar[bool] = contextvars.ContextVar("opening", default=False)
#: Set by the sync judge for a change from a package: it was made by the use cases on
#: its laptop; only the rules about the change itself apply (a concurrent change of the
#: same case elsewhere is not the author's mistake).
INCOMING: contextvars.ContextVar[bool] = contextvars.ContextVar("incoming", default=False)


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def transition_problem(from_status: str, to_status: str, placement: str | None) -> str | None:
    """Why a case may not move from `from_status` to `to_status` (None: it may)."""
    if from_status == CLOSED:
        return "案件已销号，不能再改变状态；孩子再次失学辍学时请新建案件"
    if not allowed(from_status, to_status):
        allowed_now = "、".join(TRANSITIONS.get(from_status, ())) or "无"
        return f"案件状态不能从“{from_status}”改为“{to_status}”（可改为：{allowed_now}）"
    if to_status == RETURNED and placement not in PLACEMENTS:
        return f"改为“已复学”须注明安置方式（{'、'.join(PLACEMENTS)}）"
    return None


@dataclass(frozen=True)
class StatusEvent:
    """One dated status change of a case, as `status_on` reads it."""

    date: str  # ISO date
    status: str
    order: str = ""  # a tie-breaker within one day (the event's creation stamp)


def events_by_case(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[StatusEvent]]:
    """Status event rows (case_id, date, status, created_hlc) as each case's events."""
    out: dict[str, list[StatusEvent]] = {}
    for row in rows:
        out.setdefault(row["case_id"], []).append(
            StatusEvent(row["date"], row["status"], row["created_hlc"]))
    return out


def status_on(events: Iterable[StatusEvent], day: dt.date) -> str | None:
    """The status of a case on `day`: its last event dated on or before it (None: the
    case did not exist yet)."""
    dated = sorted((e for e in events if e.date <= day.isoformat()),
                   key=lambda e: (e.date, e.order))
    return dated[-1].status if dated else None


def since_on(events: Iterable[StatusEvent], day: dt.date) -> str | None:
    """The date from which the case has had its status on `day`."""
    dated = sorted((e for e in events if e.date <= day.isoformat()),
                   key=lambda e: (e.date, e.order))
    if not dated:
        return None
    since = dated[-1].date
    for event in reversed(dated[:-1]):
        if event.status != dated[-1].status:
            break
        since = event.date
    return since


def enrolment_status_on(changes: Iterable[Mapping[str, Any]], day: dt.date) -> str | None:
    """A student's enrolment status on `day` from their dated enrolment changes."""
    dated = sorted((c for c in changes if (c.get("date") or "") <= day.isoformat()),
                   key=lambda c: (c.get("date") or "", c.get("order") or ""))
    return ENROLMENT_STATUS_AFTER.get(dated[-1]["change"]) if dated else None


def is_overdue(next_due: str | None, last_visit: str | None, day: dt.date,
               every_days: int = VISIT_EVERY_DAYS) -> bool:
    """An open case stands out when its next step is past due, or no visit for too long."""
    if next_due and next_due < day.isoformat():
        return True
    if last_visit is None:
        return False
    return (day - dt.date.fromisoformat(last_visit)).days > every_days


# -- candidates (发现) -------------------------------------------------------------------

#: Days a transferred-out child may go without a receiving school before raising a flag.
TRANSFER_GRACE_DAYS = 30
TRANSFERRED_NOWHERE, LEAVE_OVER = "转出未接收", "休学逾期"
MISSING_FROM_ROSTER = "名册缺失"  # domain/term_rosters.py
CANDIDATE_RULES = (TRANSFERRED_NOWHERE, LEAVE_OVER, MISSING_FROM_ROSTER)


@dataclass(frozen=True)
class Flag:
    """Why a child may be out of school, and the event that raised it (a dismissal
    names that event: a new event raises a new flag)."""

    rule: str
    event_id: str  # the enrolment change, or the term roster, that raised it
    text: str
    date: str = ""  # the day of that event


def flags(changes: Iterable[Mapping[str, Any]], day: dt.date) -> list[Flag]:
    """The candidate rules a student's dated enrolment changes raise on `day`:
    transferred out with no school receiving them within 30 days; 休学 past its end."""
    dated = sorted((c for c in changes if (c.get("date") or "") <= day.isoformat()),
                   key=lambda c: (c.get("date") or "", c.get("order") or ""))
    if not dated:
        return []
    last = dated[-1]
    since = dt.date.fromisoformat(last["date"])
    if last["change"] == "转出" and (day - since).days > TRANSFER_GRACE_DAYS:
        where = "县外学校" if last.get("other_school") else "其他学校"
        return [Flag(TRANSFERRED_NOWHERE, last["id"],
                     f"{last['date']} 转出（去向：{last.get('other_school') or where}），"
                     f"{(day - since).days} 天仍无学校接收", last["date"])]
    if last["change"] == "休学" and last.get("until") and last["until"] < day.isoformat():
        return [Flag(LEAVE_OVER, last["id"],
                     f"休学至 {last['until']}，已过期仍未复学", last["date"])]
    return []


# -- record checks ----------------------------------------------------------------------


def _check_dismissal(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("dropout_dismissal")(record, lookup)
    raised_by = "term_roster" if record["rule"] == MISSING_FROM_ROSTER else "enrolment_change"
    # from a package: the roster may be held only in the zone the child came from
    if not (INCOMING.get() or AS_STATE.get()) and lookup(raised_by, record["event_id"]) is None:
        raise ValidationError("找不到引起这条疑似提示的学籍变动或名册", "event_id")


def _check_case(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("dropout_case")(record, lookup)
    stored = stored_before(lookup, "dropout_case", record)
    if stored is None and not (OPENING.get() or INCOMING.get() or AS_STATE.get()):
        raise ValidationError("新案件请用“登记案件”（会先查重并记下第一条状态）；命令行："
                              "wushan-desk records put 不能直接新建案件。", "status")
    if stored and stored.get("status") == CLOSED and any(
            stored.get(k) != v for k, v in record.items() if k != "id"):
        raise ValidationError("案件已销号，不能修改；新的情况请作为新案件登记。", "status")
    if stored and stored.get("status") != record.get("status") and not STATUS_CHANGE.get() \
            and not AS_STATE.get():
        raise ValidationError("案件状态只能通过“变更状态”（带日期和说明）来改。", "status")
    if record.get("status") == RETURNED and record.get("placement") not in PLACEMENTS:
        raise ValidationError(f"已复学须注明安置方式（{'、'.join(PLACEMENTS)}）", "placement")
    if not record.get("student_id") and not record.get("resident_id"):
        raise ValidationError("不在学籍名单上的孩子须填写身份证号", "resident_id")
    if record.get("resident_id"):
        ids.check_id_matches(record["resident_id"], _date(record.get("birth_date")),
                             record.get("sex"))
    stored_school = (stored or {}).get("school_id")
    if record.get("school_id") and record["school_id"] != stored_school:
        school = lookup("school", record["school_id"]) or {}  # a school moved later is fine
        if school.get("township_id") and school["township_id"] != record.get("township_id"):
            raise ValidationError("学校不在所填的乡镇（街道）", "township_id")


def _check_status(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("dropout_status")(record, lookup)
    if stored_before(lookup, "dropout_status", record) is not None:
        raise ValidationError("状态变更是历史记录，登记后不能修改；有新情况请再登记一次变更。",
                              "status")
    if AS_STATE.get():
        return
    incoming = INCOMING.get()
    if not (STATUS_CHANGE.get() or incoming):
        raise ValidationError("案件状态请用“变更状态”登记（命令行：wushan-desk dropout change），"
                              "它会同时更新案件并检查日期先后。", "status")
    case = lookup("dropout_case", record["case_id"]) or {}
    before = record.get("from_status")
    if before is None:  # the case's first event, written with the case
        if not incoming and case.get("status") not in (None, record["status"]):
            raise ValidationError("状态变更须注明原状态", "from_status")
        return
    if not incoming and case.get("status") not in (None, before):
        raise ValidationError(
            f"案件现在是“{case.get('status')}”，不是“{before}”：可能刚被别人改过，请刷新后再试。",
            "from_status")
    problem = transition_problem(before, record["status"], record.get("placement"))
    if problem:
        raise ValidationError(problem, "status")


def _check_child_of_case(kind: str) -> Any:
    def check(record: dict[str, Any], lookup: Lookup) -> None:
        check_refs(kind)(record, lookup)
        if AS_STATE.get():
            return
        case = lookup("dropout_case", record.get("case_id") or "") or {}
        stored = stored_before(lookup, kind, record)
        if case.get("status") == CLOSED and (stored is None or any(
                stored.get(k) != v for k, v in record.items() if k != "id")):
            raise ValidationError("案件已销号，不能再添加或修改记录。", "case_id")
    return check


def _check_enrolment(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("enrolment_change")(record, lookup)
    if stored_before(lookup, "enrolment_change", record) is not None and not AS_STATE.get():
        raise ValidationError("学籍变动是历史记录，登记后不能修改；请再登记一条更正的变动。",
                              "change")
    if record["change"] == "转入" and not record.get("from_school_id") \
            and not record.get("other_school"):
        raise ValidationError("转入须注明原学校", "from_school_id")
    if record["change"] == "休学" and not record.get("until"):
        raise ValidationError("休学须注明休学截止日期", "until")
    if record.get("until") and record["until"] < record["date"]:
        raise ValidationError("休学截止日期不能早于变动日期", "until")


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _history_kept(record: dict[str, Any], lookup: Lookup) -> None:
    raise ValidationError("这是历史记录，不能删除。")


register(
    Kind(
        "enrolment_change",
        "enrolment_changes",
        "学籍变动",
        (
            F("student_id", "学生", "ref", required=True, ref="student"),
            F("date", "变动日期", "date", required=True),
            F("change", "变动类型", "choice", required=True, choices=ENROLMENT_CHANGES),
            F("from_school_id", "原学校", "ref", ref="school"),
            F("to_school_id", "转入学校", "ref", ref="school"),
            F("other_school", "县外学校", max_length=100),
            F("until", "休学截止日期", "date"),
            F("note", "说明", max_length=500),
        ),
        check=_check_enrolment,
        delete_check=_history_kept,
        title_field="change",
    ),
    Kind(
        "dropout_dismissal",
        "dropout_dismissals",
        "排除的疑似对象",
        (
            F("student_id", "学生", "ref", required=True, ref="student"),
            F("rule", "发现规则", "choice", required=True, choices=CANDIDATE_RULES),
            F("event_id", "引起的学籍变动或名册", required=True, max_length=36),
            F("reason", "排除理由", required=True, max_length=500),
            F("date", "日期", "date", required=True),
        ),
        check=_check_dismissal,
        delete_check=_history_kept,
        title_field="reason",
    ),
    Kind(
        "dropout_case",
        "dropout_cases",
        "控辍保学案件",
        (
            F("student_id", "学生（学籍名单上的）", "ref", ref="student"),
            F("name", "姓名", required=True, max_length=40),
            F("sex", "性别", "choice", required=True, choices=("男", "女")),
            F("birth_date", "出生日期", "date", required=True),
            F("resident_id", "身份证号", sensitive=True,
              normalize=lambda t: ids.parse_resident_id(t).number),
            F("township_id", "乡镇（街道）", "ref", required=True, ref="township"),
            F("school_id", "学校", "ref", ref="school"),
            F("grade", "年级", max_length=20),
            F("reasons", "原因", "list", choices=REASONS),
            F("groups", "重点群体", "list", choices=GROUPS),
            F("plan", "一人一案", max_length=5000),
            F("status", "状态", "choice", required=True, choices=STATUSES),
            F("placement", "安置方式", "choice", choices=PLACEMENTS),
            F("opened_on", "登记日期", "date", required=True),
            F("guardian_name", "监护人", max_length=40),
            F("guardian_phone", "监护人电话", sensitive=True, normalize=ids.normalize_phone),
            F("address", "住址", sensitive=True, max_length=200),
        ),
        check=_check_case,
        delete_check=_history_kept,
    ),
    Kind(
        "dropout_status",
        "dropout_statuses",
        "案件状态变更",
        (
            F("case_id", "案件", "ref", required=True, ref="dropout_case"),
            F("date", "日期", "date", required=True),
            F("from_status", "原状态", "choice", choices=STATUSES),
            F("status", "新状态", "choice", required=True, choices=STATUSES),
            F("placement", "安置方式", "choice", choices=PLACEMENTS),
            F("note", "说明", max_length=2000),
            F("made_by", "登记人", max_length=40),
        ),
        check=_check_status,
        delete_check=_history_kept,
        title_field="status",
    ),
    Kind(
        "dropout_duty",
        "dropout_duties",
        "包保责任人",
        (
            F("case_id", "案件", "ref", required=True, ref="dropout_case"),
            F("role", "责任类别", "choice", required=True, choices=DUTY_ROLES),
            F("name", "姓名", required=True, max_length=40),
            F("phone", "电话", sensitive=True, normalize=ids.normalize_phone),
        ),
        check=_check_child_of_case("dropout_duty"),
        delete_check=_check_child_of_case("dropout_duty"),
    ),
    Kind(
        "dropout_visit",
        "dropout_visits",
        "劝返记录",
        (
            F("case_id", "案件", "ref", required=True, ref="dropout_case"),
            F("date", "日期", "date", required=True),
            F("method", "方式", "choice", required=True, choices=VISIT_METHODS),
            F("participants", "参加人员", required=True, max_length=500),
            F("result", "情况", required=True, max_length=5000),
            F("next_step", "下一步", max_length=1000),
            F("next_due", "下一步期限", "date"),
            F("attachment_ids", "照片、录音", "list", ref="attachment"),
        ),
        check=_check_child_of_case("dropout_visit"),
        delete_check=_history_kept,
        title_field="date",
    ),
)

