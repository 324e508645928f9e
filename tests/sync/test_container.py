"""The sync package container: keys, round trips, and every way a bad package is refused.

`forge` below builds packages by the documented byte layout (docs/sync-package-format.md)
without going through `write_package`, so the tests can sign and encrypt payloads that
`write_package` would refuse to make (path tricks, lying ZIPs) and check the spec too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import forging
import pytest
from forging import zip_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wushan_desk.progress import Cancelled
from wushan_desk.sync import container, crypto
from wushan_desk.sync.container import Limits, PackageRejected
from wushan_desk.sync.keys import KeyStoreError, MappingKeyStore, load_or_create

SUITE = crypto.DEFAULT_SUITE
DEVICE, HUB, OTHER = "device-a", "hub", "device-b"
KEYS = {name: SUITE.generate() for name in (DEVICE, HUB, OTHER)}
PHOTO = b"\xff\xd8 not really a jpeg " * 500
PHOTO_HASH = hashlib.sha256(PHOTO).hexdigest()
FIELDS = {"kind": "sync", "sender": DEVICE, "recipient": HUB, "schema_version": 3,
          "app_version": "0.1.0"}
MEMBERS: list[tuple[str, Path | bytes]] = [
    ("manifest.json", b'{"from_seq": 1, "to_seq": 2}'),
    ("changes.jsonl", b'{"n": 1}\n\n{"n": 2}\n'),
    (f"files/{PHOTO_HASH}", PHOTO),
]


def write(path: Path, members: list[tuple[str, Path | bytes]] = MEMBERS, **fields: Any) -> Path:
    """A package from DEVICE to HUB (or as `fields` say)."""
    fields = {**FIELDS, **fields}
    recipient = KEYS[fields["recipient"]].public()
    scratch = path.parent / ".scratch"
    scratch.mkdir(exist_ok=True)
    try:
        container.write_package(path, fields, members, KEYS[fields["sender"]], recipient, SUITE,
                                tmpdir=scratch)
    finally:
        scratch.rmdir()  # the writer left nothing behind (else: not empty, an error)
    return path


def open_as(path: Path, workdir: Path, me: str = HUB, *, known: tuple[str, ...] = (DEVICE, OTHER),
            revoked: tuple[str, ...] = (), limits: Limits | None = None,
            cancelled: Callable[[], bool] | None = None,
            keys_of: Callable[[str], crypto.PublicKeys] = lambda d: KEYS[d].public(),
            ) -> container.OpenedPackage:
    return container.open_package(
        path, known_sender=lambda d: keys_of(d) if d in known else None, me=me,
        my_keys=KEYS[me], is_revoked=lambda d: d in revoked, workdir=workdir,
        limits=limits or Limits(), cancelled=cancelled,
    )


def rejection(path: Path, workdir: Path, **kwargs: Any) -> PackageRejected:
    """Open `path` expecting a rejection; also checks that nothing was left in `workdir`."""
    with pytest.raises(PackageRejected) as caught:
        open_as(path, workdir, **kwargs)
    assert not workdir.exists() or not any(workdir.iterdir())
    assert caught.value.message and re.search(r"[\u4e00-\u9fff]", caught.value.message)
    return caught.value


def forge(path: Path, make_zip: Callable[[bytes], bytes] | None = None, *,
          encrypt_to: str = HUB, sign_as: str = DEVICE, **overrides: Any) -> Path:
    """A package built by the documented layout; `make_zip(comment)` gives the ZIP bytes."""
    return forging.forge(path, {**FIELDS, **overrides}, KEYS[sign_as], KEYS[encrypt_to].public(),
                         make_zip)


# --- keys and suite ------------------------------------------------------------------------

def test_private_keys_never_show_their_secrets() -> None:
    keys = KEYS[DEVICE]
    for text in (repr(keys), str(keys), f"{keys}", repr([keys])):
        assert keys.sign not in text and keys.encrypt not in text
    assert keys.encrypt.startswith("AGE-SECRET-KEY-1")


def test_public_keys_and_fingerprint() -> None:
    public = KEYS[DEVICE].public()
    assert public.encrypt.startswith("age1") and len(public.sign) == 44
    assert public == SUITE.public(KEYS[DEVICE])
    fingerprint = SUITE.fingerprint(public)
    assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){3}", fingerprint)
    assert fingerprint != SUITE.fingerprint(KEYS[HUB].public())
    swapped = dataclasses.replace(public, encrypt=KEYS[HUB].public().encrypt)
    assert SUITE.fingerprint(swapped) != fingerprint


def test_sign_and_verify() -> None:
    signature = SUITE.sign(KEYS[DEVICE], b"data")
    assert SUITE.verify(KEYS[DEVICE].public(), b"data", signature)
    assert not SUITE.verify(KEYS[DEVICE].public(), b"datA", signature)
    assert not SUITE.verify(KEYS[HUB].public(), b"data", signature)
    assert not SUITE.verify(KEYS[DEVICE].public(), b"data", signature[:-1])
    assert not SUITE.verify(KEYS[DEVICE].public(), b"data", b"")
    for sign in ("bm90IGEga2V5", "not base64!", "", None):
        assert not SUITE.verify(crypto.PublicKeys(sign=sign, encrypt="age1x"), b"data", signature)  # type: ignore[arg-type]
    with pytest.raises(crypto.KeyFormatError):
        crypto.PrivateKeys(sign="bm90IGEga2V5", encrypt=KEYS[HUB].encrypt).public()
    with pytest.raises(crypto.KeyFormatError):
        crypto.PrivateKeys(sign=KEYS[HUB].sign, encrypt="AGE-SECRET-KEY-1X").public()


def test_get_suite() -> None:
    assert crypto.get_suite("age-x25519+ed25519/1") is SUITE
    assert list(crypto.SUITES.values()) == [SUITE]
    with pytest.raises(crypto.UnknownSuite, match="sm2"):
        crypto.get_suite("sm2+sm3+sm4/1")


def test_decrypting_with_the_wrong_key_leaves_no_plaintext(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(os.urandom(200_000))
    SUITE.encrypt_file(KEYS[HUB].public(), tmp_path / "plain", tmp_path / "sealed")
    with pytest.raises(crypto.DecryptionFailed):
        SUITE.decrypt_file(KEYS[OTHER], tmp_path / "sealed", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    damaged = bytearray((tmp_path / "sealed").read_bytes())
    damaged[-1000] ^= 1  # pyrage has already written the first chunks when it notices
    (tmp_path / "sealed").write_bytes(bytes(damaged))
    with pytest.raises(crypto.DecryptionFailed):
        SUITE.decrypt_file(KEYS[HUB], tmp_path / "sealed", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mapping_key_store() -> None:
    values: dict[str, str] = {}
    store = MappingKeyStore(values.get, values.__setitem__)
    assert store.load() is None
    keys = load_or_create(store, SUITE)
    assert set(values) == {"sign_private_key", "encrypt_identity"}
    assert store.load() == keys
    assert load_or_create(store, SUITE) == keys
    values["encrypt_identity"] = "AGE-SECRET-KEY-1BROKEN"
    with pytest.raises(KeyStoreError):
        store.load()
    del values["encrypt_identity"]
    with pytest.raises(KeyStoreError):
        store.load()


# --- round trips ---------------------------------------------------------------------------

def test_round_trip(tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(PHOTO)
    members = [*MEMBERS[:2], (f"files/{PHOTO_HASH}", photo)]
    (tmp_path / "out").mkdir()
    path = write(tmp_path / "out" / "a.wspkg", members)
    assert [p.name for p in path.parent.iterdir()] == ["a.wspkg"]
    header, signed, signature, offset = container.read_header(path)
    assert (header.kind, header.sender, header.recipient) == ("sync", DEVICE, HUB)
    assert header.format == 1 and header.suite == SUITE.name and header.sender_keys is None
    assert uuid.UUID(header.package_id).version == 4 and header.created.endswith("Z")
    assert header.payload_size == path.stat().st_size - offset
    assert SUITE.verify(KEYS[DEVICE].public(), signed, signature)
    with open_as(path, tmp_path / "work") as opened:
        assert opened.header == header
        assert opened.members == ("manifest.json", "changes.jsonl", f"files/{PHOTO_HASH}")
        assert opened.read_json("manifest.json") == {"from_seq": 1, "to_seq": 2}
        assert list(opened.iter_lines("changes.jsonl")) == ['{"n": 1}', '{"n": 2}']
        assert opened.file_path(PHOTO_HASH).read_bytes() == PHOTO
        with pytest.raises(PackageRejected) as caught:
            opened.read_json("receipt.json")
        assert caught.value.code == "missing-member"
    assert not any((tmp_path / "work").iterdir())


def test_enrolment_carries_the_senders_public_keys(tmp_path: Path) -> None:
    public = dataclasses.asdict(KEYS[HUB].public())
    path = write(tmp_path / "e.wspkg", [("enrolment.json", b"{}")], kind="enrolment",
                 sender=HUB, recipient=DEVICE, sender_keys=public)
    assert container.read_header(path)[0].sender_keys == public
    with open_as(path, tmp_path / "work", me=DEVICE, known=(HUB,)) as opened:
        assert opened.header.sender_keys == public and opened.members == ("enrolment.json",)


def test_big_members_stream(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(os.urandom(3 << 20))
    name = f"files/{hashlib.sha256(big.read_bytes()).hexdigest()}"
    seen: list[tuple[int, int, str]] = []
    container.write_package(tmp_path / "b.wspkg", FIELDS, [(name, big)], KEYS[DEVICE],
                            KEYS[HUB].public(), SUITE, progress=lambda *a: seen.append(a),
                            tmpdir=tmp_path)
    steps = [m for i, (_, _, m) in enumerate(seen) if i == 0 or seen[i - 1][2] != m]
    assert steps == ["正在打包…", "正在加密…", "正在校验…", "正在写入…"]
    assert all(done <= total for done, total, _ in seen)
    with open_as(tmp_path / "b.wspkg", tmp_path / "work") as opened:
        assert opened.file_path(name[6:]).read_bytes() == big.read_bytes()


def test_write_refuses_programming_errors(tmp_path: Path) -> None:
    for members in ([("notes.txt", b"x")], [("files/" + "0" * 64, b"x")],
                    [("manifest.json", b"{}"), ("manifest.json", b"{}")], [("../x", b"")]):
        with pytest.raises(ValueError):
            write(tmp_path / "x.wspkg", members)
    for fields in ({**FIELDS, "name": "向堃"}, {k: v for k, v in FIELDS.items() if k != "kind"},
                   {**FIELDS, "kind": "other"}, {**FIELDS, "created": "2025-01-01T00:00:00"}):
        with pytest.raises(ValueError):
            container.write_package(tmp_path / "x.wspkg", fields, MEMBERS, KEYS[DEVICE],
                                    KEYS[HUB].public(), SUITE, tmpdir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- who may send, who may read ------------------------------------------------------------

def test_wrong_recipient(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wspkg")
    exc = rejection(path, tmp_path / "work", me=OTHER)
    assert exc.code == "wrong-recipient" and HUB in exc.message and OTHER in exc.message
    assert str(exc).endswith("[wrong-recipient]")


def test_unknown_and_revoked_sender(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wspkg")
    assert rejection(path, tmp_path / "w", known=(OTHER,)).code == "unknown-sender"
    assert rejection(path, tmp_path / "w", revoked=(DEVICE,)).code == "revoked-sender"


def test_signed_by_someone_else(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg", sign_as=OTHER)
    assert rejection(path, tmp_path / "w").code == "bad-signature"


def test_malformed_sender_keys_do_not_verify(tmp_path: Path) -> None:
    """E.g. the hub's keys as an enrolment package states them (trust on first use)."""
    path = write(tmp_path / "p.wspkg")
    for sign in ("", "bm90IGEga2V5", "*" * 44):
        bad = crypto.PublicKeys(sign=sign, encrypt="age1nothing")
        exc = rejection(path, tmp_path / "w", keys_of=lambda d, bad=bad: bad)
        assert exc.code == "bad-signature"


