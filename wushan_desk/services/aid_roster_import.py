"""发放花名册导入: a school's payment rows from a spreadsheet into a draft roster.

Schools keep their 花名册 in Excel; typing hundreds of children again by hand is where
mistakes come from. The header row is found by its Chinese column names (`COLUMNS`:
several spellings each); each child is found in the workspace by 身份证号 or 学籍号 (the
name must agree, the child must be of the roster's school) and then goes through
`aid_roster.add_payment`, the very rules of a payment typed by hand. All rows run in
one transaction; every bad row is collected with its Excel row number, and one bad row
refuses the whole file (`RowsInvalid`): the workspace is left as it was. `preview`
does the same and always rolls back (the dry run and the GUI's preview).

The file is read by `reports.xlsx.read_sheets`, which refuses hostile spreadsheets
(zip bombs, too many sheets or cells, .xls, not a spreadsheet) before openpyxl parses
them. Bank card numbers appear only masked in anything this module returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wushan_desk.domain import aid_roster as rules
from wushan_desk.domain import ids
from wushan_desk.domain.errors import ValidationError
from wushan_desk.progress import (
    Cancelled,
    CancelledFn,
    ProgressFn,
    never_cancelled,
    no_progress,
)
from wushan_desk.reports import xlsx
from wushan_desk.services import aid, aid_roster, browse, records
from wushan_desk.store import term_roster_queries
from wushan_desk.store.workspace import Workspace

#: field -> the column names that mean it (the first one names the field in messages)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "学生姓名"),
    "resident_id": ("身份证号", "身份证号码", "公民身份号码", "身份证件号"),
    "student_number": ("学籍号", "全国学籍号", "学籍辅号"),
    "boarding": ("住校", "是否住校", "住校/走读", "住校或走读", "寄宿情况", "是否寄宿"),
    "band": ("档次", "资助档次"),
    "days": ("在校天数", "在校日数", "在校天数（天）"),
    "amount": ("金额", "发放金额", "发放金额（元）", "金额（元）"),
    "reason": ("金额与标准不同的原因", "原因", "说明", "调整原因"),
    "holder": ("持卡人", "持卡人姓名", "户名"),
    "bank_card": ("银行卡号", "卡号", "银行账号"),
}
#: How schools write boarding in a cell -> the value the standards use.
BOARDING_WORDS = {"住校": "住校", "寄宿": "住校", "是": "住校", "走读": "走读", "否": "走读",
                  "不住校": "走读", "不限": "不限"}
#: The last line of an exported roster (aid_report.roster_export) and similar sums.
TOTAL_ROWS = ("合计", "总计", "小计", "本页小计")
#: A school's roster: a few thousand rows at most, one sheet.
LIMITS = xlsx.Limits(what="发放花名册", max_rows=20_000, max_columns=40, max_cells=600_000)
#: Row errors named in a refusal's message (all of them are in the result).
SHOWN_ERRORS = 30


@dataclass(frozen=True)
class RowError:
    """One refused row: its Excel row number, the child's name as written, why."""

    row: int
    name: str
    message: str

    def __str__(self) -> str:
        who = f"（{self.name}）" if self.name else ""
        return f"第 {self.row} 行{who}：{self.message}"


@dataclass
class ImportResult:
    """What an import added (or, dry run, would add) to a roster, and what it refused."""

    roster_id: str
    added: int = 0
    total: float = 0.0
    #: field label -> the column heading read for it (how the file was understood)
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # headings of columns not read
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # row, name, amount, card (masked)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """For `--json`: plain values, cards already masked."""
        return {"roster": self.roster_id, "added": self.added, "total": self.total,
                "columns": self.columns, "ignored": self.ignored,
                "errors": [{"row": e.row, "name": e.name, "message": e.message}
                           for e in self.errors],
                "rows": self.rows, "dry_run": self.dry_run}


