"""Build minimal but valid Outlook ``.msg`` files in memory, for tests.

An Outlook MSG file ([MS-OXMSG]) is a Compound File Binary container
([MS-CFB], version 3: 512-byte sectors, 64-byte mini sectors) whose streams
hold MAPI properties:

* Each MAPI object (the message, each recipient, each attachment) is a storage
  with a ``__properties_version1.0`` stream: a header (32 bytes for the
  top-level message, 8 bytes for recipients and attachments) followed by one
  16-byte entry per property: ``type:u16, id:u16, flags:u32, value:8 bytes``.
* Fixed-size values (PT_LONG, PT_SYSTIME, ...) live inside the entry's 8 bytes.
  Variable-size values live in their own stream ``__substg1.0_IIIITTTT`` (id and
  type in upper-case hex) and the entry's value is ``size:u32, reserved:u32``,
  where for PT_UNICODE the size counts a terminating NUL that the stream itself
  does not contain.

Only the standard library is used, so the helper works wherever the tests run.
"""

from __future__ import annotations

import datetime
import email.utils
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096  # streams shorter than this live in the mini stream
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
RED, BLACK = 0, 1
STORAGE, STREAM, ROOT = 1, 2, 5
# CLSID of an Outlook message ({00020D0B-0000-0000-C000-000000000046}), mixed-endian.
MSG_CLSID = struct.pack("<IHH", 0x00020D0B, 0, 0) + bytes.fromhex("C000000000000046")

PT_LONG, PT_UNICODE, PT_SYSTIME, PT_BINARY = 0x0003, 0x001F, 0x0040, 0x0102
PROPATTR_READABLE_WRITABLE = 0x2 | 0x4
MAPI_TO, ATTACH_BY_VALUE, MAPI_MAILUSER = 1, 1, 6
MSGFLAG_READ = 0x1  # MSGFLAG_UNSENT (0x8) is *not* set, so extract-msg reports a date
STORE_UNICODE_OK = 0x00040000  # PR_STORE_SUPPORT_MASK bit: string props are PT_UNICODE
_FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)


@dataclass(eq=False)
class _Node:
    """A directory entry: a storage when ``data`` is None, otherwise a stream."""

    name: str
    data: bytes | None = None
    children: list[_Node] = field(default_factory=list)
    kind: int = STREAM
    start: int = ENDOFCHAIN
    color: int = BLACK
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    sid: int = 0