def test_encrypted_for_someone_else(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg", encrypt_to=OTHER)
    assert rejection(path, tmp_path / "w").code == "decrypt-failed"


def test_resigned_by_another_enrolled_device(tmp_path: Path) -> None:
    """OTHER cannot read DEVICE's package, but could re-sign it as its own: the ZIP comment,
    inside the encryption, still names DEVICE."""
    path = write(tmp_path / "p.wspkg")
    header, _, _, offset = container.read_header(path)
    payload = path.read_bytes()[offset:]
    raw = dataclasses.replace(header, sender=OTHER).to_json()
    signed = b"WUSHANPKG\n" + len(raw).to_bytes(4, "big") + raw
    signature = SUITE.sign(KEYS[OTHER], signed)
    path.write_bytes(signed + len(signature).to_bytes(2, "big") + signature + payload)
    assert rejection(path, tmp_path / "w").code == "tampered"


# --- damage --------------------------------------------------------------------------------

def test_flipped_byte_in_ciphertext_is_caught_before_decrypting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "p.wspkg")
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("decrypted a tampered package")

    monkeypatch.setattr(crypto.AgeEd25519Suite, "decrypt_file", never)
    assert rejection(path, tmp_path / "w").code == "tampered"
    path.write_bytes(bytes(data) + b"x")
    assert rejection(path, tmp_path / "w").code == "tampered"


