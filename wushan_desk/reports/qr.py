"""The text in a report's QR code: what it says, who signed it, and how to read it back.

Format (version 1), one line of ASCII, fields separated by single spaces::

    WSR1 KIND REPORT-ID DIGEST YYYYMMDD DEVICE SIGNATURE

    WSR1 * 5F0C2A9E-7D1B-4C3E-9A61-2B8E4F1D0C37:INSPECTION 9A1B2C3D4E5F6071 20261128
         8C2E41AA TNQUKFGC6P6YHMVLWBN7AGSKVSZNPJWG23QR2IUTK4HQMH6LMQQY4WLBUBFL
         XEZ4QYBYRF5XIAQ7NMU2E6ICNDN7JJQKGODNBET5WAQ
    (one line of 193 characters; wrapped here)

- ``WSR1``: Wushan signed report, format 1.
- ``KIND``: the report kind (inspection, dropout-notice ...), or ``*`` when the report id
  ends with ``:`` + the kind (then the kind is the part after the id's last colon).
- ``REPORT-ID``: the report id (`Document.report_id`).
- ``DIGEST``: the first 16 hex digits of the content hash (`content_hash`: sha256 of the
  document model), the same 16 digits printed beside the QR code as 校验码.
- ``YYYYMMDD``: the day the report was printed (the county's calendar), followed by
  ``D`` for a draft and ``S`` when the file also carries a digital signature (PAdES):
  a copy whose digital signature was cut off, or which is a draft, says so under the
  device's own signature.
- ``DEVICE``: the first 8 characters of the signing device's id.
- ``SIGNATURE``: the device's Ed25519 signature (64 bytes) in base32 without padding,
  over `message()`: the JSON array ``["WSR1", report id, kind, digest, "YYYY-MM-DD",
  full device id, flags]`` (compact, ASCII-escaped), so no field can be moved into
  another.

An unsigned report (a workspace without device keys: the demo) stops after the date.

Why so: USB barcode scanners type the text like a keyboard, and only plain ASCII survives
that (and Caps Lock, and a full-width input method: `parse` ignores case and folds
full-width characters). Every character is in the QR alphanumeric set (upper-case
letters, digits, space and ``$%*+-./:``), which packs 5.5 bits a character instead of 8:
an inspection report's payload (~190 characters) fits QR version 8 at level M (49
modules: 0.45 mm each in the 22 mm square). Text fields are written upper-case; other
characters (upper-case letters in an id, Chinese, spaces) as ``%XX`` of their UTF-8
bytes, so any id survives the trip exactly.

Reports printed before this format carry compact JSON (``{"app":"wushan-desk",...}``);
`parse` reads those as unsigned payloads.

Pure: no store, no Qt; the signature is made by the caller's `ReportSigner` and checked
by the services (which know the devices' public keys).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from wushan_desk.domain.errors import ValidationError

PREFIX = "WSR1"
#: Hex digits of the content hash in the payload (64 bits: as printed beside the QR).
DIGEST_CHARS = 16
#: Characters of the signing device's id in the payload.
DEVICE_CHARS = 8
SIGNATURE_BYTES = 64  # Ed25519
SAME_AS_ID = "*"

#: Written as themselves (upper-cased); anything else as %XX of its UTF-8 bytes.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.:/")
_HEX = re.compile(r"[0-9a-f]+")
_LEGACY_APP = "wushan-desk"


class PayloadError(ValidationError):
    """The text is not a report's QR payload; `message` says why, in Chinese. (Not a
    ReportError: that one lives beside reportlab, which this module does not load.)"""

    code = "bad-qr"


@dataclass(frozen=True)
class ReportSigner:
    """Who signs a report and how: the device's id and its signing function; with a
    certificate from the county, `seal` also signs a final report's whole file (PAdES,
    services/report_seal.py) and `stamp` is what its printed stamp says."""

    device_id: str
    sign: Callable[[bytes], bytes]
    seal: Callable[[bytes], bytes] | None = None
    stamp: tuple[str, ...] = ()


@dataclass(frozen=True)
class Payload:
    """A parsed QR payload. `device` is the printed prefix of the signer's id (None and
    `signature` None: unsigned). `legacy`: the JSON of reports printed before format 1
    (its `digest` is the full hash, `issued` None)."""

    report_id: str
    kind: str
    digest: str
    issued: dt.date | None
    device: str | None = None
    signature: bytes | None = None
    legacy: bool = False
    flags: str = ""  # "D": a draft; "S": the file was also signed whole (PAdES)

    @property
    def signed(self) -> bool:
        return self.signature is not None

    @property
    def draft(self) -> bool:
        return DRAFT in self.flags

    @property
    def sealed(self) -> bool:
        return SEALED in self.flags

    def message(self, device_id: str) -> bytes:
        """The bytes the device `device_id` signed for this payload."""
        if self.issued is None:
            raise PayloadError("旧版本程序打印的报告没有签名。")
        return message(self.report_id, self.kind, self.digest, self.issued, device_id,
                       self.flags)


DRAFT, SEALED = "D", "S"


def message(report_id: str, kind: str, digest: str, issued: dt.date, device_id: str,
            flags: str = "") -> bytes:
    """What a report's signature covers: prefix, id, kind, digest (16 hex), date, device
    and the flags (draft, sealed).

    A JSON array, so that no value can be shifted into its neighbour (ids may hold any
    character)."""
    fields = [PREFIX, report_id, kind, digest[:DIGEST_CHARS].lower(), issued.isoformat(),
              device_id, flags]
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def build(report_id: str, kind: str, digest: str, issued: dt.date,
          signer: ReportSigner | None = None, *, draft: bool = False,
          sealed: bool = False) -> str:
    """The QR text of a report (format above); signed when `signer` is given."""
    if not report_id or not kind:
        raise ValueError("a report needs an id and a kind")
    digest = digest[:DIGEST_CHARS].lower()
    if len(digest) != DIGEST_CHARS or not _HEX.fullmatch(digest):
        raise ValueError(f"not a content hash: {digest!r}")
    kind_field = SAME_AS_ID if report_id.endswith(":" + kind) else _encode(kind)
    flags = (DRAFT if draft else "") + (SEALED if sealed else "")
    fields = [PREFIX, kind_field, _encode(report_id), digest.upper(),
              issued.strftime("%Y%m%d") + flags]
    if signer is not None:
        signature = signer.sign(message(report_id, kind, digest, issued, signer.device_id,
                                        flags))
        fields += [_encode(signer.device_id[:DEVICE_CHARS]),
                   base64.b32encode(signature).decode("ascii").rstrip("=")]
    return " ".join(fields)


def parse(text: str) -> Payload:
    """Read a QR payload as printed, typed or scanner-typed (any case, full-width too).

    Raises `PayloadError` with a plain reason for anything else. Checks the form only:
    whether the signature is genuine is for whoever knows the devices' keys.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    if text.startswith("{"):
        return _parse_legacy(text)
    fields = text.upper().split()
    if not fields or fields[0] != PREFIX:
        raise _not_ours("它不以 WSR1 开头")
    if len(fields) not in (5, 7):
        raise _not_ours("内容不完整（可能没有扫全，或复制时少了一段）")
    report_id = _decode(fields[2], "报告编号")
    kind = _kind(fields[1], report_id)
    digest = fields[3].lower()
    if len(digest) != DIGEST_CHARS or not _HEX.fullmatch(digest):
        raise _not_ours("校验码应为 16 位十六进制数字")
    issued, flags = _date(fields[4][:8]), fields[4][8:]
    if flags not in ("", DRAFT, SEALED, DRAFT + SEALED):
        raise _not_ours("日期后只能跟 D（草稿）或 S（带数字签名）")
    if len(fields) == 5:
        return Payload(report_id, kind, digest, issued, flags=flags)
    return Payload(report_id, kind, digest, issued, _decode(fields[5], "设备编号"),
                   _signature(fields[6]), flags=flags)


