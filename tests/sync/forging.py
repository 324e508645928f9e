"""Build packages by the documented byte layout (docs/sync-package-format.md), bypassing
`write_package`, so tests can sign and encrypt payloads it would refuse to make (path
tricks, lying ZIPs, newer schemas) with real keys."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wushan_desk.sync import crypto

SUITE = crypto.DEFAULT_SUITE


def zip_bytes(entries: list[tuple[str, bytes]], comment: bytes,
              method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.comment = comment
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def forge(path: Path, fields: dict[str, Any], sender: crypto.PrivateKeys,
          recipient: crypto.PublicKeys, make_zip: Callable[[bytes], bytes] | None = None) -> Path:
    """A package with header `fields`; `make_zip(comment)` gives the ZIP's bytes."""
    fields = {"format": 1, "suite": SUITE.name, "package_id": str(uuid.uuid4()),
              "created": "2025-03-01T08:00:00Z", **fields}
    comment = json.dumps(fields).encode()
    plain, sealed = path.with_name("plain.zip"), path.with_name("sealed.age")
    plain.write_bytes(make_zip(comment) if make_zip else zip_bytes(
        [("manifest.json", b"{}")], comment))
    SUITE.encrypt_file(recipient, plain, sealed)
    payload = sealed.read_bytes()
    header = json.dumps({**fields, "payload_size": len(payload),
                         "payload_sha256": hashlib.sha256(payload).hexdigest()}).encode()
    signed = b"WUSHANPKG\n" + len(header).to_bytes(4, "big") + header
    signature = SUITE.sign(sender, signed)
    path.write_bytes(signed + len(signature).to_bytes(2, "big") + signature + payload)
    plain.unlink()
    sealed.unlink()
    return path
