"""Who signs the reports this workspace prints: the one place a report signer is made.

A printed report's QR code carries an Ed25519 signature by the printing device (format in
reports/qr.py); `report_verify` checks it against the device records every workspace
receives by sync. The key is the device's sync signing key, kept by the KeyStore in the
workspace: the hub and every enrolled (or enrolling) centre device have one from the day
they were set up.

With a certificate from the county hub (services/certificates.py), a final report is
also signed whole (PAdES, services/report_seal.py) and carries the signature's stamp.

A workspace without keys (the demo workspace, a self-check) prints unsigned reports,
which verification shows as 未签名. Keys are not made up on the spot: a key that no
other workspace has ever been told about proves nothing to anyone checking the report,
making one would quietly write a device record while printing, and a demo county's
made-up reports should not look like genuine ones.
"""

from __future__ import annotations

from wushan_desk.domain import clock
from wushan_desk.reports.qr import ReportSigner
from wushan_desk.services import report_seal
from wushan_desk.store.workspace import Workspace
from wushan_desk.sync import identity


def signer_for(ws: Workspace) -> ReportSigner | None:
    """The signer of this workspace's reports, or None when it has no device keys.

    Raises `KeyStoreError` (a UserError) when the stored keys are damaged: printing a
    report unsigned then would hide a broken device from its users.
    """
    keys = identity.keystore(ws).load()
    if keys is None:
        return None
    suite = identity.suite()
    sealing = report_seal.sealer_for(ws)
    if sealing is None:  # no certificate from the county yet: the QR is signed all the same
        return ReportSigner(ws.device_id, lambda data: suite.sign(keys, data))
    seal, info = sealing
    stamp = (f"电子签名：{info.centre or '县级中心库'} · {info.device_name}",
             f"签名时间：{clock.now():%Y-%m-%d %H:%M}　证书：{info.issuer}签发",
             "核验：本程序“报表 → 核验报告”，或 wushan-desk verify 文件.pdf")
    return ReportSigner(ws.device_id, lambda data: suite.sign(keys, data), seal, stamp)


__all__ = ["signer_for"]