class RowsInvalid(ValidationError):
    """One or more rows are wrong: nothing was imported. `result` holds every error."""

    code = "invalid-rows"

    def __init__(self, result: ImportResult) -> None:
        errors = result.errors
        shown = "\n".join(str(e) for e in errors[:SHOWN_ERRORS])
        more = f"\n……（另有 {len(errors) - SHOWN_ERRORS} 行）" if len(errors) > SHOWN_ERRORS else ""
        super().__init__(f"{len(errors)} 行有错误，没有列入任何学生（全部正确才导入）。"
                         f"请在表格中改正后重新导入：\n{shown}{more}", "file")
        self.result = result


# ------------------------------------------------------------------------- use cases


def preview(ws: Workspace, path: Path, roster_id: str, *,
            progress: ProgressFn = no_progress,
            cancelled: CancelledFn = never_cancelled) -> ImportResult:
    """What importing `path` would add, with every row error; nothing is written.

    Refusals of the whole file (not a spreadsheet, no header, not a draft) raise
    ValidationError; row errors are returned in `errors`.
    """
    rows, header = _read(path)
    result = ws.rolled_back(lambda: _apply(ws, roster_id, rows, header, progress,
                                           cancelled))
    result.dry_run = True
    return result


def import_payments(ws: Workspace, path: Path, roster_id: str, *,
                    progress: ProgressFn = no_progress,
                    cancelled: CancelledFn = never_cancelled) -> ImportResult:
    """Add every row of `path` to the draft roster, all or nothing: any row error raises
    RowsInvalid (listing them all) and the workspace is unchanged."""
    from wushan_desk.services import audit

    rows, header = _read(path)
    with ws.transaction():
        result = _apply(ws, roster_id, rows, header, progress, cancelled)
        if result.errors:
            raise RowsInvalid(result)
    audit.record_or_defer(ws, "import", kind="aid_payment", record_id=roster_id,
                          detail={"file": path.name, "records": result.added})
    return result


# -------------------------------------------------------------------------- the file


Header = tuple[int, dict[str, int]]


def _read(path: Path) -> tuple[xlsx.Rows, Header]:
    """The sheet holding the roster and its header (row index, field -> column), read
    safely outside any transaction (parsing must not hold the workspace's write lock)."""
    sheets = xlsx.read_sheets(path, LIMITS, accept=lambda rows: _header(rows) is not None)
    rows = sheets[-1] if sheets else []
    header = _header(rows)
    if header is None:
        raise ValidationError(_no_header(path, sheets), "file")
    return rows, header


def _header(rows: xlsx.Rows) -> Header | None:
    """The header: a name column and a column that identifies the child."""
    return xlsx.find_header(rows, COLUMNS, lambda found: "name" in found and bool(
        found & {"resident_id", "student_number"}))


def _no_header(path: Path, sheets: list[xlsx.Rows]) -> str:
    """Why no header was found: a name column without an ID column (an exported roster)
    is told apart from a table that is not a roster at all."""
    named = any(xlsx.find_header(rows, COLUMNS, lambda found: "name" in found)
                for rows in sheets)
    if named:
        return (f"{path.name} 有“姓名”列，但没有“身份证号”或“学籍号”列：导入要凭其中之一在"
                "学籍名单上找到学生。请在表格中加上一列“身份证号”（或“学籍号”）后再导入。")
    return (f"{path.name} 里没有找到发放名单的表头：需要“姓名”列和“身份证号”或“学籍号”列，"
            "可选“住校、档次、在校天数、发放金额、原因、持卡人、银行卡号”。")


def _ignored(row: list[Any], positions: dict[str, int]) -> list[str]:
    """Headings of the header row's columns that no field reads."""
    used = set(positions.values())
    return [str(v).strip() for i, v in enumerate(row)
            if i not in used and v is not None and str(v).strip()]


# -------------------------------------------------------------------------- the rows


@dataclass(frozen=True)
class _Context:
    """What every row is checked against, read once per import."""

    roster: dict[str, Any]
    school_name: str
    by_number: dict[str, str]
    by_id: dict[str, str]
    needs_boarding: bool


