"""Reading a report's metadata back from its PDF (report id, kind, content hash).

Standard library only for now; the reports issue replaces this reader with pypdf.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wushan_desk.reports.fonts import ReportError

# --- reading the metadata back (standard library only) ------------------------------------

_INFO_KEYS = {
    "WushanApp": "app",
    "WushanReportId": "report_id",
    "WushanReportKind": "kind",
    "WushanContentHash": "content_hash",
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
}


def read_metadata(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """Report id, kind, content hash, title and author from a PDF this module wrote.

    Returns keys `report_id`, `kind`, `content_hash`, `app`, `title`, `author`, `subject`,
    `keywords`, `creator` (those present). Reads the last Info dictionary of the file, so
    an incremental update (a digital signature appended later) is handled. Raises
    `ReportError` if the file has no report metadata.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    refs = re.findall(rb"/Info\s+(\d+)\s+(\d+)\s+R", data)
    if not refs:
        raise ReportError("这个 PDF 没有文档信息，不是本程序生成的报告。")
    num, gen = refs[-1]
    objs = list(re.finditer(rb"(?<![0-9])" + num + rb"\s+" + gen + rb"\s+obj\b", data))
    if not objs:
        raise ReportError("这个 PDF 的文档信息无法读取（可能经过压缩或加密）。")
    start = objs[-1].end()
    end = data.find(b"endobj", start)
    info = _parse_dict(data[start : end if end != -1 else len(data)])
    out = {_INFO_KEYS[k]: v for k, v in info.items() if k in _INFO_KEYS}
    if "report_id" not in out:
        raise ReportError("这个 PDF 不是本程序生成的报告（没有报告编号）。")
    return out


_NAME = re.compile(rb"/([^\s/<>\[\]()%]*)")


def _skip_nested(raw: bytes, pos: int) -> int:
    depth = 0
    while pos < len(raw):
        if raw.startswith((b"<<", b"["), pos):
            depth += 1
            pos += 2 if raw[pos] == 0x3C else 1
        elif raw.startswith((b">>", b"]"), pos):
            depth -= 1
            pos += 2 if raw[pos] == 0x3E else 1
            if depth == 0:
                return pos
        elif raw.startswith(b"(", pos):
            pos = _literal_string(raw, pos)[1]
        else:
            pos += 1
    return pos


def _parse_dict(raw: bytes) -> dict[str, str]:
    """The string-valued entries of the first PDF dictionary in `raw`."""
    pos = raw.find(b"<<")
    if pos == -1:
        return {}
    pos += 2
    out: dict[str, str] = {}
    n = len(raw)
    while pos < n:
        while pos < n and raw[pos : pos + 1].isspace():
            pos += 1
        if raw.startswith(b">>", pos) or pos >= n:
            break
        m = _NAME.match(raw, pos)
        if not m:
            break
        key = m.group(1).decode("latin-1")
        pos = m.end()
        while pos < n and raw[pos : pos + 1].isspace():
            pos += 1
        if raw.startswith(b"(", pos):
            value, pos = _literal_string(raw, pos)
            out[key] = _decode_text(value)
        elif raw.startswith(b"<", pos) and not raw.startswith(b"<<", pos):
            end = raw.index(b">", pos)
            hexdigits = re.sub(rb"\s", b"", raw[pos + 1 : end])
            if len(hexdigits) % 2:
                hexdigits += b"0"
            out[key] = _decode_text(bytes.fromhex(hexdigits.decode("ascii")))
            pos = end + 1
        elif raw.startswith(b"/", pos):  # a name value (/Trapped /False)
            m = _NAME.match(raw, pos)
            pos = m.end() if m else pos + 1
        elif raw.startswith((b"<<", b"["), pos):  # nested: skip, balanced
            pos = _skip_nested(raw, pos)
        else:  # a number, boolean or reference
            m = re.compile(rb"[^/<>\[\]()]*").match(raw, pos)
            pos = m.end() if m and m.end() > pos else pos + 1
    return out


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12,
            ord("("): 40, ord(")"): 41, ord("\\"): 92}


def _literal_string(raw: bytes, pos: int) -> tuple[bytes, int]:
    """A PDF literal string starting at raw[pos] == '(' -> (bytes, position after it)."""
    out = bytearray()
    depth = 0
    i = pos
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            i += 1
            e = raw[i]
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                i += 1
            elif 0x30 <= e <= 0x37:
                digits = raw[i : i + 3]
                m = re.match(rb"[0-7]{1,3}", digits)
                assert m is not None
                out.append(int(m.group(0), 8) & 0xFF)
                i += len(m.group(0))
            elif e in (10, 13):  # line continuation
                i += 2 if raw[i : i + 2] == b"\r\n" else 1
            else:
                out.append(e)
                i += 1
            continue
        if c == 0x28:
            depth += 1
            if depth > 1:
                out.append(c)
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
            out.append(c)
        else:
            out.append(c)
        i += 1
    raise ReportError("PDF 文档信息格式错误。")


def _decode_text(value: bytes) -> str:
    if value.startswith(b"\xfe\xff"):
        return value[2:].decode("utf-16-be", errors="replace")
    if value.startswith(b"\xef\xbb\xbf"):
        return value[3:].decode("utf-8", errors="replace")
    return value.decode("latin-1")  # PDFDocEncoding agrees with Latin-1 for what we write
