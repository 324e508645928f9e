"""Crypto suites for sync packages: key pairs, signatures, file encryption, fingerprints.

Everything the package format needs from cryptography goes through the `Suite` protocol,
so that a national-algorithm suite (SM2/SM3/SM4) can be added beside the first one
without touching the container. The first suite uses only standard, audited
constructions: age (X25519 + ChaCha20-Poly1305, via pyrage) for encryption to one
recipient, and Ed25519 (via cryptography) for the sender's signature. age authenticates
the ciphertext but not who made it, hence the separate signature.

Keys travel and are stored as text (see `PublicKeys` and `PrivateKeys`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import pyrage
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_der_public_key,
)

#: Called with the number of source bytes consumed so far; may raise to abort the job.
ByteProgress = Callable[[int], None]

#: `ByteProgress` is called about once per this many bytes (and once at the end).
PROGRESS_STEP = 1 << 20


class CryptoError(Exception):
    """Base class for failures of a crypto suite."""


class KeyFormatError(CryptoError, ValueError):
    """A key's text form is malformed (wrong encoding, length or prefix)."""


class UnknownSuite(CryptoError, LookupError):
    """A package or key names a suite this build does not have."""


class DecryptionFailed(CryptoError):
    """The ciphertext is not for these keys, or it is damaged; no plaintext is kept."""


@dataclass(frozen=True)
class PublicKeys:
    """A party's public keys as text: what enrolment exchanges and the store keeps.

    For the age/Ed25519 suite: `sign` is the base64 of the raw 32-byte Ed25519 public
    key, `encrypt` is an age X25519 recipient ("age1...").
    """

    sign: str
    encrypt: str


@dataclass(frozen=True)
class PrivateKeys:
    """A party's private keys as text; never printed, logged or put into a package.

    For the age/Ed25519 suite: `sign` is the base64 of the raw 32-byte Ed25519 private
    key, `encrypt` is an age X25519 identity ("AGE-SECRET-KEY-1...").
    """

    sign: str
    encrypt: str

    def __repr__(self) -> str:
        """Hide both secrets, so a traceback or a log line cannot leak them."""
        return "PrivateKeys(sign=<hidden>, encrypt=<hidden>)"

    __str__ = __repr__

    def public(self) -> PublicKeys:
        """The matching public keys (derived with the default suite, the only one so far)."""
        return DEFAULT_SUITE.public(self)


class Suite(Protocol):
    """One crypto suite: how packages are signed, verified, encrypted and decrypted."""

    name: str

    def generate(self) -> PrivateKeys:
        """Fresh key pairs for a new device or hub."""
        ...

    def public(self, keys: PrivateKeys) -> PublicKeys:
        """The public keys belonging to `keys`."""
        ...

    def sign(self, keys: PrivateKeys, data: bytes) -> bytes:
        """A signature over `data` by the holder of `keys`."""
        ...

    def verify(self, public: PublicKeys, data: bytes, signature: bytes) -> bool:
        """True only if `signature` over `data` was made by the owner of `public`.

        Never raises for bad input: a malformed key or signature simply does not verify
        (keys may come from a package, e.g. the hub's keys in an enrolment package).
        """
        ...

    def encrypt_file(
        self, recipient: PublicKeys, src: Path, dst: Path, *, progress: ByteProgress | None = None
    ) -> None:
        """Encrypt `src` for `recipient` into `dst`, streaming (memory stays small)."""
        ...

    def decrypt_file(
        self, keys: PrivateKeys, src: Path, dst: Path, *, progress: ByteProgress | None = None
    ) -> None:
        """Decrypt `src` into `dst`, streaming; raises `DecryptionFailed`, leaving no `dst`."""
        ...

    def fingerprint(self, public: PublicKeys) -> str:
        """A short text two people can read to each other to compare keys."""
        ...