def _apply(ws: Workspace, roster_id: str, rows: xlsx.Rows, header: Header,
           progress: ProgressFn, cancelled: CancelledFn) -> ImportResult:
    """Every row through `add_payment` inside the caller's transaction; errors collected
    (the caller rolls back when there are any)."""
    start, positions = header
    result = ImportResult(roster_id, columns={
        COLUMNS[f][0]: str(rows[start][i]).strip() for f, i in positions.items()},
        ignored=_ignored(rows[start], positions))
    context = _context(ws, roster_id)
    first_row: dict[str, int] = {}  # student id -> the row that listed them first
    body = rows[start + 1:]
    for index, row in enumerate(body):
        if cancelled():  # raised inside the transaction: the caller's rollback undoes all
            raise Cancelled()
        progress(index, len(body), f"正在检查第 {start + 2 + index} 行……")
        _one_row(ws, context, start + 2 + index, _values(row, positions), first_row, result)
    result.total = round(result.total, 2)
    return result


def _context(ws: Workspace, roster_id: str) -> _Context:
    """The roster (a draft, else refused whole), its school and the ways to find a child."""
    roster = records.get(ws, aid_roster.ROSTER, roster_id)
    if roster is None:
        raise ValidationError("找不到这份花名册（可能已被删除），请用 `wushan-desk aid rosters` "
                              "查看花名册编号后再试。", "roster_id")
    if roster["status"] != rules.DRAFT:
        todo = ("需要修改请先由县教委退回为草稿。" if roster["status"] == rules.REPORTED
                else "已确认的花名册只能登记调整。")
        raise ValidationError(f"这份花名册{roster['status']}，只有草稿状态的花名册可以从表格导入。"
                              + todo, "roster_id")
    programme = records.get(ws, aid.PROGRAMME, roster["programme_id"]) or {}
    standards = [s for s in aid.standards(ws, programme.get("school_year", ""))
                 if s.programme_id == roster["programme_id"]]
    school = records.get(ws, "school", roster["school_id"]) or {}
    by_number, by_id = term_roster_queries.student_keys(ws)
    return _Context(roster, school.get("name", ""), by_number, by_id,
                    any(s.boarding != "不限" for s in standards))


def _values(row: list[Any], positions: dict[str, int]) -> dict[str, Any]:
    """The row's cells by field; blank cells are None, texts stripped."""
    values: dict[str, Any] = {}
    for name, index in positions.items():
        value = row[index] if index < len(row) else None
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    return values


def _one_row(ws: Workspace, context: _Context, number: int, values: dict[str, Any],
             first_row: dict[str, int], result: ImportResult) -> None:
    """Add one row's payment, or note why not in `result.errors`."""
    if not any(v is not None for v in values.values()):
        return  # a blank line between blocks
    name = str(values.get("name") or "").strip()
    if name in TOTAL_ROWS and not (values.get("resident_id") or values.get("student_number")):
        return  # the total line of an exported roster
    student: dict[str, Any] | None = None
    try:
        student = _student(ws, context, name, values)
        payment_id = aid_roster.add_payment(ws, context.roster["id"], student["id"],
                                            **_payment_args(context, values))
    except ValidationError as exc:
        message = exc.message.removeprefix(f"{name}：")
        if student is not None and student["id"] in first_row:
            message = message.rstrip("。") + f"（第 {first_row[student['id']]} 行已列入该学生）"
        result.errors.append(RowError(number, name, message))
        return
    first_row.setdefault(student["id"], number)
    stored = records.get(ws, aid_roster.PAYMENT, payment_id) or {}
    result.added += 1
    result.total += float(stored["amount"])
    result.rows.append({"row": number, "name": name, "amount": float(stored["amount"]),
                        "card": rules.mask_card(stored.get("bank_card") or "")})


