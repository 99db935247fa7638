"""The hand-built .msg fixture is a valid CFB container that extract-msg reads back faithfully."""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import extract_msg
import olefile
import pytest
from extract_msg.enums import RecipientType

from msgfile import build_msg

UTC = datetime.timezone.utc
DATE = datetime.datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)
SMALL = b"tribunal date is 12 May\n"
BIG = bytes(range(256)) * 40  # 10 KiB: lives in regular sectors, not the mini stream
RED, BLACK = 0, 1  # [MS-CFB] directory entry colour flags


def _full(**overrides: object) -> bytes:
    kwargs: dict[str, object] = dict(
        subject="EHCP appeal – café visit £20",
        sender_name="Alice Parent",
        sender_email="alice@example.com",
        to="Office of J. Smith MP <office@example.org>; caseworker@example.org",
        body="Dear MP,\r\nPlease help.\r\n— Alice",
        html_body="<html><body><p>Dear MP, please help. é</p></body></html>",
        date=DATE,
        message_id="<1234.5678@example.com>",
        attachments=[("letter.txt", "text/plain", SMALL),
                     ("scan.pdf", "application/pdf", BIG)],
    )
    kwargs.update(overrides)
    return build_msg(**kwargs)  # type: ignore[arg-type]


def _open(tmp_path: Path, data: bytes) -> extract_msg.msg_classes.MSGFile:
    path = tmp_path / "fixture.msg"
    path.write_bytes(data)
    return extract_msg.openMsg(str(path))


def _cfb_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def _check_rb(ole: olefile.OleFileIO, sid: int, names: list[str]) -> int:
    """In-order walk of one sibling tree; returns its black height, collecting names."""
    if sid == olefile.NOSTREAM:
        return 1
    entry = ole.direntries[sid]
    if entry.color == RED:
        for child in (entry.sid_left, entry.sid_right):
            assert child == olefile.NOSTREAM or ole.direntries[child].color == BLACK
    left = _check_rb(ole, entry.sid_left, names)
    names.append(entry.name)
    right = _check_rb(ole, entry.sid_right, names)
    assert left == right, f"unequal black heights under {entry.name!r}"
    return left + (entry.color == BLACK)


def test_container_is_clean_cfb_v3() -> None:
    data = _full()
    assert data[:8] == olefile.MAGIC and len(data) % 512 == 0
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE)
    assert ole.parsing_issues == []
    assert (ole.dll_version, ole.minor_version, ole.sector_size, ole.mini_sector_size) == (3, 0x3E, 512, 64)
    for path in ("__properties_version1.0", "__substg1.0_001A001F", "__substg1.0_0037001F",
                 "__substg1.0_0C1A001F", "__substg1.0_0C1F001F", "__substg1.0_5D01001F",
                 "__substg1.0_0E04001F", "__substg1.0_1000001F", "__substg1.0_10130102",
                 "__substg1.0_1035001F", "__nameid_version1.0/__substg1.0_00020102",
                 "__nameid_version1.0/__substg1.0_00030102",
                 "__nameid_version1.0/__substg1.0_00040102",
                 "__recip_version1.0_#00000000/__substg1.0_3001001F",
                 "__recip_version1.0_#00000001/__substg1.0_39FE001F",
                 "__attach_version1.0_#00000001/__substg1.0_37010102"):
        assert ole.exists(path), path
    assert len(ole.openstream("__properties_version1.0").read()) % 16 == 0  # 32-byte header + entries
    assert len(ole.openstream("__attach_version1.0_#00000000/__properties_version1.0").read()) % 16 == 8
    small = ole.direntries[ole._find("__attach_version1.0_#00000000/__substg1.0_37010102")]
    big = ole.direntries[ole._find("__attach_version1.0_#00000001/__substg1.0_37010102")]
    assert small.is_minifat and not big.is_minifat
    assert ole.openstream("__attach_version1.0_#00000001/__substg1.0_37010102").read() == BIG
    assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == "EHCP appeal – café visit £20"
    ole.close()


