#!/usr/bin/env python3
"""A hostile git:// server for tests: it advertises one snapshot ref and answers every fetch with
a pack crafted to break a rule (usage: hostile_pack_server.py KIND PORT-FILE [BASE-ID]).

KIND is one of:
  bad-delta     a blob and a delta that copies past the end of it (checksum right)
  bad-checksum  a well-formed pack whose trailing checksum is wrong
  truncated     a pack cut off in the middle of its second entry, then the end of the stream
  bad-zlib      a pack whose entry is not a zlib stream (checksum right)
  thin          a thin pack: one REF_DELTA against BASE-ID, an object the fetcher is to hold

It speaks just enough of git's pack protocol (pkt-lines, side-band-64k) for libgit2's fetch: the
advertisement, then it reads until the client's "done" and sends NAK and the pack.
"""
import hashlib
import os
import socket
import sys
import zlib

SNAPSHOT = "5" * 40


def pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def entry_header(kind: int, size: int) -> bytes:
    first = (kind << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(first | 0x80)
        first = size & 0x7F
        size >>= 7
    out.append(first)
    return bytes(out)


def crafted(kind: str, base_id: str) -> bytes:
    if kind == "thin":
        # Copies 5 bytes from an 11-byte base.
        delta = bytes([11, 5, 0x91, 0, 5])
        body = b"PACK" + (2).to_bytes(4, "big") + (1).to_bytes(4, "big")
        body += entry_header(7, len(delta)) + bytes.fromhex(base_id) + zlib.compress(delta)
        return body + hashlib.sha1(body).digest()
    blob = b"hello world"
    body = b"PACK" + (2).to_bytes(4, "big") + (2).to_bytes(4, "big")
    base_offset = len(body)
    body += entry_header(3, len(blob)) + (b"not zlib at all" if kind == "bad-zlib" else zlib.compress(blob))
    # From an 11-byte base: copy 5 bytes from offset 8 (past its end), or from 0 (sound).
    delta = bytes([11, 5, 0x91, 8 if kind == "bad-delta" else 0, 5])
    body += entry_header(6, len(delta)) + bytes([len(body) - base_offset]) + zlib.compress(delta)
    if kind == "truncated":
        return body[:-4]
    return body + (bytes(20) if kind == "bad-checksum" else hashlib.sha1(body).digest())


def read_pkt(stream) -> bytes | None:
    size = stream.read(4)
    if len(size) < 4:
        raise EOFError
    length = int(size, 16)
    return None if length == 0 else stream.read(length - 4)


def serve(connection: socket.socket, pack: bytes) -> None:
    stream = connection.makefile("rwb")
    read_pkt(stream)  # git-upload-pack /path\0host=...\0
    stream.write(pkt(f"{SNAPSHOT} refs/dsnap/snapshots/{SNAPSHOT}\0side-band-64k ofs-delta\n".encode()))
    stream.write(b"0000")
    stream.flush()
    while True:
        line = read_pkt(stream)
        if line is not None and line.startswith(b"done"):
            break
    stream.write(pkt(b"NAK\n"))
    for start in range(0, len(pack), 65000):
        stream.write(pkt(b"\x01" + pack[start:start + 65000]))
    stream.write(b"0000")
    stream.flush()


def main() -> None:
    kind, port_file = sys.argv[1], sys.argv[2]
    pack = crafted(kind, sys.argv[3] if len(sys.argv) > 3 else "")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with open(port_file + ".tmp", "w") as out:
        out.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        connection, _ = listener.accept()
        try:
            serve(connection, pack)
        except (EOFError, OSError):
            pass
        finally:
            connection.close()


if __name__ == "__main__":
    main()