def _filetime(dt: datetime.datetime) -> int:
    """FILETIME: 100-ns ticks since 1601-01-01 UTC. Naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    delta = dt - _FILETIME_EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


class _PropBag:
    """The properties of one MAPI object: entries for ``__properties_version1.0``
    plus the ``__substg1.0_*`` streams holding variable-size values."""

    def __init__(self) -> None:
        self.entries: dict[tuple[int, int], bytes] = {}
        self.streams: list[_Node] = []

    def _entry(self, prop_id: int, ptype: int, value: bytes) -> None:
        self.entries[(prop_id, ptype)] = struct.pack(
            "<HHI8s", ptype, prop_id, PROPATTR_READABLE_WRITABLE, value)

    def long(self, prop_id: int, value: int) -> None:
        self._entry(prop_id, PT_LONG, struct.pack("<I", value & 0xFFFFFFFF))

    def time(self, prop_id: int, value: datetime.datetime) -> None:
        self._entry(prop_id, PT_SYSTIME, struct.pack("<Q", _filetime(value)))

    def string(self, prop_id: int, value: str) -> None:
        data = value.encode("utf-16-le")
        self._entry(prop_id, PT_UNICODE, struct.pack("<II", len(data) + 2, 0))
        self.streams.append(_Node(f"__substg1.0_{prop_id:04X}{PT_UNICODE:04X}", data))

    def binary(self, prop_id: int, value: bytes) -> None:
        self._entry(prop_id, PT_BINARY, struct.pack("<II", len(value), 0))
        self.streams.append(_Node(f"__substg1.0_{prop_id:04X}{PT_BINARY:04X}", value))

    def storage(self, name: str, header: bytes, extra: Sequence[_Node] = ()) -> _Node:
        """A storage holding the property stream, the value streams and ``extra``."""
        props = header + b"".join(v for _, v in sorted(self.entries.items()))
        children = [_Node("__properties_version1.0", props), *self.streams, *extra]
        return _Node(name, None, children, STORAGE)


def _split_addresses(value: str) -> list[tuple[str, str]]:
    """``"A <a@x>; b@y"`` -> ``[("A", "a@x"), ("b@y", "b@y")]`` (a bare address is
    also its display name, as Outlook does)."""
    pairs = email.utils.getaddresses([value.replace(";", ",")])
    return [(name or addr, addr) for name, addr in pairs if addr or name]


def build_msg(*, subject: str, sender_name: str, sender_email: str, to: str, body: str,
              html_body: str | None = None, date: datetime.datetime | None = None,
              message_id: str | None = None, transport_headers: str | None = None,
              attachments: Sequence[tuple[str, str, bytes]] = ()) -> bytes:
    """Return the bytes of an ``IPM.Note`` MSG file.

    ``to`` is one or more addresses (``"Name <addr>"``, separated by ``,`` or
    ``;``); each becomes a MAPI_TO recipient storage, and PR_DISPLAY_TO holds
    their display names joined by ``"; "`` as Outlook writes it.  ``date`` is
    stored as both PR_CLIENT_SUBMIT_TIME and PR_MESSAGE_DELIVERY_TIME (naive means
    UTC).  ``html_body`` is stored UTF-8 encoded.  ``attachments`` are
    ``(filename, mime_type, data)`` triples, attached by value.
    Note that when ``transport_headers`` is given, extract-msg takes sender, to
    and message id from those headers rather than from the properties.
    """
    recipients = _split_addresses(to)
    top = _PropBag()
    top.string(0x001A, "IPM.Note")  # PR_MESSAGE_CLASS
    top.string(0x0037, subject)  # PR_SUBJECT
    top.string(0x0C1A, sender_name)  # PR_SENDER_NAME
    top.string(0x0C1E, "SMTP")  # PR_SENDER_ADDRTYPE
    top.string(0x0C1F, sender_email)  # PR_SENDER_EMAIL_ADDRESS
    top.string(0x5D01, sender_email)  # PR_SENDER_SMTP_ADDRESS
    top.string(0x0E04, "; ".join(name for name, _ in recipients))  # PR_DISPLAY_TO
    top.string(0x1000, body)  # PR_BODY
    top.long(0x0E07, MSGFLAG_READ)  # PR_MESSAGE_FLAGS
    top.long(0x340D, STORE_UNICODE_OK)  # PR_STORE_SUPPORT_MASK
    if html_body is not None:
        top.binary(0x1013, html_body.encode("utf-8"))  # PR_HTML
        top.long(0x3FDE, 65001)  # PR_INTERNET_CPID: the HTML bytes are UTF-8
    if date is not None:
        top.time(0x0039, date)  # PR_CLIENT_SUBMIT_TIME
        top.time(0x0E06, date)  # PR_MESSAGE_DELIVERY_TIME
    if message_id is not None:
        top.string(0x1035, message_id)  # PR_INTERNET_MESSAGE_ID
    if transport_headers is not None:
        top.string(0x007D, transport_headers)  # PR_TRANSPORT_MESSAGE_HEADERS

    sub: list[_Node] = []
    for i, (name, addr) in enumerate(recipients):
        bag = _PropBag()
        bag.long(0x0C15, MAPI_TO)  # PR_RECIPIENT_TYPE
        bag.long(0x0FFE, MAPI_MAILUSER)  # PR_OBJECT_TYPE
        bag.long(0x3000, i)  # PR_ROWID
        bag.string(0x3001, name)  # PR_DISPLAY_NAME
        bag.string(0x3002, "SMTP")  # PR_ADDRTYPE
        bag.string(0x3003, addr)  # PR_EMAIL_ADDRESS
        bag.string(0x39FE, addr)  # PR_SMTP_ADDRESS
        sub.append(bag.storage(f"__recip_version1.0_#{i:08X}", bytes(8)))
    for i, (filename, mime, data) in enumerate(attachments):
        bag = _PropBag()
        bag.long(0x0E21, i)  # PR_ATTACH_NUM
        bag.long(0x3705, ATTACH_BY_VALUE)  # PR_ATTACH_METHOD
        bag.long(0x370B, -1)  # PR_RENDERING_POSITION: not rendered inline
        bag.string(0x3001, filename)  # PR_DISPLAY_NAME
        bag.string(0x3707, filename)  # PR_ATTACH_LONG_FILENAME
        bag.string(0x370E, mime)  # PR_ATTACH_MIME_TAG
        bag.binary(0x3701, data)  # PR_ATTACH_DATA_BIN
        sub.append(bag.storage(f"__attach_version1.0_#{i:08X}", bytes(8)))
    # The named-property map: GUID, entry and string streams, all empty here.
    sub.append(_Node("__nameid_version1.0", None, [
        _Node(f"__substg1.0_000{n}0102", b"") for n in (2, 3, 4)], STORAGE))

    # Top-level header: 8 reserved, next recipient id, next attachment id,
    # recipient count, attachment count, 8 reserved.
    n_rec, n_att = len(recipients), len(attachments)
    header = struct.pack("<8x4I8x", n_rec, n_att, n_rec, n_att)
    root = top.storage("Root Entry", header, sub)
    root.kind = ROOT
    return _write_cfb(root)


def _cfb_key(node: _Node) -> tuple[int, str]:
    """[MS-CFB] 2.6.4 sibling order: shorter names first, then upper-cased compare."""
    return len(node.name.encode("utf-16-le")), node.name.upper()


def _link_siblings(kids: list[_Node], depth: int, depths: dict[int, int]) -> int:
    """Make a size-balanced binary search tree of ``kids`` (already sorted); return
    the root sid and record each node's depth."""
    if not kids:
        return NOSTREAM
    mid = len(kids) // 2
    node = kids[mid]
    depths[node.sid] = depth
    node.left = _link_siblings(kids[:mid], depth + 1, depths)
    node.right = _link_siblings(kids[mid + 1:], depth + 1, depths)
    return node.sid


