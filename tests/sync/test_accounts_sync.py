"""Accounts reach their centre's laptop by package; a county reset works there once; the
laptops' audit trails reach the hub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import support
from network import HUB, Network

from wushan_desk import cli
from wushan_desk.services import accounts, audit, records, sync
from wushan_desk.store import keyslots

TEMP = "temp-pass-123"


def centre_id_of(net: Network, device: str) -> str:
    with net.open(device) as ws:
        return ws.state("centre_id") or ""


def add_supervisor(net: Network, device: str, login: str = "duxue-x") -> None:
    centre = centre_id_of(net, device)
    with net.open(HUB) as hub:
        accounts.add_account(hub, accounts.Credentials(login, TEMP), "supervisor",
                             display_name="向督学", centre_id=centre)


def log_in(net: Network, party: str, login: str, password: str):
    accounts.forget(net.path(party))
    return accounts.login(net.path(party), accounts.Credentials(login, password))


def test_a_supervisor_created_at_the_hub_logs_in_on_the_centre_laptop(net: Network) -> None:
    add_supervisor(net, "dev0")
    (package,) = net.export(HUB, "dev0")
    (summary,) = net.import_("dev0", package)
    assert summary["status"] == "applied" and summary["accounts"] == 1
    ws = log_in(net, "dev0", "duxue-x", TEMP)
    try:
        assert ws.user.role == "supervisor" and ws.user.must_change  # temporary: change it
        accounts.change_password(ws, TEMP, "my-own-password")
    finally:
        ws.close()
    log_in(net, "dev0", "duxue-x", "my-own-password").close()
    # the other centre's laptop never hears of this account
    (package,) = net.export(HUB, "dev1")
    net.import_("dev1", package)
    with pytest.raises(keyslots.LoginFailed):
        log_in(net, "dev1", "duxue-x", TEMP)


def test_a_county_reset_reaches_the_laptop_and_works_once(net: Network) -> None:
    add_supervisor(net, "dev0")
    net.import_("dev0", *net.export(HUB, "dev0"))
    ws = log_in(net, "dev0", "duxue-x", TEMP)
    accounts.change_password(ws, TEMP, "forgotten-password")
    ws.close()
    with net.open(HUB) as hub:  # the supervisor forgot it: the county resets
        accounts.reset_password(hub, "duxue-x", "reset-pass-456")
    (reset_package,) = net.export(HUB, "dev0")
    net.import_("dev0", reset_package)
    ws = log_in(net, "dev0", "duxue-x", "reset-pass-456")
    assert ws.user.must_change
    accounts.change_password(ws, "reset-pass-456", "new-own-password")
    ws.close()
    # the same package again, and every later package (which still carries the hub's
    # issue), reset nothing
    accounts.forget(net.path("dev0"))
    with net.open("dev0") as dev:
        sync.import_packages(dev, [reset_package])
    (later,) = net.export(HUB, "dev0")
    (summary,) = net.import_("dev0", later)
    assert summary["status"] == "applied"
    with pytest.raises(keyslots.LoginFailed):
        log_in(net, "dev0", "duxue-x", "reset-pass-456")
    log_in(net, "dev0", "duxue-x", "new-own-password").close()


def test_accounts_from_a_laptop_are_refused_at_the_hub(net: Network, tmp_path: Path) -> None:
    """A laptop cannot hand out accounts: a package carrying them is refused whole."""
    from wushan_desk.sync import accounts_sync

    with net.open("dev0") as dev, pytest.raises(Exception, match="只有县级中心库可以下发账号"):
        accounts_sync.apply_accounts(dev, False, b"[]")
    with net.open(HUB) as hub, pytest.raises(Exception, match="只有县级中心库可以下发账号"):
        accounts_sync.apply_accounts(hub, True, b"[]")


def test_laptop_audit_entries_reach_the_hub_once(net: Network, capsys) -> None:
    with net.open("dev0") as dev:
        audit.record(dev, "print", kind="visit", record_id="v-1", detail={"file": "a.pdf"})
    for _ in range(2):  # sent until confirmed, stored once
        net.import_(HUB, *net.export("dev0"))
    with net.open(HUB) as hub:
        got = [e for e in audit.entries(hub, action="print") if e.record_id == "v-1"]
    assert len(got) == 1 and got[0].device_id == net.ids["dev0"]
    net.import_("dev0", *net.export(HUB, "dev0"))  # the hub's receipt
    with net.open("dev0") as dev:
        from wushan_desk.sync import accounts_sync

        left = (accounts_sync.audit_member(dev, net.ids[HUB]) or b"").decode()
    assert "v-1" not in left  # confirmed: not sent again (only entries made since, if any)
    with net.open(HUB) as hub:  # the laptop's package exports reached the hub's trail too
        exports = [e for e in audit.entries(hub, action="package-export")
                   if e.device_id == net.ids["dev0"]]
    assert exports


def test_a_laptop_cannot_send_another_devices_audit_entries(net: Network) -> None:
    from wushan_desk.sync import accounts_sync

    line = json.dumps({"id": "x1", "at": "2026-11-30T10:00:00+08:00", "device_id": "other",
                       "action": "print", "seq": 1, "detail": {}})
    with net.open(HUB) as hub, pytest.raises(Exception, match="审计记录格式不对"):
        accounts_sync.apply_audit(hub, net.ids["dev0"], line.encode())


def test_cli_reset_needs_an_administrator(net: Network, capsys, monkeypatch) -> None:
    add_supervisor(net, "dev0")
    monkeypatch.setenv("WUSHAN_DESK_NEW_PASSWORD", "reset-pass-789")
    code = cli.main(["account", "reset", "duxue-x", "--db", str(net.path(HUB))])
    assert code == 0, capsys.readouterr().err


def test_accounts_come_with_the_enrolment_package(net: Network, tmp_path: Path) -> None:
    """A new laptop for a centre gets the centre's supervisors when it joins."""
    with net.open(HUB) as hub:
        centre = next(c for c in records.iter_records(hub, "centre")
                      if c["name"] == net.centres["dev1"])
        accounts.add_account(hub, accounts.Credentials("duxue-new", TEMP), "supervisor",
                             centre_id=centre["id"])
    new = tmp_path / "new.wsdb"
    request = sync.device_init(new, "新笔记本", tmp_path / "out")
    with net.open(HUB) as hub:
        enrolled = sync.hub_enrol(hub, request, net.centres["dev1"], tmp_path / "out")
    accounts.forget(new)
    ws = accounts.reopen(new)
    try:
        assert sync.device_join(ws, enrolled.package).status == "applied"
    finally:
        ws.close()
    ws = accounts.login(new, accounts.Credentials("duxue-new", TEMP))
    try:
        assert ws.user.role == "supervisor" and ws.user.centre_id == centre["id"]
    finally:
        ws.close()