def _student(ws: Workspace, context: _Context, name: str,
             values: dict[str, Any]) -> dict[str, Any]:
    """The child the row names, by ID number or 学籍号; the name and school must agree."""
    if not name:
        raise ValidationError("缺少姓名", "name")
    rid = _text(values.get("resident_id"), "身份证号")
    number = _text(values.get("student_number"), "学籍号")
    if not (rid or number):
        raise ValidationError("缺少身份证号或学籍号，无法在学籍名单上找到这个学生", "resident_id")
    keys = [context.by_id.get(ids.parse_resident_id(rid).number) if rid else None,
            context.by_number.get(ids.parse_student_number(number)) if number else None]
    found = {key for key in keys if key is not None}
    if len(found) > 1:
        raise ValidationError("身份证号和学籍号分别对应学籍名单上的两个学生，请核对哪一个抄错了",
                              "resident_id")
    student = records.get(ws, "student", found.pop()) if found else None
    if student is None:
        shown = (f"身份证号 {ids.mask_resident_id(rid)}" if rid  # masked: messages get copied
                 else f"学籍号 {browse.mask_student_number(number)}")
        raise ValidationError(f"学籍名单上找不到{shown}的学生，请核对号码，"
                              "或先在“学校与学生”中登记该学生", "resident_id")
    if student["name"] != name:
        raise ValidationError(f"姓名与学籍名单不一致：该号码是“{student['name']}”的，"
                              "请核对姓名或号码", "name")
    if student["school_id"] != context.roster["school_id"]:
        school = records.get(ws, "school", student["school_id"]) or {}
        raise ValidationError(f"是“{school.get('name', '其他学校')}”的学生，不能列入"
                              f"“{context.school_name}”的花名册", "student_id")
    return student


def _payment_args(context: _Context, values: dict[str, Any]) -> dict[str, Any]:
    """add_payment's arguments from the row's cells, each checked for its form."""
    boarding = _boarding(values.get("boarding"), context.needs_boarding)
    band = _text(values.get("band"), "档次") or None
    if band is not None and band not in rules.BANDS:
        raise ValidationError(f"档次“{band}”应为{'、'.join(rules.BANDS)}之一", "band")
    card = _text(values.get("bank_card"), "银行卡号")
    if not card.strip("* "):
        card = ""  # "****" is how an exported roster shows "no card"
    if "*" in card:
        raise ValidationError(f"银行卡号是遮挡过的（{rules.mask_card(card)}）：请填写完整卡号，"
                              "或留空以后再补", "bank_card")
    amount = _number(values.get("amount"), "发放金额")
    return {"boarding": boarding, "band": band, "days": _days(values.get("days")),
            "amount": amount, "override_reason": _text(values.get("reason"), "原因") or None,
            "account_holder": _text(values.get("holder"), "持卡人") or None,
            "bank_card": card or None}


def _boarding(value: Any, needed: bool) -> str:
    """住校, 走读 or 不限 from the cell; blank is 不限 only if no standard depends on it."""
    text = _text(value, "住校")
    if not text:
        if needed:
            raise ValidationError("缺少“住校”：这个项目的标准分住校和走读，请填写“住校”或“走读”",
                                  "boarding")
        return "不限"
    if text not in BOARDING_WORDS:
        raise ValidationError(f"“住校”一栏应填写“住校”或“走读”，现在是“{text}”", "boarding")
    return BOARDING_WORDS[text]


def _days(value: Any) -> int | None:
    """在校天数: a whole number of days, or None."""
    days = _number(value, "在校天数")
    if days is None:
        return None
    if days != int(days) or not 0 < days <= 366:
        raise ValidationError(f"在校天数应为 1 到 366 的整数，现在是“{value}”", "days")
    return int(days)


def _number(value: Any, what: str) -> float | None:
    """A number cell, or a text holding one (1,250 or 1250.00); blank is None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(",", "").replace("，", "").replace("元", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"{what}应为数字，现在是“{value}”", "amount") from None


def _text(value: Any, what: str) -> str:
    """A cell as text (reports.xlsx.cell_text: long numbers refused)."""
    return xlsx.cell_text(value, what)