@pytest.mark.parametrize("n_attachments", [0, 1, 2, 6, 40])
def test_directory_is_ordered_red_black_tree(n_attachments: int) -> None:
    atts = [(f"f{i}.txt", "text/plain", b"x" * i) for i in range(n_attachments)]
    ole = olefile.OleFileIO(_full(attachments=atts), raise_defects=olefile.DEFECT_UNSURE)
    storages = [e for e in ole.direntries if e is not None and e.entry_type in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT)]
    assert len(storages) == 1 + 1 + 2 + n_attachments  # root, nameid, 2 recipients, attachments
    for storage in storages:
        names: list[str] = []
        _check_rb(ole, storage.sid_child, names)
        assert ole.direntries[storage.sid_child].color == BLACK
        assert names == sorted(names, key=_cfb_key) and len(names) == len(storage.kids)
    ole.close()


def test_extract_msg_round_trip(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="extract_msg")
    with _open(tmp_path, _full()) as msg:
        assert isinstance(msg, extract_msg.Message)
        assert msg.classType == "IPM.Note"
        assert msg.subject == "EHCP appeal – café visit £20"
        assert msg.sender == "Alice Parent <alice@example.com>"
        assert msg.to == ("Office of J. Smith MP <office@example.org>; "
                          "caseworker@example.org <caseworker@example.org>")
        assert msg.body == "Dear MP,\r\nPlease help.\r\n— Alice"
        assert msg.htmlBody == "<html><body><p>Dear MP, please help. é</p></body></html>".encode()
        assert msg.date == DATE
        assert msg.receivedTime == DATE
        assert msg.messageId == "<1234.5678@example.com>"
        assert msg.getStringStream("__substg1.0_0E04") == "Office of J. Smith MP; caseworker@example.org"
        assert [(r.name, r.email, r.type) for r in msg.recipients] == [
            ("Office of J. Smith MP", "office@example.org", RecipientType.TO),
            ("caseworker@example.org", "caseworker@example.org", RecipientType.TO)]
        assert [(a.name, a.mimetype, a.data) for a in msg.attachments] == [
            ("letter.txt", "text/plain", SMALL), ("scan.pdf", "application/pdf", BIG)]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_optional_fields_absent(tmp_path: Path) -> None:
    data = build_msg(subject="s", sender_name="Bob", sender_email="bob@example.com",
                     to="office@example.org", body="plain only")
    with _open(tmp_path, data) as msg:
        assert msg.getStream("__substg1.0_10130102") is None
        assert msg.htmlBody == b"<html><body>plain only</body></html>"  # generated by extract-msg
        assert msg.date is None and msg.messageId is None and msg.headerText is None
        assert msg.attachments == []
        assert msg.to == "office@example.org <office@example.org>"


def test_naive_date_is_utc(tmp_path: Path) -> None:
    with _open(tmp_path, _full(date=DATE.replace(tzinfo=None))) as msg:
        assert msg.date == DATE


def test_transport_headers_take_precedence(tmp_path: Path) -> None:
    headers = ("Microsoft Mail Internet Headers Version 2.0\r\n"
               "From: Header Sender <hs@example.net>\r\nTo: hto@example.net\r\n"
               "Message-ID: <from-header@example.net>\r\nSubject: s\r\n\r\n")
    with _open(tmp_path, _full(transport_headers=headers)) as msg:
        assert msg.headerText == headers
        assert msg.sender == "Header Sender <hs@example.net>"
        assert msg.to == "hto@example.net"
        assert msg.messageId == "<from-header@example.net>"
        assert msg.date == DATE  # the date always comes from the properties


@pytest.mark.parametrize("sizes", [[0], [4095, 4096], [4096 * 3 + 1], [200_000, 7],
                                   [100] * 90])  # 90: mini FAT and directory span sectors
def test_attachment_sizes(tmp_path: Path, sizes: list[int]) -> None:
    atts = [(f"a{i}.bin", "application/octet-stream", bytes([i % 251]) * n)
            for i, n in enumerate(sizes)]
    data = _full(attachments=atts)
    olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE).close()
    with _open(tmp_path, data) as msg:
        assert [(a.name, a.data) for a in msg.attachments] == [(n, d) for n, _, d in atts]