def _b64_key(text: str, what: str) -> bytes:
    """The 32 raw bytes of a base64 key, or `KeyFormatError` (strict: no junk, no padding games)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise KeyFormatError(f"{what}: not base64") from exc
    if len(raw) != 32:
        raise KeyFormatError(f"{what}: expected 32 bytes, got {len(raw)}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_PYRAGE_ERRORS = (pyrage.DecryptError, pyrage.EncryptError, OSError)


class _Pump:
    """File-like adapters around a pyrage *_io call, reporting progress and keeping errors.

    pyrage's `encrypt_io` turns any exception raised by the reader or writer (even
    KeyboardInterrupt or a full disk) into an `EncryptError` carrying only a string, while
    `decrypt_io` lets them through. The adapters remember the first exception so that it is
    re-raised as itself either way. Reading through Python also lets other threads run
    between chunks: `pyrage.encrypt_file` holds the GIL for the whole file.
    """

    def __init__(self, src: IO[bytes], dst: IO[bytes], progress: ByteProgress | None) -> None:
        self._src, self._dst, self._progress = src, dst, progress
        self.done = 0
        self._reported = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        """Read for pyrage, counting bytes and reporting every `PROGRESS_STEP`."""
        try:
            chunk = self._src.read(size)
            self.done += len(chunk)
            if self._progress and (not chunk or self.done - self._reported >= PROGRESS_STEP):
                self._reported = self.done
                self._progress(self.done)
            return chunk
        except BaseException as exc:
            self.error = self.error or exc
            raise

    def write(self, data: bytes) -> int:
        """Write for pyrage, remembering the failure (e.g. a full USB stick)."""
        try:
            return self._dst.write(data)
        except BaseException as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        self._dst.flush()

    def run(self, call: Callable[[_Pump, _Pump], None], failure: type[CryptoError]) -> None:
        """Run `call(reader, writer)`: an adapter's exception is re-raised unchanged (a full
        disk stays an OSError), pyrage's own as `failure`."""
        try:
            call(self, self)
        except BaseException as exc:
            if self.error is not None:
                raise self.error from None
            if isinstance(exc, _PYRAGE_ERRORS):
                # pyrage reports a damaged chunk as a bare OSError("decryption error").
                raise failure(str(exc) or type(exc).__name__) from exc
            raise
        if self.error is not None:
            raise self.error