def _not_ours(why: str) -> PayloadError:
    return PayloadError(f"这不是本程序所印报告的二维码内容：{why}。请对准报告最后一页右下角的"
                        "二维码重新扫描，或改用 PDF 文件核验。")


def _encode(value: str) -> str:
    return "".join(c.upper() if c in _PLAIN else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
                   for c in value)


def _decode(field: str, what: str) -> str:
    out = bytearray()
    i = 0
    while i < len(field):
        c = field[i]
        if c == "%":
            pair = field[i + 1 : i + 3]
            if not re.fullmatch(r"[0-9A-F]{2}", pair):
                raise _not_ours(f"{what}中的 % 后应跟两位十六进制数字")
            out.append(int(pair, 16))
            i += 3
            continue
        if c.lower() not in _PLAIN:
            raise _not_ours(f"{what}中有不应出现的字符“{c}”")
        out += c.lower().encode("ascii")
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_ours(f"{what}的编码有误") from None


def _kind(field: str, report_id: str) -> str:
    if field != SAME_AS_ID:
        return _decode(field, "报表种类")
    head, colon, kind = report_id.rpartition(":")
    if not (colon and head and kind):
        raise _not_ours("报表种类写作 *，但报告编号里没有种类")
    return kind


def _date(field: str) -> dt.date:
    try:
        return dt.datetime.strptime(field, "%Y%m%d").date()
    except ValueError:
        raise _not_ours("日期应为 8 位数字，如 20261128") from None


def _signature(field: str) -> bytes:
    padded = field + "=" * (-len(field) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError):
        raise _not_ours("签名部分有不应出现的字符") from None
    if len(raw) != SIGNATURE_BYTES:
        raise _not_ours("签名长度不对（可能没有扫全）")
    return raw


def _parse_legacy(text: str) -> Payload:
    """{"app":"wushan-desk","kind":...,"id":...,"sha256":...}: before format 1, unsigned."""
    try:
        data = json.loads(text)
        ok = (isinstance(data, dict) and data.get("app") == _LEGACY_APP
              and all(isinstance(data.get(k), str) and data[k] for k in ("kind", "id", "sha256")))
    except (ValueError, RecursionError):
        ok = False
    if not ok or not _HEX.fullmatch(data["sha256"].lower()) or len(data["sha256"]) < DIGEST_CHARS:
        raise _not_ours("它是一段 JSON，但不是本程序报告的内容")
    return Payload(data["id"], data["kind"], data["sha256"].lower(), None, legacy=True)


__all__ = ["DIGEST_CHARS", "PREFIX", "Payload", "PayloadError", "ReportSigner", "build",
           "message", "parse"]
