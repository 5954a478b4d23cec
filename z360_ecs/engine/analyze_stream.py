"""The engine's side of `Analyze`, in a process of its own: `python -m z360_ecs.engine.analyze_stream`.

The Pulumi engine sends the policy pack one `Analyze` per resource as the program registers it,
from the engine's process, so the pack works on one CPU while the program runs on another. The
offline check does the same: the program's process writes each registration's serialized
AnalyzeRequest to this process's stdin as it registers (a few microseconds; no gRPC call and no
gRPC thread in the program's process, whose interpreter lock they took: sending from there made
the program 40 % slower), and this process sends them to the pack, at most ANALYZE_WINDOW in flight, as
opaque bytes over the real `/pulumirpc.Analyzer/Analyze` method.

Frames both ways are a kind byte, a 4-byte big-endian length and the payload.
In: `P` the pack's port (ASCII), sent once the pack is configured (requests before it wait);
`R` one serialized AnalyzeRequest; `E` the end: no more requests.
Out, after `E`: one `A` per request, in the order received, each a serialized AnalyzeResponse;
or, if a request failed, one `X` with the error in UTF-8 (and exit status 1).
"""

from __future__ import annotations

import queue
import struct
import sys
import threading
from collections import deque
from typing import Any, BinaryIO

# The method AnalyzerStub calls (pulumi/runtime/proto/analyzer_pb2_grpc.py, from pulumi's
# analyzer.proto: service pulumirpc.Analyzer, rpc Analyze); a test holds the two equal.
ANALYZE_METHOD = "/pulumirpc.Analyzer/Analyze"
# What every client of the pack sends with (this process, and analyzer.py's in the program's).
ANALYZE_WINDOW = 256
"""Analyze requests in flight at most: enough to keep the pack busy, few enough that none
waits near its deadline behind the others."""
RPC_TIMEOUT_SECONDS = 60.0
_MAX_MESSAGE = 400 * 1024 * 1024  # the SDK's own limit
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", _MAX_MESSAGE),
                   ("grpc.max_send_message_length", _MAX_MESSAGE)]
_HEADER = struct.Struct(">cI")

PORT, REQUEST, END, ANSWER, FAILED = b"P", b"R", b"E", b"A", b"X"


def write_frame(stream: BinaryIO, kind: bytes, payload: bytes) -> None:
    frame = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    while frame:  # an unbuffered pipe may take part of a write
        written = stream.write(frame)
        frame = frame[written if written is not None else len(frame):]


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:  # an unbuffered pipe may give part of what was asked
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The next frame, or None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if not header:
        return None
    if len(header) != _HEADER.size:
        raise EOFError("a frame's header was cut short")
    kind, length = _HEADER.unpack(header)
    payload = _read_exactly(stream, length)
    if len(payload) != length:
        raise EOFError("a frame was cut short")
    return kind, payload


def _read_all(stream: BinaryIO, frames: queue.Queue[tuple[bytes, bytes] | None]) -> None:
    # Read as fast as the program writes, so its writes never wait on the pack.
    try:
        while (frame := read_frame(stream)) is not None:
            frames.put(frame)
    finally:
        frames.put(None)


def forward(stdin: BinaryIO, stdout: BinaryIO) -> int:
    import grpc

    frames: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()
    threading.Thread(target=_read_all, args=(stdin, frames), daemon=True).start()
    waiting: list[bytes] = []
    in_flight: deque[Any] = deque()
    answers: list[bytes] = []
    analyze: Any = None
    channel: Any = None
    try:
        while (frame := frames.get()) is not None:
            kind, payload = frame
            if kind == PORT:
                channel = grpc.insecure_channel(
                    f"127.0.0.1:{int(payload.decode())}",
                    options=CHANNEL_OPTIONS,
                )
                analyze = channel.unary_unary(ANALYZE_METHOD)  # bytes in, bytes out
            elif kind == REQUEST:
                waiting.append(payload)
            elif kind == END:
                break
            else:
                raise ValueError(f"unknown frame kind {kind!r}")
            if analyze is not None:
                for request in waiting:
                    in_flight.append(analyze.future(request, timeout=RPC_TIMEOUT_SECONDS))
                    while len(in_flight) > ANALYZE_WINDOW:
                        answers.append(in_flight.popleft().result())
                waiting.clear()
        else:
            raise EOFError("the stream ended without its end frame")
        if analyze is None:
            raise EOFError("the stream ended without the pack's port")
        while in_flight:
            answers.append(in_flight.popleft().result())
    except Exception as exc:  # noqa: BLE001 - told to the program's process, which raises it
        write_frame(stdout, FAILED, f"{type(exc).__name__}: {exc}".encode())
        stdout.flush()
        return 1
    finally:
        if channel is not None:
            channel.close()
    for answer in answers:
        write_frame(stdout, ANSWER, answer)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(forward(sys.stdin.buffer, sys.stdout.buffer))
