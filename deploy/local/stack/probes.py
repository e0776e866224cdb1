"""Readiness probes that speak the servers' own wire protocols, so "ready" means "answers requests"."""

from __future__ import annotations

import socket
import struct

HOST = "127.0.0.1"


def port_open(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _kafka_request(
    sock: socket.socket, api_key: int, version: int, correlation_id: int, body: bytes = b""
) -> bytes:
    client_id = b"hotline-stack"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    response = _recv_exact(sock, size)
    if struct.unpack(">i", response[:4])[0] != correlation_id:
        raise ValueError("correlation id mismatch")
    return response[4:]


def kafka_api_versions_answered(host: str, port: int) -> bool:
    """ApiVersions v0 answers without error: the one request a SASL listener takes before a login."""
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.settimeout(5.0)
        api_versions = _kafka_request(sock, api_key=18, version=0, correlation_id=1)
        (error_code,) = struct.unpack(">h", api_versions[:2])
        return bool(error_code == 0)


def _bson_document(fields: dict[str, int | str]) -> bytes:
    body = b""
    for key, value in fields.items():
        name = key.encode() + b"\0"
        if isinstance(value, int):
            body += b"\x10" + name + struct.pack("<i", value)
        else:
            encoded = value.encode() + b"\0"
            body += b"\x02" + name + struct.pack("<i", len(encoded)) + encoded
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def _bson_ok(document: bytes) -> float | None:
    """Return the top-level "ok" of a BSON reply (all that a ping answer holds)."""
    fixed_sizes = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8}
    offset = 4
    while offset < len(document) - 1:
        kind = document[offset]
        end = document.index(b"\0", offset + 1)
        name = document[offset + 1 : end].decode()
        offset = end + 1
        if name == "ok" and kind == 0x01:
            return float(struct.unpack("<d", document[offset : offset + 8])[0])
        if name == "ok" and kind in (0x10, 0x12):
            fmt = "<i" if kind == 0x10 else "<q"
            return float(struct.unpack(fmt, document[offset : offset + struct.calcsize(fmt)])[0])
        if kind in fixed_sizes:
            offset += fixed_sizes[kind]
        elif kind in (0x02, 0x0D, 0x0E):
            offset += 4 + struct.unpack("<i", document[offset : offset + 4])[0]
        elif kind in (0x03, 0x04):
            offset += struct.unpack("<i", document[offset : offset + 4])[0]
        elif kind == 0x05:
            offset += 5 + struct.unpack("<i", document[offset : offset + 4])[0]
        else:
            return None
    return None


def mongo_ping(host: str, port: int) -> bool:
    """Send an OP_MSG {ping: 1, $db: "admin"} and check the reply says ok: 1."""
    op_msg = 2013
    payload = struct.pack("<I", 0) + b"\0" + _bson_document({"ping": 1, "$db": "admin"})
    message = struct.pack("<iiii", 16 + len(payload), 1, 0, op_msg) + payload
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.settimeout(5.0)
        sock.sendall(message)
        length, _request_id, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        reply = _recv_exact(sock, length - 16)
    if opcode != op_msg or response_to != 1 or reply[4] != 0:
        return False
    return _bson_ok(reply[5:]) == 1.0
