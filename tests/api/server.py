"""`qflow server` as a user starts it — a real uvicorn process on a free port — and small helpers for
tests that need a real server (process kills, many concurrent connections)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import httpx

from tests.support import QFLOW


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, log_path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "QFLOW_REDIS_URL"}
        env.update(QFLOW_DATABASE_URL=db_url)
        self.log_path = log_path
        self.proc = subprocess.Popen([QFLOW, "server", "--port", str(self.port)], env=env,
                                     stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=30)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.http.get("/health").status_code < 500:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.log()
            time.sleep(0.2)
        raise AssertionError("the server did not answer:\n" + self.log())

    def log(self) -> str:
        return open(self.log_path, errors="replace").read()[-4000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.http.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.http.close()


def login(http: httpx.Client, email: str = "ada@example.com", password: str = "correct horse") -> str:
    """Register and log in; the client sends the bearer token from then on."""
    assert http.post("/auth/register", json={"email": email, "password": password}).status_code == 201
    token = http.post("/auth/login", json={"email": email, "password": password}).json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return token
