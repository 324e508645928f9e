"""家庭经济困难学生认定: one recognition per student per school year, with a lawful notice.

教财〔2018〕16号: the family applies, the school assesses (home visit, interview,
民主评议), posts a public notice of at least five working days that shows no sensitive
data, then decides and files. A recognition's status changes only by a dated event
(`aid_recognition_event`) naming the status it moves from; `TRANSITIONS` says which
moves are allowed. A decided recognition (已认定, 未通过, 撤销) is locked: a family whose
circumstances changed gets a re-check, a new recognition that names the old one
(`recheck_of`); when the re-check is decided the old one is revoked, both are kept.

The five working days are counted with the calendar (services/aid.count_working_days)
by the use case that decides; a notice shorter than that which arrives from elsewhere is
found by the cross-check at the hub, not refused here, since the sender counted with its
own copy of the calendar.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from wushan_desk.domain.aid import HARDSHIP_LEVELS
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.inspection import AS_STATE, stored_before
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec

APPLIED, REVIEWED, NOTICE, RECOGNISED = "申请", "评议", "公示中", "已认定"
REJECTED, REVOKED = "未通过", "撤销"
STATUSES = (APPLIED, REVIEWED, NOTICE, RECOGNISED, REJECTED, REVOKED)
#: Statuses after which nothing about the recognition changes (but 已认定 -> 撤销).
DECIDED = (RECOGNISED, REJECTED, REVOKED)
#: status -> the statuses it may move to. An objection during the notice sends the
#: application back to 评议.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    APPLIED: (REVIEWED, REJECTED, REVOKED),
    REVIEWED: (NOTICE, REJECTED, REVOKED),
    NOTICE: (RECOGNISED, REVIEWED, REJECTED, REVOKED),
    RECOGNISED: (REVOKED,),
    REJECTED: (),
    REVOKED: (),
}
#: Who a family may be (教财〔2018〕16号 and domain.md): several may apply.
GROUPS = ("脱贫家庭", "监测户", "低保", "特困供养", "孤儿", "事实无人抚养", "残疾",
          "优抚对象", "重大疾病", "遭受灾害", "突发意外", "其他")
RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄弟姐妹", "本人",
             "其他亲属", "其他")
HEALTH = ("健康", "慢性病", "重大疾病", "残疾", "其他")

#: Set by the status-change use case: the only way a recognition's status changes.
STATUS_CHANGE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "recognition_status_change", default=False)
#: Set by the application use case: the only way a recognition is made here.
APPLYING: contextvars.ContextVar[bool] = contextvars.ContextVar("applying", default=False)
#: Set by the sync judge for a change from a package (made by the use cases there).
INCOMING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "recognition_incoming", default=False)


def transition_problem(before: str, after: str, record: Mapping[str, Any]) -> str | None:
    """Why a recognition may not move from `before` to `after` with the facts in
    `record` (None: it may). The notice's length is the use case's to check."""
    if before in (REJECTED, REVOKED):
        return f"这条认定已办结（{before}），不能再办理；情况变化请重新申请"
    if after not in TRANSITIONS.get(before, ()):
        allowed_now = "、".join(TRANSITIONS.get(before, ())) or "无"
        return f"认定状态不能从“{before}”改为“{after}”（可改为：{allowed_now}）"
    if after in (REVIEWED, NOTICE, RECOGNISED) and not record.get("review_date"):
        return "须先填写民主评议的日期和意见"
    if after in (NOTICE, RECOGNISED) and not record.get("level"):
        return f"须先评定困难等级（{'、'.join(HARDSHIP_LEVELS)}）"
    if after in (NOTICE, RECOGNISED) and not (record.get("notice_from")
                                              and record.get("notice_to")):
        return "须填写公示的起止日期"
    if after == RECOGNISED and (record.get("decided_on") or "") <= record["notice_to"]:
        end = record["notice_to"]
        return f"公示到 {end} 结束，须在公示期满后（{end} 以后）认定"
    return None


def _check_recognition(record: dict[str, Any], lookup: Lookup) -> None:
    from wushan_desk.domain.aid import check_school_year

    check_refs("aid_recognition")(record, lookup)
    record["school_year"] = check_school_year(record["school_year"])
    stored = stored_before(lookup, "aid_recognition", record)
    incoming = INCOMING.get() or AS_STATE.get()
    if stored is None and not (APPLYING.get() or incoming):
        raise ValidationError("新的困难认定请用“受理申请”（会查重并记下第一条状态）；命令行："
                              "wushan-desk aid apply。", "status")
    if stored and stored.get("status") in DECIDED and any(
            stored.get(k) != v for k, v in record.items() if k not in ("id", "status")):
        raise ValidationError(f"这条认定已办结（{stored['status']}），不能修改；"
                              "情况变化请办理复核。", "status")
    if stored and stored.get("status") != record.get("status") and not STATUS_CHANGE.get() \
            and not AS_STATE.get():
        raise ValidationError("认定状态只能通过“办理”（带日期和说明）来改。", "status")
    if record.get("notice_from") and record.get("notice_to") \
            and record["notice_to"] < record["notice_from"]:
        raise ValidationError("公示结束日期不能早于开始日期", "notice_to")
    if record.get("review_date") and record["review_date"] < record["applied_on"]:
        raise ValidationError("民主评议日期不能早于申请日期", "review_date")
    if record.get("notice_from") and record.get("review_date") \
            and record["notice_from"] < record["review_date"]:
        raise ValidationError("公示须在民主评议之后", "notice_from")
    size = record.get("household_size")
    if size is not None and not 1 <= size <= 30:
        raise ValidationError("家庭人口应在 1 到 30 人之间", "household_size")
    if (record.get("household_income") or 0) < 0:
        raise ValidationError("家庭年收入不能为负数", "household_income")


def _check_event(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_recognition_event")(record, lookup)
    if stored_before(lookup, "aid_recognition_event", record) is not None:
        raise ValidationError("办理记录是历史记录，登记后不能修改。", "status")
    if AS_STATE.get():
        return
    incoming = INCOMING.get()
    if not (STATUS_CHANGE.get() or incoming):
        raise ValidationError("认定的办理记录请用“办理”登记（命令行：wushan-desk aid "
                              "review / notice / decide / revoke）。", "status")
    before = record.get("from_status")
    if before is None:
        return  # the first event, written with the application
    recognition = lookup("aid_recognition", record["recognition_id"]) or {}
    if not incoming and recognition.get("status") not in (None, before):
        raise ValidationError(f"认定现在是“{recognition.get('status')}”，不是“{before}”："
                              "可能刚被别人办理过，请刷新后再试。", "from_status")
    if before in (REJECTED, REVOKED) or record["status"] not in TRANSITIONS.get(before, ()):
        raise ValidationError(f"认定状态不能从“{before}”改为“{record['status']}”", "status")


def _check_member(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_household_member")(record, lookup)
    if AS_STATE.get():
        return
    recognition = lookup("aid_recognition", record.get("recognition_id") or "") or {}
    stored = stored_before(lookup, "aid_household_member", record)
    if recognition.get("status") in DECIDED and (stored is None or any(
            stored.get(k) != v for k, v in record.items() if k != "id")):
        raise ValidationError(f"这条认定已办结（{recognition['status']}），家庭成员不能再修改。",
                              "recognition_id")


def _member_delete(record: dict[str, Any], lookup: Lookup) -> None:
    recognition = lookup("aid_recognition", record.get("recognition_id") or "") or {}
    if recognition.get("status") in DECIDED:
        raise ValidationError(f"这条认定已办结（{recognition['status']}），家庭成员不能再删除。")


def _history_kept(record: dict[str, Any], lookup: Lookup) -> None:
    raise ValidationError("认定材料是档案，不能删除；不再需要时请撤销。")


register(
    Kind(
        "aid_recognition",
        "aid_recognitions",
        "家庭经济困难认定",
        (
            F("student_id", "学生", "ref", required=True, ref="student"),
            F("school_year", "学年", required=True, max_length=9),
            F("applied_on", "申请日期", "date", required=True),
            F("groups", "特殊群体", "list", choices=GROUPS),
            F("level", "困难等级", "choice", choices=HARDSHIP_LEVELS),
            F("household_size", "家庭人口", "int"),
            F("household_income", "家庭年收入（元）", "number"),
            F("situation", "家庭经济困难情况", max_length=2000),
            F("review_date", "民主评议日期", "date"),
            F("review_result", "评议意见", max_length=1000),
            F("notice_from", "公示开始", "date"),
            F("notice_to", "公示结束", "date"),
            F("notice_place", "公示地点", max_length=100),
            F("decided_on", "认定日期", "date"),
            F("status", "状态", "choice", required=True, choices=STATUSES),
            F("recheck_of", "复核的原认定", "ref", ref="aid_recognition"),
            F("note", "说明", max_length=1000),
        ),
        check=_check_recognition,
        delete_check=_history_kept,
        title_field="school_year",
    ),
    Kind(
        "aid_household_member",
        "aid_household_members",
        "家庭成员",
        (
            F("recognition_id", "认定", "ref", required=True, ref="aid_recognition"),
            F("name", "姓名", required=True, max_length=40),
            F("age", "年龄", "int"),
            F("relation", "与学生关系", "choice", required=True, choices=RELATIONS),
            F("employer", "工作单位或务工地", max_length=100),
            F("income", "年收入（元）", "number"),
            F("health", "健康状况", "choice", choices=HEALTH),
        ),
        check=_check_member,
        delete_check=_member_delete,
    ),
    Kind(
        "aid_recognition_event",
        "aid_recognition_events",
        "认定办理记录",
        (
            F("recognition_id", "认定", "ref", required=True, ref="aid_recognition"),
            F("date", "日期", "date", required=True),
            F("from_status", "原状态", "choice", choices=STATUSES),
            F("status", "新状态", "choice", required=True, choices=STATUSES),
            F("note", "说明", max_length=1000),
            F("made_by", "办理人", max_length=40),
        ),
        check=_check_event,
        delete_check=_history_kept,
        title_field="status",
    ),
)