def test_changed_header_or_signature(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wspkg")
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"app_version":"0.1.0"', b'"app_version":"0.1.1"', 1))
    assert rejection(path, tmp_path / "w").code == "bad-signature"
    signed = container.read_header(tmp_path / "p.wspkg")[1]
    at = len(signed) + 2 + 10
    path.write_bytes(data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:])
    assert rejection(path, tmp_path / "w").code == "bad-signature"


def test_truncated_anywhere(tmp_path: Path) -> None:
    data = write(tmp_path / "p.wspkg").read_bytes()
    _, signed, _, offset = container.read_header(tmp_path / "p.wspkg")
    cut = tmp_path / "cut.wspkg"
    for size in (1, 5, 10, 12, 14, 20, len(signed) - 1, len(signed) + 1, len(signed) + 30,
                 offset, offset + 1, (offset + len(data)) // 2, len(data) - 1):
        cut.write_bytes(data[:size])
        assert rejection(cut, tmp_path / "w").code == "truncated", size


@pytest.mark.parametrize("content", [b"", os.urandom(3000), b"WUSHANPKX\n" + bytes(100), "zip"])
def test_not_a_package(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "p.wspkg"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("manifest.json", "{}")
    else:
        path.write_bytes(content)
    assert rejection(path, tmp_path / "w").code == "not-a-package"


def test_unreadable(tmp_path: Path) -> None:
    assert rejection(tmp_path / "missing.wspkg", tmp_path / "w").code == "unreadable"
    (tmp_path / "folder").mkdir()
    assert rejection(tmp_path / "folder", tmp_path / "w").code == "unreadable"


def test_bad_headers(tmp_path: Path) -> None:
    path = tmp_path / "p.wspkg"

    def header_of(raw: bytes, declared: int | None = None) -> str:
        size = len(raw) if declared is None else declared
        path.write_bytes(b"WUSHANPKG\n" + size.to_bytes(4, "big") + raw + b"\x00\x00")
        return rejection(path, tmp_path / "w").code

    assert header_of(b"{not json") == "bad-header"
    assert header_of(b"[1, 2]") == "bad-header"
    assert header_of(b"[" * 50_000 + b"]" * 50_000) == "bad-header"
    assert header_of(b'{"format": 1}') == "bad-header"
    assert header_of(b"\xff\xfe") == "bad-header"
    assert header_of(b"{}", declared=(64 << 10) + 1) == "bad-header"
    good = json.loads(container.read_header(write(tmp_path / "g.wspkg"))[1][14:])
    for field, value in [("payload_size", -1), ("payload_size", True), ("kind", ["sync"]),
                         ("package_id", "nope"), ("created", "2025-01-01T08:00:00+08:00"),
                         ("payload_sha256", "AB" * 32), ("sender", "a\nb"),
                         ("sender_keys", {"sign": "x"})]:
        assert header_of(json.dumps({**good, field: value}).encode()) == "bad-header", field


def test_newer_format_and_unknown_suite(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg", format=2, anything_new=True)
    exc = rejection(path, tmp_path / "w")
    assert exc.code == "newer-format" and "升级" in exc.message
    path = forge(tmp_path / "p.wspkg", suite="sm2+sm3+sm4/1")
    assert rejection(path, tmp_path / "w").code == "unknown-suite"


# --- hostile archives ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "../evil", "/abs", "files/notahash", "files/" + "A" * 64, "files/" + "0" * 63,
    "files\\" + "0" * 64, "..\\manifest.json", "manifest.json/", "files/", "evil.exe",
    "files/" + "0" * 64 + "/../../x", "C:/x", "manifest.json\x00.exe",
])
def test_member_names_outside_the_allowed_set(tmp_path: Path, name: str) -> None:
    path = forge(tmp_path / "p.wspkg",
                 lambda c: zip_bytes([("manifest.json", b"{}"), (name, b"x")], c))
    assert rejection(path, tmp_path / "w").code == "bad-member"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.wspkg", "w"]


def test_duplicate_members(tmp_path: Path) -> None:
    def dup(comment: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.comment = comment
            zf.writestr("manifest.json", "{}")
            with pytest.warns(UserWarning):
                zf.writestr("manifest.json", '{"evil": 1}')
        return buf.getvalue()

    assert rejection(forge(tmp_path / "p.wspkg", dup), tmp_path / "w").code == "bad-member"


def test_file_member_whose_content_is_not_its_hash(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg",
                 lambda c: zip_bytes([(f"files/{PHOTO_HASH}", PHOTO + b"!")], c))
    assert rejection(path, tmp_path / "w").code == "bad-member"


def test_payload_that_is_not_a_zip(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg", lambda c: b"PK\x03\x04" + os.urandom(500))
    assert rejection(path, tmp_path / "w").code == "bad-member"


def test_oversized_members(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wspkg")
    work = tmp_path / "w"
    assert rejection(path, work, limits=Limits(max_member_bytes=1000)).code == "oversized-member"
    assert rejection(path, work, limits=Limits(max_json_bytes=20)).code == "oversized-member"
    assert rejection(path, work, limits=Limits(max_total_bytes=5000)).code == "oversized-member"
    assert rejection(path, work, limits=Limits(max_members=2)).code == "oversized-member"
    open_as(path, work, limits=Limits(max_member_bytes=len(PHOTO), max_json_bytes=30)).close()


def test_oversized_package_is_refused_before_copying(tmp_path: Path) -> None:
    noise = os.urandom(3 << 20)
    path = write(tmp_path / "p.wspkg", [(f"files/{hashlib.sha256(noise).hexdigest()}", noise)])
    limits = Limits(max_total_bytes=1 << 20, max_members=10)
    assert rejection(path, tmp_path / "w", limits=limits).code == "oversized-package"


def test_member_that_inflates_beyond_its_declared_size(tmp_path: Path) -> None:
    """The central directory says 100 bytes; the deflate stream holds 20 MB of zeros."""
    def lying(comment: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.comment = comment
            zf.writestr("changes.jsonl", bytes(20 << 20))
            zf.filelist[0].file_size = 100
        return buf.getvalue()

    path = forge(tmp_path / "p.wspkg", lying)
    assert rejection(path, tmp_path / "w").code in {"bad-member", "oversized-member"}


def test_member_with_an_absurd_compression_ratio(tmp_path: Path) -> None:
    path = forge(tmp_path / "p.wspkg", lambda c: zip_bytes([("changes.jsonl", bytes(8 << 20))], c))
    assert rejection(path, tmp_path / "w").code == "oversized-member"


# --- interruptions -------------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def cancel_after(count: int) -> Callable[[], bool]:
    """A `cancelled` callback that says no `count` times, then yes."""
    calls = iter(range(count))
    return lambda: next(calls, None) is None


def count_checks(job: Callable[[Callable[[], bool]], object]) -> int:
    """How often a job asks `cancelled()` when it runs to the end."""
    asked = []
    job(lambda: bool(asked.append(1)))
    return len(asked)


def test_cancelled_write_leaves_nothing(tmp_path: Path) -> None:
    out, tmp = tmp_path / "stick", tmp_path / "tmp"
    out.mkdir()
    tmp.mkdir()

    def job(cancelled: Callable[[], bool]) -> object:
        return container.write_package(out / "p.wspkg", FIELDS, MEMBERS, KEYS[DEVICE],
                                       KEYS[HUB].public(), SUITE, tmpdir=tmp, cancelled=cancelled)

    checks = count_checks(job)
    (out / "p.wspkg").unlink()
    assert checks >= 8  # each step and each chunk
    for stop_after in range(checks):
        with pytest.raises(Cancelled):
            job(cancel_after(stop_after))
        assert leftovers(out) == [] and leftovers(tmp) == [], stop_after


def test_interrupt_during_encryption_is_not_swallowed(tmp_path: Path) -> None:
    """pyrage turns a reader's exception into EncryptError; the suite re-raises the original."""
    def progress(done: int, total: int, message: str) -> None:
        if message == "正在加密…" and done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        container.write_package(tmp_path / "p.wspkg", FIELDS, MEMBERS, KEYS[DEVICE],
                                KEYS[HUB].public(), SUITE, progress=progress, tmpdir=tmp_path)
    assert leftovers(tmp_path) == []


def test_failed_rename_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def pulled(*args: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", pulled)
    with pytest.raises(OSError):
        write(tmp_path / "p.wspkg")
    assert leftovers(tmp_path) == []


def test_old_partial_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "p.wspkg.partial").write_bytes(b"left by a pulled stick")
    open_as(write(tmp_path / "p.wspkg"), tmp_path / "w").close()
    assert leftovers(tmp_path) == ["p.wspkg", "w"]


def test_cancelled_open_leaves_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "p.wspkg")
    work = tmp_path / "w"
    checks = count_checks(lambda cancelled: open_as(path, work, cancelled=cancelled).close())
    assert checks >= 6
    for stop_after in range(checks):
        with pytest.raises(Cancelled):
            open_as(path, work, cancelled=cancel_after(stop_after))
        assert leftovers(work) == [], stop_after


# --- anything at all -----------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def only_rejections(path: Path, workdir: Path, intact: bytes | None = None,
                    may_lose: bool = False) -> None:
    """Opening is rejected with a known code, leaving nothing behind; or, only when the
    damage left the package byte-for-byte `intact` (a byte set to the value it had),
    it opens and holds exactly the original members. With `may_lose` (a damaged archive
    signed by its sender), a member the damage hid from the ZIP's directory may be
    missing, and asking for it is refused as "missing-member"; none is ever altered."""
    try:
        opened = open_as(path, workdir)
    except PackageRejected as exc:
        assert exc.code in container.CODES
    else:
        with opened:
            assert intact is not None and path.read_bytes() == intact, "damage went unnoticed"
            found, expected = unpacked(opened), {name: content for name, content in MEMBERS}
            if may_lose:
                assert found == {n: expected[n] for n in found}
                for lost in set(expected) - set(found):
                    with pytest.raises(PackageRejected) as caught:
                        opened._member(lost)
                    assert caught.value.code == "missing-member"
            else:
                assert found == expected
    assert leftovers(workdir) == []


def unpacked(opened: container.OpenedPackage) -> dict[str, bytes]:
    """Every member of an opened package by name, read back from where it was unpacked."""
    out = {}
    for name in opened.members:
        path = opened.file_path(name.removeprefix("files/")) if name.startswith("files/") \
            else opened._member(name)
        out[name] = path.read_bytes()
    return out


@FUZZ
@given(data=st.binary(max_size=4000), magic=st.booleans())
def test_arbitrary_bytes_are_only_ever_rejected(tmp_path: Path, data: bytes, magic: bool) -> None:
    path = tmp_path / "p.wspkg"
    path.write_bytes((b"WUSHANPKG\n" if magic else b"") + data)
    only_rejections(path, tmp_path / "w")


@pytest.fixture(scope="module")
def valid_package(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write(tmp_path_factory.mktemp("valid") / "p.wspkg").read_bytes()


@FUZZ
@given(data=st.data())
def test_damaged_packages_are_only_ever_rejected(
    tmp_path: Path, valid_package: bytes, data: st.DataObject
) -> None:
    """Bytes set, cut or inserted anywhere; half the edits aim at the clear envelope
    (magic, header, signature), where a check that stopped working would show first."""
    header_end = len(container.MAGIC) + 4 + int.from_bytes(valid_package[10:14], "big")
    envelope = header_end + 2 + int.from_bytes(valid_package[header_end:header_end + 2], "big")
    raw = bytearray(valid_package)
    for _ in range(data.draw(st.integers(1, 3))):
        end = data.draw(st.sampled_from([envelope, len(raw)]))
        at = data.draw(st.integers(0, max(end, 1)))
        how = data.draw(st.sampled_from(["set", "cut", "insert"]))
        value = data.draw(st.integers(0, 255))
        if how == "set" and at < len(raw):
            raw[at] = value
        elif how == "cut":
            del raw[at:]
        else:
            raw[at:at] = bytes([value])
    path = tmp_path / "p.wspkg"
    path.write_bytes(bytes(raw))
    only_rejections(path, tmp_path / "w", intact=valid_package)


def test_every_byte_of_the_envelope_is_covered(tmp_path: Path, valid_package: bytes) -> None:
    """Flip each byte of magic, header and signature in turn: every one is refused."""
    header_end = len(container.MAGIC) + 4 + int.from_bytes(valid_package[10:14], "big")
    envelope = header_end + 2 + int.from_bytes(valid_package[header_end:header_end + 2], "big")
    path, work = tmp_path / "p.wspkg", tmp_path / "w"
    for at in range(envelope):
        raw = bytearray(valid_package)
        raw[at] ^= 0x01
        path.write_bytes(bytes(raw))
        only_rejections(path, work)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_archives_inside_valid_envelopes_are_only_ever_rejected(
    tmp_path: Path, data: st.DataObject
) -> None:
    def damaged(comment: bytes) -> bytes:
        raw = bytearray(zip_bytes(MEMBERS, comment))  # type: ignore[arg-type]
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        return bytes(raw)

    # re-signed after the damage, so the envelope is valid: whatever opens must still
    # hold the original members unaltered (a byte in a timestamp may change, no content;
    # a length in the central directory may hide the next member: then it is missing)
    path = forge(tmp_path / "p.wspkg", damaged)
    only_rejections(path, tmp_path / "w", intact=path.read_bytes(), may_lose=True)


def test_a_full_disk_while_decrypting_is_not_called_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plain").write_bytes(os.urandom(300_000))
    SUITE.encrypt_file(KEYS[HUB].public(), tmp_path / "plain", tmp_path / "sealed")
    real_open = Path.open

    class FullDisk(io.FileIO):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self == tmp_path / "out":
            return FullDisk(str(self), "wb")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    with pytest.raises(OSError) as caught:
        SUITE.decrypt_file(KEYS[HUB], tmp_path / "sealed", tmp_path / "out")
    assert caught.value.errno == 28 and not isinstance(caught.value, crypto.CryptoError)
    assert not (tmp_path / "out").exists()


def test_a_member_hidden_by_a_damaged_directory_is_missing_not_altered(tmp_path: Path) -> None:
    """Found by the property above: one byte of a central-directory length makes zipfile
    read the directory without the last member. The package opens; the member is
    reported missing when the importer asks for it."""
    def damaged(comment: bytes) -> bytes:
        raw = bytearray(zip_bytes(MEMBERS, comment))  # type: ignore[arg-type]
        at = raw.rindex(b"changes.jsonl") - 13  # "disk number start" of its directory entry
        raw[at] = 1
        return bytes(raw)

    path = forge(tmp_path / "p.wspkg", damaged)
    only_rejections(path, tmp_path / "w", intact=path.read_bytes(), may_lose=True)