def test_a_laptop_not_yet_encrypted_still_syncs_with_an_encrypted_hub(net: Network) -> None:
    """The upgrade path: a laptop whose workspace is still clear (made before accounts)
    exchanges packages with the encrypted hub both ways; accounts arrive without slots."""
    from wushan_desk.store import encryption

    path = net.path("dev0")
    clear = path.with_name("clear.wsdb")
    encryption.export_clear(path, clear, support.workspace_key(path))
    accounts.forget(path)
    clear.replace(path)
    Path(f"{path}.keys").unlink()
    for sidecar in ("-wal", "-shm"):
        Path(f"{path}{sidecar}").unlink(missing_ok=True)
    with net.open("dev0") as dev:
        assert dev.key is None and dev.user is None
        student = next(r for r in records.iter_records(dev, "student"))
        records.put(dev, "student", student | {"class_name": "明文班"})
    add_supervisor(net, "dev0")
    net.exchange(rounds=1)
    with net.open(HUB) as hub:
        assert records.get(hub, "student", student["id"])["class_name"] == "明文班"
    with net.open("dev0") as dev:
        assert any(a.login == "duxue-x" for a in accounts.list_accounts(dev))


def test_a_package_cannot_rewrite_an_audit_entry(net: Network) -> None:
    from wushan_desk.store import accounts as audit_store
    from wushan_desk.sync import accounts_sync

    with net.open("dev0") as dev:
        audit.record(dev, "print", kind="visit", record_id="v-2")
    net.import_(HUB, *net.export("dev0"))
    with net.open(HUB) as hub:
        (entry,) = audit_store.audit_entries(hub, record_id="v-2")
        forged = json.dumps({**{k: entry[k] for k in ("id", "at", "device_id", "login")},
                             "action": "view-full", "seq": 1, "record_id": "v-2",
                             "detail": {"purpose": "改写"}})
        with hub.transaction():
            accounts_sync.apply_audit(hub, net.ids["dev0"], forged.encode())
        (again,) = audit_store.audit_entries(hub, record_id="v-2")
    assert again["action"] == "print" and again["detail"] == entry["detail"]


def test_an_old_package_never_brings_back_a_reset_or_a_disabled_account(net: Network) -> None:
    add_supervisor(net, "dev0")
    (first,) = net.export(HUB, "dev0")  # carries the first temporary password
    with net.open(HUB) as hub:
        accounts.reset_password(hub, "duxue-x", "reset-pass-456")
    (second,) = net.export(HUB, "dev0")
    with net.open(HUB) as hub:
        accounts.disable_account(hub, "duxue-x")
    (third,) = net.export(HUB, "dev0")
    net.import_("dev0", second)
    ws = log_in(net, "dev0", "duxue-x", "reset-pass-456")
    accounts.change_password(ws, "reset-pass-456", "my-own-password")
    ws.close()
    net.import_("dev0", first)  # carried in late: older than what the laptop holds
    with pytest.raises(keyslots.LoginFailed):
        log_in(net, "dev0", "duxue-x", TEMP)
    log_in(net, "dev0", "duxue-x", "my-own-password").close()
    net.import_("dev0", third)
    net.import_("dev0", second)  # the disabled account stays disabled
    with pytest.raises(keyslots.LoginFailed):
        log_in(net, "dev0", "duxue-x", "my-own-password")