def _build_tree(storage: _Node) -> None:
    """Give ``storage`` a red-black tree of its children.

    In a size-balanced tree every level but the deepest is full, so colouring
    all nodes black except those on an incomplete deepest level (red) gives
    every root-to-leaf path the same number of black nodes and no red node has a
    red child: a valid red-black tree, as [MS-CFB] 2.6.4 requires.
    """
    kids = sorted(storage.children, key=_cfb_key)
    depths: dict[int, int] = {}
    storage.child = _link_siblings(kids, 0, depths)
    if kids:
        deepest = max(depths.values())
        full = sum(1 for d in depths.values() if d == deepest) == 2 ** deepest
        for kid in kids:
            kid.color = RED if depths[kid.sid] == deepest and not full else BLACK


def _dir_entry(node: _Node, size: int) -> bytes:
    """One 128-byte directory entry ([MS-CFB] 2.6.1); timestamps are left zero."""
    name = node.name.encode("utf-16-le")
    if len(name) > 62 or any(c in node.name for c in "/\\:!"):
        raise ValueError(f"invalid CFB entry name: {node.name!r}")
    clsid = MSG_CLSID if node.kind == ROOT else bytes(16)
    start = 0 if node.kind == STORAGE else node.start
    return struct.pack("<64sHBBIII16sI16xIQ", name + b"\0\0", len(name) + 2, node.kind,
                       node.color, node.left, node.right, node.child, clsid, 0, start, size)


def _write_cfb(root: _Node) -> bytes:
    """Lay out a CFB v3 file: header, then large streams, the mini stream, the
    mini FAT, the directory and finally the FAT sectors, in that order."""
    nodes: list[_Node] = []
    stack = [root]
    while stack:  # assign sids depth-first; the root entry must be sid 0
        node = stack.pop()
        node.sid = len(nodes)
        nodes.append(node)
        stack.extend(reversed(node.children))
    for node in nodes:
        if node.data is None:
            _build_tree(node)

    fat: list[int] = []
    body = bytearray()

    def alloc(data: bytes) -> int:
        """Append ``data`` as a chain of whole sectors; return its first sector."""
        count = -(-len(data) // SECTOR)
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(ENDOFCHAIN)
        body.extend(data.ljust(count * SECTOR, b"\0"))
        return start

    mini, minifat = bytearray(), []
    for node in nodes:
        if node.data is None or not node.data:
            continue  # storages and empty streams keep start ENDOFCHAIN (0 for storages)
        if len(node.data) >= MINI_CUTOFF:
            node.start = alloc(node.data)
        else:
            count = -(-len(node.data) // MINI_SECTOR)
            node.start = len(minifat)
            minifat.extend(range(node.start + 1, node.start + count))
            minifat.append(ENDOFCHAIN)
            mini.extend(node.data.ljust(count * MINI_SECTOR, b"\0"))
    root.start = alloc(bytes(mini)) if mini else ENDOFCHAIN
    minifat_start, n_minifat = ENDOFCHAIN, 0
    if minifat:
        n_minifat = -(-len(minifat) // (SECTOR // 4))
        minifat += [FREESECT] * (n_minifat * SECTOR // 4 - len(minifat))
        minifat_start = alloc(struct.pack(f"<{len(minifat)}I", *minifat))

    entries = [_dir_entry(n, len(mini) if n.kind == ROOT else len(n.data or b"")) for n in nodes]
    free = struct.pack("<64sHBBIII16sI16xIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                       bytes(16), 0, 0, 0)
    entries += [free] * (-len(entries) % (SECTOR // 128))
    dir_start = alloc(b"".join(entries))

    # The FAT must also cover its own sectors (marked FATSECT).
    n_fat = 1
    while len(fat) + n_fat > n_fat * (SECTOR // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("message too large for a header-only DIFAT (about 6.8 MB)")
    fat_sectors = list(range(len(fat), len(fat) + n_fat))
    fat += [FATSECT] * n_fat
    fat += [FREESECT] * (n_fat * SECTOR // 4 - len(fat))
    body.extend(struct.pack(f"<{len(fat)}I", *fat))

    difat = fat_sectors + [FREESECT] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6xIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6,
        0, n_fat, dir_start, 0, MINI_CUTOFF, minifat_start, n_minifat, ENDOFCHAIN, 0, *difat)
    assert len(header) == SECTOR
    return header + bytes(body)
