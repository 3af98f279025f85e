"""The host reads a runner's answers from Docker's multiplexed attach stream and trusts none of them:
an answer that never ends, is not JSON, or answers another request is a SandboxFailure (and the
container is not used again); a stream that ends means the container stopped. Fed through a socket
pair, since a hardened runner cannot be made to misbehave from inside."""

from __future__ import annotations

import socket
import struct

import pytest

from qflow.sandbox.container import Limits, RunnerContainer, RunnerGone, SandboxFailure


def frame(data: bytes, stream: int = 1) -> bytes:
    return bytes([stream, 0, 0, 0]) + struct.pack(">I", len(data)) + data


@pytest.fixture
def box():
    host, runner = socket.socketpair()
    b = object.__new__(RunnerContainer)
    b.limits = Limits(output_bytes=1000)
    b._sock, b._raw, b._stdout, b.stderr, b._cap = host, bytearray(), bytearray(), bytearray(), 0
    b.runner_end = runner
    yield b
    host.close()
    runner.close()


def test_an_answer_for_this_request_is_returned(box):
    box.runner_end.sendall(frame(b'{"id": "r1", "status": "completed"}\n'))
    assert box.request({"id": "r1", "output_limit": 1000}, timeout=1) == {"id": "r1", "status": "completed"}


def test_an_answer_for_another_request_is_refused(box):
    box.runner_end.sendall(frame(b'{"id": "forged", "status": "completed"}\n'))
    with pytest.raises(SandboxFailure, match="other than this request"):
        box.request({"id": "r1", "output_limit": 1000}, timeout=1)


def test_an_answer_that_is_not_json_is_refused(box):
    box.runner_end.sendall(frame(b'{"id": "r1", "outputs": ' + b"1" * 5000 + b"}\n"))
    with pytest.raises(SandboxFailure, match="not readable JSON"):
        box.request({"id": "r1", "output_limit": 1000}, timeout=1)


def test_an_answer_that_never_ends_stops_at_the_cap(box):
    import threading

    cap = 3 * 1000 + (1 << 20)
    chunk = frame(b"A" * 65536)

    def flood() -> None:  # far more than allowed, and never a newline
        try:
            for _ in range(4 * cap // 65536):
                box.runner_end.sendall(chunk)
        except OSError:  # the host stopped reading and closed its end
            pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    with pytest.raises(SandboxFailure, match=f"more than {cap} bytes"):
        box.request({"id": "r1", "output_limit": 1000}, timeout=10)
    assert len(box._stdout) <= cap + 65536  # read no further than one chunk past the cap
    box._sock.close()
    writer.join(timeout=10)


def test_a_stream_that_ends_means_the_runner_is_gone(box):
    box.runner_end.sendall(frame(b'{"id": "r1", "sta'))
    box.runner_end.shutdown(socket.SHUT_WR)
    with pytest.raises(RunnerGone):
        box.request({"id": "r1", "output_limit": 1000}, timeout=1)


def test_no_answer_in_time_is_none(box):
    import qflow.sandbox.container as container

    grace, container.GRACE_SECONDS = container.GRACE_SECONDS, 0.0
    try:
        assert box.request({"id": "r1", "output_limit": 1000}, timeout=0.2) is None
    finally:
        container.GRACE_SECONDS = grace
