"""Importing an existing 控辍保学 ledger from a spreadsheet (the county's own tables).

The header row is found by its column names (several spellings each, as counties
write them); every row becomes a case with the same validation as a typed one
(duplicates included); one bad row refuses the whole file, listing every bad row with
its number and what is wrong, and nothing is written. `dry_run` shows what would be
made, inside a transaction that is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wushan_desk.domain import dropout as rules
from wushan_desk.domain.errors import ValidationError
from wushan_desk.domain.schema import RecordInvalid
from wushan_desk.reports import xlsx
from wushan_desk.services import dropout, records, workspace
from wushan_desk.store.workspace import Workspace

#: field -> the column names that mean it
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "学生姓名"),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月日"),
    "resident_id": ("身份证号", "身份证号码", "公民身份号码"),
    "township": ("乡镇（街道）", "乡镇", "乡镇(街道)", "所在乡镇"),
    "school": ("学校", "原就读学校", "就读学校"),
    "grade": ("年级",),
    "status": ("状态", "当前状态"),
    "placement": ("安置方式",),
    "reasons": ("原因", "辍学原因", "失学辍学原因"),
    "opened_on": ("登记日期", "发现日期"),
    "guardian_name": ("监护人", "监护人姓名"),
    "guardian_phone": ("监护人电话", "联系电话"),
}
REQUIRED = ("name", "sex", "birth_date", "township", "status", "opened_on")
LEDGER = xlsx.Limits(what="控辍保学台账", max_rows=20_000, max_columns=60,
                     max_cells=600_000)


class LedgerInvalid(ValidationError):
    """One or more rows of the ledger are wrong: nothing was imported."""

    code = "invalid-rows"


@dataclass
class ImportResult:
    cases: int = 0
    dry_run: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)  # what each row became
    #: the ledger's column read for each field (field label -> the heading found), so a
    #: preview can show how the spreadsheet was understood
    columns: dict[str, str] = field(default_factory=dict)


def import_ledger(ws: Workspace, path: Path, *, dry_run: bool = False) -> ImportResult:
    """Read the ledger at `path` and open its cases, all or nothing (`dry_run`: the
    same, rolled back)."""
    if dry_run:
        return replace(ws.rolled_back(lambda: import_ledger(ws, path)), dry_run=True)
    sheets = xlsx.read_sheets(path, LEDGER, accept=lambda rows: _header(rows) is not None)
    rows = sheets[-1] if sheets else []
    header = _header(rows)
    if header is None:
        raise ValidationError(
            f"{path.name} 里没有找到台账的表头：需要“姓名、性别、出生日期、乡镇（街道）、状态、"
            "登记日期”等列。", "file")
    start, positions = header
    result = ImportResult(columns={  # the first spelling of a column names its field
        COLUMNS[f][0]: str(rows[start][i]).strip() for f, i in positions.items()})
    errors: list[str] = []
    townships = workspace.township_ids()
    schools = {s["name"]: s["id"] for s in records.iter_records(ws, "school")}
    with ws.transaction():
        for number, row in enumerate(rows[start + 1:], start=start + 2):
            try:
                values = {f: _cell(row, i, f) for f, i in positions.items()}
                if not any(values.values()):
                    continue  # a blank line between blocks
                record = _record(values, townships, schools)
                case_id = dropout.open_case(ws, record, made_by="台账导入")
            except RecordInvalid as exc:
                errors.append(f"第 {number} 行：" + "；".join(e.message for e in exc.errors))
                continue
            except ValidationError as exc:
                errors.append(f"第 {number} 行：{exc.message}")
                continue
            result.rows.append({"row": number, "case_id": case_id, "name": record["name"],
                                "status": record["status"]})
        if errors:
            shown = "\n".join(errors[:30]) + ("\n……" if len(errors) > 30 else "")
            raise LedgerInvalid(f"{len(errors)} 行有错误，未导入任何案件：\n{shown}")
        result.cases = len(result.rows)
    return result


def preview(ws: Workspace, path: Path) -> ImportResult:
    """What `import_ledger` would make, with nothing written."""
    return import_ledger(ws, path, dry_run=True)


def _header(rows: xlsx.Rows) -> tuple[int, dict[str, int]] | None:
    return xlsx.find_header(rows, COLUMNS, lambda found: set(REQUIRED) <= found)


def _cell(row: list[Any], index: int, field: str) -> str | None:
    """A cell as text, None when blank (an ID typed as a number is refused: see
    reports.xlsx.cell_text)."""
    return xlsx.cell_text(row[index] if index < len(row) else None, COLUMNS[field][0]) or None


def _record(values: dict[str, Any], townships: dict[str, str],
            schools: dict[str, str]) -> dict[str, Any]:
    missing = [COLUMNS[f][0] for f in REQUIRED if not values.get(f)]
    if missing:
        raise ValidationError(f"缺少{'、'.join(missing)}")
    township = townships.get(values["township"])
    if township is None:
        raise ValidationError(f"没有名为“{values['township']}”的乡镇（街道）")
    school = None
    if values.get("school"):
        school = schools.get(values["school"])
        if school is None:
            raise ValidationError(f"没有名为“{values['school']}”的学校")
    reasons = [r.strip() for r in (values.get("reasons") or "").replace("，", "、").split("、")
               if r.strip()]
    unknown = [r for r in reasons if r not in rules.REASONS]
    if unknown:
        raise ValidationError(f"原因“{'、'.join(unknown)}”不在规定的原因中（可选："
                              f"{'、'.join(rules.REASONS)}）")
    return {"name": values["name"], "sex": values["sex"], "birth_date": values["birth_date"],
            "resident_id": values.get("resident_id"), "township_id": township,
            "school_id": school, "grade": values.get("grade"), "status": values["status"],
            "placement": values.get("placement"), "reasons": reasons,
            "opened_on": values["opened_on"], "guardian_name": values.get("guardian_name"),
            "guardian_phone": values.get("guardian_phone")}
