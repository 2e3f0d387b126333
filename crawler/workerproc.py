"""The parent's handle on one ``python -m crawler --worker`` process: send sites, read events, kill."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@dataclass
class Assigned:
    """A site sent to a worker and not finished yet."""

    site_id: str
    run_id: int
    sent_at: float
    hosts: frozenset[str]
    started_at: float | None = None


@dataclass
class WorkerProc:
    proc: subprocess.Popen[bytes]
    log_file: Any
    inflight: dict[int, Assigned] = field(default_factory=dict)  # run id -> site
    buffer: bytes = b""
    closed_input: bool = False
    sent: int = 0  # sites handed to it so far
    killed: bool = False

    @classmethod
    def start(cls, config_path: Path, log_level: str = "WARNING") -> WorkerProc:
        # The worker's log: a pipe would fill up or grow without bound. Closed in close().
        log_file = tempfile.TemporaryFile()  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--config", str(config_path), "--worker", "--log-level", log_level],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=child_env(),
            start_new_session=True,  # its own process group, so a kill takes its children too
        )
        os.set_blocking(proc.stdout.fileno(), False)  # type: ignore[union-attr]
        return cls(proc, log_file)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def fileno(self) -> int:
        return self.proc.stdout.fileno()  # type: ignore[union-attr]

    def send(self, site_id: str, run_id: int, limit: float, hosts: frozenset[str]) -> bool:
        """Hand a site to the worker; False when the worker is gone (its end is read from stdout)."""
        line = json.dumps({"op": "crawl", "site": site_id, "run_id": run_id, "limit": limit}) + "\n"
        self.inflight[run_id] = Assigned(site_id, run_id, time.monotonic(), hosts)
        self.sent += 1
        try:
            self.proc.stdin.write(line.encode())  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            return False
        return True

    def close_input(self) -> None:
        """No more sites: the worker finishes those it has and exits."""
        if not self.closed_input:
            self.closed_input = True
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # type: ignore[union-attr]

    def read_events(self) -> tuple[list[dict[str, Any]], bool]:
        """Events available now, and whether the worker's output has ended (it exited)."""
        ended = False
        while True:
            try:
                chunk = os.read(self.fileno(), 65536)
            except BlockingIOError:
                break
            if not chunk:
                ended = True
                break
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        events = []
        for line in lines:
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
        return events, ended

    def kill(self) -> None:
        """SIGTERM the worker's process group, SIGKILL after 5 s."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def retire(self, grace: float) -> None:
        """No more sites: let it exit within ``grace`` seconds (killed if it does not), then free its pipes."""
        self.close_input()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self.close()

    def exit_text(self) -> str:
        """How the worker ended, in Chinese, with the tail of its log."""
        code = self.proc.wait()
        if code < 0:
            try:
                how = f"被信号 {signal.Signals(-code).name} 终止"
            except ValueError:
                how = f"被信号 {-code} 终止"
        else:
            how = f"退出码 {code}"
        self.log_file.seek(0, os.SEEK_END)
        self.log_file.seek(max(0, self.log_file.tell() - 4000))
        tail = self.log_file.read().decode("utf-8", "replace").strip()[-500:]
        return f"抓取进程（pid {self.proc.pid}）{how}" + (f"：{tail}" if tail else "")

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        self.log_file.close()
