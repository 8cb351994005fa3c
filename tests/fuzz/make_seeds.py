#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Run it after changing an input format of a target (python3 tests/fuzz/make_seeds.py); it
rewrites the seed-* files and leaves other files alone: the captures of real clients
(h2-nghttp-*, see corpus/README.md) and the inputs of fixed findings (regress-*).
Each target's first byte(s) choose what it does; see the comment at the top of its .cpp.
"""

import base64
import gzip
import pathlib
import struct

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data)


def clear(target):
    for old in (CORPUS / target).glob("seed-*"):
        old.unlink()


# ---- encodings ------------------------------------------------------------------------------


def envelope(flags, payload):
    return struct.pack(">BI", flags, len(payload)) + payload


def gz(data):
    return gzip.compress(data, mtime=0)


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_bytes(field, data):
    return varint(field << 3 | 2) + varint(len(data)) + data


def pb_varint(field, value):
    return varint(field << 3) + varint(value)


def pb_float(field, value):
    return varint(field << 3 | 5) + struct.pack("<f", value)


def chunks(body, sizes=()):
    """pm::fuzz::Input::chunks framing: a count, the piece sizes, the bytes."""
    return bytes([len(sizes)] + list(sizes)) + body


ULID = b"01HZX3F7Q8W2ZK5N6M4R9T0ABC"
LOGIN_JSON = b'{"email":"admin@example.com","password":"correct horse"}'
LOGIN_PB = pb_bytes(1, b"admin@example.com") + pb_bytes(2, b"correct horse")
AGENT_HELLO_JSON = (b'{"id":"' + ULID + b'","hello":{"deviceId":{"value":"' + ULID +
                    b'"},"agentVersion":"1.2.3","hostname":"host-1"}}')
AGENT_HEARTBEAT_JSON = (b'{"id":"' + ULID + b'","heartbeat":{"uptime":"3600.5s",'
                        b'"cpuPercent":12.5,"memoryPercent":"NaN","diskPercent":99}}')
AGENT_PB = (pb_bytes(1, ULID) + pb_bytes(11, pb_bytes(1, pb_varint(1, 3600)) +
                                         pb_float(2, 12.5) + pb_float(4, 99.0)))
CREATE_ACTION_JSON = (b'{"name":"install curl","description":"d","type":"ACTION_TYPE_PACKAGE",'
                      b'"timeoutSeconds":300,"schedule":{"cron":"0 * * * *","runOnAssign":true},'
                      b'"package":{"name":"curl","version":"7.88","pin":true}}')
CREATE_SHELL_JSON = (b'{"name":"s","type":6,"shell":{"script":"echo hi","interpreter":"/bin/sh",'
                     b'"environment":{"A":"1","B":"2"}}}')
DISPATCH_JSON = b'{"groupId":"' + ULID + b'","actionId":"' + ULID + b'"}'
DISPATCH_INLINE_JSON = (b'{"group_id":"' + ULID + b'","inline_action":{"id":{"value":"' + ULID +
                        b'"},"type":"ACTION_TYPE_SHELL","timeoutSeconds":60}}')
END_OK = b"{}"
END_ERROR = (b'{"error":{"code":"not_found","message":"no such device"},'
             b'"metadata":{"x-a":["1","2"],"x-b":["3"]}}')


# ---- fuzz_json_request: <type | proto<<2 | strict<<3> <body> ------------------------------


def json_request_seeds():
    t = "fuzz_json_request"
    clear(t)
    write(t, "login", bytes([0]) + LOGIN_JSON)
    write(t, "login-original-names", bytes([0]) + b'{"email":"a@b.co","password":"12345678"}')
    write(t, "login-unknown-strict", bytes([8]) + b'{"email":"x","extra":1}')
    write(t, "login-pb", bytes([4]) + LOGIN_PB)
    write(t, "create-action", bytes([1]) + CREATE_ACTION_JSON)
    write(t, "create-shell", bytes([1]) + CREATE_SHELL_JSON)
    write(t, "agent-hello", bytes([2]) + AGENT_HELLO_JSON)
    write(t, "agent-heartbeat", bytes([2]) + AGENT_HEARTBEAT_JSON)
    write(t, "agent-pb", bytes([6]) + AGENT_PB)
    write(t, "agent-output", bytes([2]) + b'{"id":"' + ULID + b'","outputChunk":{"executionId":"'
          + ULID + b'","stream":"OUTPUT_STREAM_TYPE_STDERR","data":"aGVsbG8=","sequence":"42"}}')
    write(t, "dispatch", bytes([3]) + DISPATCH_JSON)
    write(t, "dispatch-inline", bytes([3]) + DISPATCH_INLINE_JSON)


# ---- fuzz_connect_envelope ------------------------------------------------------------------


def connect_envelope_seeds():
    t = "fuzz_connect_envelope"
    clear(t)
    # Reader mode: bit0 JSON, bits1-2 type (0 Login, 1 Agent), bit3 16-byte limit, bit4 text,
    # bit5 Connect.
    stream = envelope(0, LOGIN_JSON) + envelope(2, END_OK)
    write(t, "reader-login-json", bytes([0x21]) + chunks(stream))
    write(t, "reader-login-json-cut", bytes([0x21]) + chunks(stream, (1, 4, 7, 0)))
    write(t, "reader-agent-pb-gzip", bytes([0x22]) + chunks(
        envelope(1, gz(AGENT_PB)) + envelope(0, AGENT_PB) + envelope(2, END_ERROR), (3, 30)))
    write(t, "reader-end-error", bytes([0x21]) + chunks(envelope(2, END_ERROR)))
    write(t, "reader-too-large", bytes([0x29]) + chunks(envelope(0, LOGIN_JSON)))
    write(t, "reader-web-text", bytes([0x13]) + chunks(
        base64.b64encode(envelope(0, AGENT_HELLO_JSON)) +
        base64.b64encode(envelope(0x80, b"grpc-status: 0\r\n")), (5, 9, 2)))
    # Server mode: 0x80 | content type | path << 3 | gzip << 5 | http2 << 6, then
    # accept-gzip | timeout << 1 | GET << 3 | version 2 << 4.
    login = 0x80
    agent = 0x80 | 1 << 3
    h2 = 0x40
    write(t, "server-unary-json", bytes([login | 6, 0]) + chunks(LOGIN_JSON, (10,)))
    write(t, "server-unary-json-h2", bytes([login | 6 | h2, 1]) + chunks(LOGIN_JSON))
    write(t, "server-unary-proto-gzip", bytes([login | 7 | 0x20, 0]) + chunks(gz(LOGIN_PB)))
    write(t, "server-unary-bad", bytes([login | 6, 0]) + chunks(b'{"email":"nope"}'))
    write(t, "server-connect-stream", bytes([agent | 0 | h2, 1]) + chunks(
        envelope(0, AGENT_HELLO_JSON) + envelope(0, b'{"id":"fail-1"}'), (17,)))
    write(t, "server-connect-stream-proto-gzip", bytes([agent | 1 | h2 | 0x20, 1]) + chunks(
        envelope(1, gz(AGENT_PB)) + envelope(0, AGENT_PB)))
    write(t, "server-grpc-login", bytes([login | 2 | h2, 1]) + chunks(envelope(0, LOGIN_PB)))
    write(t, "server-grpc-stream-json", bytes([agent | 3 | h2, 0]) + chunks(
        envelope(0, AGENT_HEARTBEAT_JSON)))
    write(t, "server-grpc-web", bytes([login | 4, 1]) + chunks(envelope(0, LOGIN_PB)))
    write(t, "server-grpc-web-stream", bytes([agent | 4 | h2, 0]) + chunks(envelope(0, AGENT_PB)))
    write(t, "server-grpc-web-text", bytes([login | 5, 0]) + chunks(
        base64.b64encode(envelope(0, LOGIN_PB)), (6,)))
    write(t, "server-timeout", bytes([login | 2 | h2, 2]) + chunks(envelope(0, LOGIN_PB)))
    write(t, "server-unknown", bytes([0x80 | 3 << 3 | 6, 0]) + chunks(b"{}"))


# ---- fuzz_rpc_headers: <parser> <text> ------------------------------------------------------


def rpc_headers_seeds():
    t = "fuzz_rpc_headers"
    clear(t)
    for i, text in enumerate([b"1H", b"99999999H", b"250m", b"15S", b"1n", b"30u", b"2M"]):
        write(t, f"grpc-timeout-{i}", b"\x00" + text)
    for i, text in enumerate([b"0", b"1500", b"9999999999"]):
        write(t, f"connect-timeout-{i}", b"\x01" + text)
    for i, text in enumerate([b"application/connect+json; charset=utf-8", b"application/grpc",
                              b"application/grpc-web-text+proto", b"Application/JSON",
                              b"application/grpc+json"]):
        write(t, f"content-type-{i}", b"\x02" + text)
    write(t, "encodings", b"\x03gzip;q=0.5, identity, br;q=0")
    write(t, "base64", b"\x04QUJD\r\nZA==ZWY")
    write(t, "percent", b"\x05caf%C3%A9 %25 %zz")
    write(t, "connect-error", b'\x06{"code":"unavailable","message":"try again","details":[]}')
    write(t, "end-stream", b"\x07" + END_ERROR)
    write(t, "code-name", b"\x07resource_exhausted")


# ---- fuzz_h2_input: <choices> [<split>] <client bytes> --------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack(fields, index=False):
    """Literal fields, no Huffman; with `index`, added to the dynamic table."""
    out = bytearray()
    for name, value in fields:
        out += b"\x40" if index else b"\x00"
        out += hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value
    return bytes(out)


def request(path, content_type, extra=()):
    return [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"localhost"),
            (b":path", path), (b"content-type", content_type)] + list(extra)


SETTINGS = frame(4, 0, 0)
SETTINGS_ACK = frame(4, 1, 0)
HEADERS, DATA, RST, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 1, 0, 3, 6, 7, 8, 9
END_STREAM, END_HEADERS = 0x1, 0x4


def h2_input_seeds():
    t = "fuzz_h2_input"
    clear(t)
    login = request(b"/pm.v1.ControlService/Login", b"application/json")
    grpc_login = request(b"/pm.v1.ControlService/Login", b"application/grpc",
                         [(b"te", b"trailers"), (b"grpc-accept-encoding", b"gzip")])
    stream = request(b"/pm.v1.AgentService/Stream", b"application/connect+json",
                     [(b"connect-protocol-version", b"1")])
    web_text = request(b"/pm.v1.ControlService/Login", b"application/grpc-web-text")
    unary = (frame(HEADERS, END_HEADERS, 1, hpack(login)) +
             frame(DATA, END_STREAM, 1, LOGIN_JSON))
    # Choices: bit0 preface added, bits1-2 handler (0 router, 1 echo, 2 answer first,
    # 3 abandon), bits3-4 arrival (0 initial bytes, 1 socket, 2-3 split), bit5 half-close at
    # once, bit6 drain.
    write(t, "router-unary-full", bytes([0]) + PREFACE + SETTINGS + unary)
    write(t, "router-unary", bytes([1]) + unary + SETTINGS_ACK)
    write(t, "router-unary-socket", bytes([1 | 1 << 3]) + unary)
    write(t, "router-unary-split", bytes([1 | 2 << 3, 100]) + unary)
    write(t, "router-unary-drain", bytes([1 | 0x40]) + unary)
    write(t, "router-unary-eof", bytes([1 | 0x20]) + unary)
    write(t, "router-grpc", bytes([1]) + frame(HEADERS, END_HEADERS, 1, hpack(grpc_login, True)) +
          frame(DATA, 0, 1, envelope(0, LOGIN_PB)) + frame(DATA, END_STREAM, 1) +
          # The same request again from the dynamic table (indexes 62..).
          frame(HEADERS, END_HEADERS, 3, bytes([0x80 | 62 + i for i in range(len(grpc_login))])) +
          frame(DATA, END_STREAM, 3, envelope(1, gz(LOGIN_PB))))
    write(t, "router-bidi", bytes([1]) + frame(HEADERS, END_HEADERS, 1, hpack(stream)) +
          frame(DATA, 0, 1, envelope(0, AGENT_HELLO_JSON)[:20]) +
          frame(DATA, 0, 1, envelope(0, AGENT_HELLO_JSON)[20:]) +
          frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 65535)) +
          frame(PING, 0, 0, b"12345678") +
          frame(DATA, END_STREAM, 1, envelope(0, b'{"id":"fail-2"}')))
    write(t, "router-web-text", bytes([1]) + frame(HEADERS, END_HEADERS, 1, hpack(web_text)) +
          frame(DATA, END_STREAM, 1, base64.b64encode(envelope(0, LOGIN_PB))))
    write(t, "router-continuation", bytes([1]) +
          frame(HEADERS, 0, 1, hpack(login)[:15]) + frame(CONTINUATION, END_HEADERS, 1,
                                                          hpack(login)[15:]) +
          frame(DATA, END_STREAM, 1, LOGIN_JSON))
    big = login + [(b"x-big", b"v" * 2100)]
    write(t, "router-431", bytes([1]) + frame(HEADERS, END_HEADERS | END_STREAM, 1, hpack(big)))
    echo = request(b"/echo", b"application/octet-stream")
    write(t, "echo-two-streams", bytes([1 | 1 << 1]) +
          frame(HEADERS, END_HEADERS, 1, hpack(echo)) + frame(HEADERS, END_HEADERS, 3, hpack(echo)) +
          frame(DATA, 0, 1, b"one") + frame(DATA, 0, 3, b"two") +
          frame(DATA, END_STREAM, 3, b"!") + frame(RST, 0, 1, struct.pack(">I", 8)) +
          frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
    write(t, "answer-first", bytes([1 | 2 << 1]) + frame(HEADERS, END_HEADERS, 1, hpack(echo)) +
          frame(DATA, 0, 1, b"body that nobody reads"))
    write(t, "abandon", bytes([1 | 3 << 1]) + frame(HEADERS, END_HEADERS | END_STREAM, 1,
                                                     hpack(echo)))

    # Frame operations (bit 7; see Frames in fuzz_h2_input.cpp): op = kind | stream index << 4.
    def op_headers(index, how, extra=None):
        out = bytes([0 | index << 4, how | (0x10 if extra else 0)])
        if extra:
            out += bytes([extra[0], len(extra[1])]) + extra[1]
        return out

    def op_data(index, payload, end=False):
        return bytes([1 | index << 4, 1 if end else 0, len(payload)]) + payload

    FLUSH = bytes([7])
    hello = envelope(0, AGENT_HELLO_JSON)
    write(t, "frames-unary-then-bidi", bytes([0x80]) +
          op_headers(0, 0) + op_data(0, LOGIN_JSON, True) + FLUSH +
          op_headers(1, 2) + op_data(1, hello[:50]) + FLUSH + op_data(1, hello[50:]) + FLUSH +
          bytes([2 | 15 << 4]) + b"\x00\x01\x00\x00" +
          op_data(1, envelope(0, b'{"id":"fail-3"}'), True))
    write(t, "frames-grpc-timeout-continuation", bytes([0x80 | 1 << 3]) +
          op_headers(0, 1 | 0x20 | 0x40, (5, b"100m")) + op_data(0, envelope(0, LOGIN_PB)) +
          bytes([8]) + b"\x03ok!")
    write(t, "frames-echo-flow-control", bytes([0x80 | 1 << 1]) +
          bytes([4]) + b"\x04\x00\x00\x00\x10" +  # SETTINGS_INITIAL_WINDOW_SIZE = 16
          op_headers(0, 7) + op_data(0, b"x" * 200) + FLUSH +
          bytes([2]) + b"\x00\x00\x10\x00" + FLUSH + bytes([3]) + b"\x08" +
          op_headers(1, 7, (0, b"gzip")) + bytes([12 | 1 << 4]))
    write(t, "frames-padded-rst-goaway", bytes([0x80 | 0x40]) +
          op_headers(0, 3) + bytes([1, 2 | 4 << 2, len(envelope(0, AGENT_PB))]) +
          envelope(0, AGENT_PB) + bytes([6, 5, 11 | 2 << 4, 16, 10]))


if __name__ == "__main__":
    json_request_seeds()
    connect_envelope_seeds()
    rpc_headers_seeds()
    h2_input_seeds()
