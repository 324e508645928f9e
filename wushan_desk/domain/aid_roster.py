"""发放花名册: payment rosters per school, programme and term, and their payments.

A centre (or the school through it) drafts a roster (草稿), reports it (已报送: no more
edits, unless the county sends it back), and the county confirms it (已确认). A
confirmed roster is locked: later corrections are dated adjustments
(`aid_adjustment`), never edits, so the paper signed at confirmation and the figures
afterwards can both be traced. Each payment copies the standard it was computed from
(`standard`), so a later change of standard never rewrites a roster.

The rules a payment must meet (amount equal to the standard for the child's level,
stage and boarding, unless an override states why; hardship programmes for recognised
children only; the stage matches the programme; a bank card passes its check digit)
are checked by services/aid_roster.py, which reads the standards and recognitions;
here are the rules about the record itself.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Mapping
from typing import Any

from wushan_desk.domain import codes
from wushan_desk.domain.aid import BOARDING
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.inspection import AS_STATE
from wushan_desk.domain.schema import FieldSpec, Kind, Lookup, check_refs, register

F = FieldSpec

DRAFT, REPORTED, CONFIRMED = "草稿", "已报送", "已确认"
ROSTER_STATUSES = (DRAFT, REPORTED, CONFIRMED)
ROSTER_TRANSITIONS = {DRAFT: (REPORTED,), REPORTED: (DRAFT, CONFIRMED), CONFIRMED: ()}
PLANNED, PAID, RETURNED, STOPPED = "拟发放", "已发放", "退回", "停发"
PAYMENT_STATUSES = (PLANNED, PAID, RETURNED, STOPPED)
#: Payments that count as paid (or to be paid): the others do not block another one.
LIVE_PAYMENTS = (PLANNED, PAID)
ADJUSTMENTS = ("金额更正", "退回", "停发", "补发", "发放完成")
#: Adjustment kind -> the payment status it leaves (None: the status stays).
STATUS_AFTER = {"退回": RETURNED, "停发": STOPPED, "发放完成": PAID, "补发": PLANNED,
                "金额更正": None}
#: 学段 of a grade, as standards name them.
SECTION_OF_GRADE: dict[str, str] = {
    **{g: "学前" for g in codes.PRESCHOOL}, **{g: "小学" for g in codes.PRIMARY},
    **{g: "初中" for g in codes.JUNIOR}, **{g: "高中" for g in codes.SENIOR},
    **{g: "中职" for g in codes.VOCATIONAL}}
#: The 学段 a programme's stage covers.
SECTIONS_OF_STAGE = {"学前教育": ("学前",), "义务教育": ("小学", "初中"),
                     "普通高中": ("高中",), "中职": ("中职",), "高等教育": ("高校",)}
BANDS = ("一档", "二档", "三档")
#: The name a roster line shows for a child this workspace no longer holds (moved to a
#: school of another centre's zone: the child's record left with them, the payment stays).
ELSEWHERE = "（已转往其他督导中心）"

#: Set by the confirmation use case at the hub, and by the sync judge for the hub's
#: packages: a roster becomes 已确认 only so (a laptop cannot confirm its own).
CONFIRMING: contextvars.ContextVar[bool] = contextvars.ContextVar("confirming",
                                                                  default=False)


def _roster_of(lookup: Lookup, record: dict[str, Any]) -> Mapping[str, Any]:
    return lookup("aid_roster", record.get("roster_id") or "") or {}


def _check_roster(record: dict[str, Any], lookup: Lookup) -> None:
    from wushan_desk.domain.term_rosters import check_term

    check_refs("aid_roster")(record, lookup)
    record["term"] = check_term(record["term"])
    stored = None if AS_STATE.get() else lookup("aid_roster", record.get("id") or "")
    if stored and stored.get("status") == CONFIRMED and any(
            stored.get(k) != v for k, v in record.items() if k != "id"):
        raise ValidationError("花名册已确认，不能修改；更正请登记调整（带日期和原因）。", "status")
    if record["status"] == CONFIRMED and (stored or {}).get("status") != CONFIRMED \
            and not (CONFIRMING.get() or AS_STATE.get()):
        raise ValidationError("花名册由县教委在县级中心库确认。", "status")
    if stored and stored.get("status") != record["status"] and \
            record["status"] not in ROSTER_TRANSITIONS.get(stored.get("status") or "", ()):
        raise ValidationError(f"花名册不能从“{stored.get('status')}”改为“{record['status']}”",
                              "status")
    if record["status"] == CONFIRMED and not record.get("confirmed_on"):
        raise ValidationError("确认花名册须注明确认日期", "confirmed_on")


def _check_payment(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_payment")(record, lookup)
    if not AS_STATE.get():
        _unlocked(lookup, record, "aid_payment")
    if record["amount"] < 0:
        raise ValidationError("发放金额不能为负数", "amount")
    if record.get("standard") is not None and record["amount"] != record["standard"] \
            and not (record.get("override_reason") or "").strip():
        raise ValidationError(f"金额 {record['amount']:g} 与标准 {record['standard']:g} 不符："
                              "确需调整的请写明原因（会列在花名册上）", "override_reason")
    # (the bank card's check digit is its field's rule: checked when the value is cleaned)


def _unlocked(lookup: Lookup, record: dict[str, Any], kind: str) -> None:
    """A payment is written only while its roster is a draft (a reported one goes back
    to 草稿 for changes; a confirmed one takes adjustments)."""
    roster = _roster_of(lookup, record)
    stored = lookup(kind, record.get("id") or "")
    changed = stored is None or any(stored.get(k) != v for k, v in record.items() if k != "id")
    if changed and roster.get("status") == CONFIRMED:
        raise ValidationError("花名册已确认，发放名单不能修改；更正请登记调整（带日期和原因）。",
                              "roster_id")
    if changed and roster.get("status") == REPORTED:
        raise ValidationError("花名册已报送县教委，需修改请先由县教委退回为草稿。", "roster_id")


def _payment_delete(record: dict[str, Any], lookup: Lookup) -> None:
    _unlocked(lookup, {**record, "deleted": True}, "aid_payment")


def _check_adjustment(record: dict[str, Any], lookup: Lookup) -> None:
    check_refs("aid_adjustment")(record, lookup)
    if AS_STATE.get():
        return
    if lookup("aid_adjustment", record.get("id") or "") is not None:
        raise ValidationError("调整是历史记录，登记后不能修改；再登记一条更正的调整。", "kind")
    payment = lookup("aid_payment", record["payment_id"]) or {}
    roster = lookup("aid_roster", payment.get("roster_id") or "") or {}
    if roster and roster.get("status") != CONFIRMED:
        raise ValidationError("花名册还没有确认，可以直接修改发放名单，不需要登记调整。",
                              "payment_id")


def _history_kept(record: dict[str, Any], lookup: Lookup) -> None:
    raise ValidationError("这是历史记录，不能删除。")


def _roster_delete(record: dict[str, Any], lookup: Lookup) -> None:
    if record.get("status") != DRAFT:
        raise ValidationError(f"花名册已{record.get('status')}，不能删除。")


def check_bank_card(number: str) -> str:
    """A bank card number (16 to 19 digits) whose Luhn check digit is right."""
    from stdnum import luhn  # (here: its package takes 30 ms to import, at every start)

    digits = "".join(number.split())
    if not digits.isdigit() or not 16 <= len(digits) <= 19:
        raise ValidationError(f"银行卡号应为 16 到 19 位数字：{mask_card(digits)}", "bank_card")
    if not luhn.is_valid(digits):
        raise ValidationError(f"银行卡号的校验位不对，可能抄错了一位：{mask_card(digits)}，"
                              "请对照卡面或存折核对。", "bank_card")
    return digits


def after_adjustments(payment: Mapping[str, Any],
                      adjustments: Iterable[Mapping[str, Any]]) -> tuple[float, str]:
    """A payment's amount and status after its adjustments (given in date order)."""
    amount, status = float(payment["amount"]), str(payment["status"])
    for adj in adjustments:
        amount = adj["amount"] if adj["amount"] is not None else amount
        status = STATUS_AFTER.get(adj["kind"]) or status
    return amount, status