class AgeEd25519Suite:
    """age (X25519) encryption to one recipient, Ed25519 signatures."""

    name = "age-x25519+ed25519/1"

    def generate(self) -> PrivateKeys:
        """A new Ed25519 signing key and a new age X25519 identity."""
        signing = Ed25519PrivateKey.generate()
        raw = signing.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return PrivateKeys(sign=_b64(raw), encrypt=str(pyrage.x25519.Identity.generate()))

    def public(self, keys: PrivateKeys) -> PublicKeys:
        """Derive the public halves (checks both private keys' formats on the way)."""
        signing = self._signing_key(keys)
        raw = signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKeys(sign=_b64(raw), encrypt=str(self._identity(keys).to_public()))

    def sign(self, keys: PrivateKeys, data: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `data`."""
        return self._signing_key(keys).sign(data)

    def verify(self, public: PublicKeys, data: bytes, signature: bytes) -> bool:
        """Check an Ed25519 signature; a malformed key or signature is just invalid."""
        try:
            key = Ed25519PublicKey.from_public_bytes(_b64_key(public.sign, "public signing key"))
            key.verify(signature, data)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True

    def encrypt_file(
        self, recipient: PublicKeys, src: Path, dst: Path, *, progress: ByteProgress | None = None
    ) -> None:
        """Stream `src` through age to `dst`; on any failure `dst` is removed."""
        try:
            target = pyrage.x25519.Recipient.from_str(recipient.encrypt)
        except pyrage.RecipientError as exc:
            raise KeyFormatError("age recipient: malformed") from exc
        with src.open("rb") as fin:
            _stream(fin, dst, progress, lambda r, w: pyrage.encrypt_io(r, w, [target]), CryptoError)

    def decrypt_file(
        self, keys: PrivateKeys, src: Path, dst: Path, *, progress: ByteProgress | None = None
    ) -> None:
        """Stream age ciphertext `src` to plaintext `dst`; a failure leaves no `dst`.

        pyrage writes plaintext chunks as it authenticates them, so a damaged file fails
        only at the damaged chunk, after earlier chunks reached `dst`; hence the removal.
        """
        identity = self._identity(keys)
        with src.open("rb") as fin:
            _stream(
                fin,
                dst,
                progress,
                lambda r, w: pyrage.decrypt_io(r, w, [identity]),
                DecryptionFailed,
            )

    def fingerprint(self, public: PublicKeys) -> str:
        """First 16 hex digits of sha256(suite name, sign key, encrypt key), in groups of 4.

        64 bits is plenty for two people comparing a device at enrolment (trust on
        first use): forging a key pair with a chosen fingerprint costs ~2^64 work.
        """
        text = f"{self.name}\n{public.sign}\n{public.encrypt}\n".encode()
        digits = hashlib.sha256(text).hexdigest()[:16]
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))

    @staticmethod
    def _signing_key(keys: PrivateKeys) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(_b64_key(keys.sign, "private signing key"))

    @staticmethod
    def _identity(keys: PrivateKeys) -> pyrage.x25519.Identity:
        try:
            return pyrage.x25519.Identity.from_str(keys.encrypt)
        except pyrage.IdentityError as exc:
            raise KeyFormatError("age identity: malformed") from exc


def ed25519_private(keys: PrivateKeys) -> Ed25519PrivateKey:
    """The Ed25519 key of `keys` (the age/Ed25519 suite), for X.509 and PDF signatures."""
    return Ed25519PrivateKey.from_private_bytes(_b64_key(keys.sign, "private signing key"))


#: The order of the P-256 group (SEC 2), for deriving a private scalar in [1, n - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def document_key(keys: PrivateKeys) -> ec.EllipticCurvePrivateKey:
    """The key a device signs its PDF reports with: ECDSA P-256, derived from its Ed25519
    signing key by HKDF-SHA256, so there is no new secret to keep or back up, and the
    hub, holding only public keys, cannot derive it. Not Ed25519 itself, because PDF
    readers (Adobe Reader, WPS, poppler) check RSA and ECDSA signatures only: a report
    signed with Ed25519 shows there as damaged."""
    seed = HKDF(algorithm=SHA256(), length=48, salt=None,
                info=b"wushan-desk report signing key, ECDSA P-256, v1").derive(
        _b64_key(keys.sign, "private signing key"))
    # 384 bits reduced modulo a 256-bit order: the bias is below 2**-128
    scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def document_public_text(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """A document key's public half as text (base64 of its DER SubjectPublicKeyInfo)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return _b64(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def document_public(text: str) -> ec.EllipticCurvePublicKey:
    """The P-256 public key in `text`; KeyFormatError if it is anything else."""
    try:
        key = load_der_public_key(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeEncodeError, AttributeError, ValueError) as exc:
        raise KeyFormatError("document key: not a public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise KeyFormatError("document key: not an ECDSA P-256 key")
    return key


def ed25519_public(public: PublicKeys) -> Ed25519PublicKey:
    """The Ed25519 public key of `public`; KeyFormatError if it is malformed."""
    try:
        return Ed25519PublicKey.from_public_bytes(_b64_key(public.sign, "public signing key"))
    except ValueError as exc:
        raise KeyFormatError("public signing key: not an Ed25519 key") from exc


def _stream(
    fin: IO[bytes],
    dst: Path,
    progress: ByteProgress | None,
    call: Callable[[_Pump, _Pump], None],
    failure: type[CryptoError],
) -> None:
    """Pump `fin` through a pyrage *_io `call` into `dst`; remove `dst` on any failure."""
    try:
        with dst.open("wb") as fout:
            _Pump(fin, fout, progress).run(call, failure)
    except BaseException:
        dst.unlink(missing_ok=True)
        raise


DEFAULT_SUITE = AgeEd25519Suite()

#: Every suite this build can read and write, by the name carried in package headers.
SUITES: dict[str, Suite] = {DEFAULT_SUITE.name: DEFAULT_SUITE}


def get_suite(name: str) -> Suite:
    """The suite called `name`; `UnknownSuite` naming the known ones if this build lacks it."""
    try:
        return SUITES[name]
    except KeyError:
        known = ", ".join(sorted(SUITES))
        raise UnknownSuite(f"unknown crypto suite {name!r} (this build knows: {known})") from None