def mask_card(number: str) -> str:
    """A bank card as lists show it: the last four digits only."""
    digits = "".join((number or "").split())
    return f"**** {digits[-4:]}" if len(digits) > 4 else "****"


register(
    Kind(
        "aid_roster",
        "aid_rosters",
        "资助发放花名册",
        (
            F("school_id", "学校", "ref", required=True, ref="school"),
            F("programme_id", "资助项目", "ref", required=True, ref="aid_programme"),
            F("term", "学期", required=True, max_length=11),
            F("status", "状态", "choice", required=True, choices=ROSTER_STATUSES),
            F("reported_on", "报送日期", "date"),
            F("confirmed_on", "确认日期", "date"),
            F("confirmed_by", "确认人", max_length=40),
            F("note", "说明", max_length=500),
        ),
        check=_check_roster,
        delete_check=_roster_delete,
        title_field="term",
    ),
    Kind(
        "aid_payment",
        "aid_payments",
        "资助发放",
        (
            F("roster_id", "花名册", "ref", required=True, ref="aid_roster"),
            F("student_id", "学生", "ref", required=True, ref="student"),
            F("boarding", "住校", "choice", required=True, choices=BOARDING),
            F("band", "档次", "choice", choices=BANDS),
            F("days", "在校天数", "int"),
            F("standard", "标准金额（元）", "number"),
            F("amount", "发放金额（元）", "number", required=True),
            F("override_reason", "金额与标准不同的原因", max_length=200),
            F("account_holder", "持卡人", max_length=40),
            F("bank_card", "银行卡号", sensitive=True, normalize=check_bank_card),
            F("status", "状态", "choice", required=True, choices=PAYMENT_STATUSES),
            F("paid_on", "发放日期", "date"),
        ),
        check=_check_payment,
        delete_check=_payment_delete,
        title_field="amount",
    ),
    Kind(
        "aid_adjustment",
        "aid_adjustments",
        "发放调整",
        (
            F("payment_id", "发放", "ref", required=True, ref="aid_payment"),
            F("date", "日期", "date", required=True),
            F("kind", "调整类别", "choice", required=True, choices=ADJUSTMENTS),
            F("amount", "调整后金额（元）", "number"),
            F("reason", "原因", required=True, max_length=500),
            F("made_by", "登记人", max_length=40),
        ),
        check=_check_adjustment,
        delete_check=_history_kept,
        title_field="kind",
    ),
)
