"""A small blocking LSP client that drives a server subprocess over stdio.

For tests and benchmarks (bench/lsp_latency.py): it speaks JSON-RPC with Content-Length
framing exactly as an editor does, answers the server's own requests (registrations) with
`null`, and every wait has a timeout, so a hung server fails a test instead of blocking it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_TIMEOUT = 20.0


class ServerError(Exception):
    """The server answered a request with an error, or died."""


def _read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """One framed message, or None at end of stream."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        raise ServerError("message without Content-Length")
    body = stream.read(length)
    return json.loads(body.decode("utf-8"))


def frame(message: dict[str, Any]) -> bytes:
    """A JSON-RPC message with its Content-Length header."""
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body


class LspClient:
    """A language server subprocess and a blocking conversation with it."""

    def __init__(self, command: Sequence[str] | None = None, cwd: Path | None = None, env: dict | None = None):
        self.proc = subprocess.Popen(
            list(command or [sys.executable, "-m", "policyc", "lsp"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._notifications: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._stderr: queue.Queue[bytes] = queue.Queue()
        self.server_requests: list[dict[str, Any]] = []
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- transport ---------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame({"jsonrpc": "2.0", **message}))
        self.proc.stdin.flush()

    def _read_loop(self) -> None:
        assert self.proc.stdout is not None
        while True:
            try:
                message = _read_message(self.proc.stdout)
            except (ValueError, ServerError):
                message = None
            with self._cond:
                if message is None:
                    self._cond.notify_all()
                    return
                if "method" in message and "id" in message:  # a request from the server
                    self.server_requests.append(message)
                    self._send({"id": message["id"], "result": None})
                elif "id" in message:
                    self._responses[message["id"]] = message
                else:
                    self._notifications.append(message)
                self._cond.notify_all()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.put(line)

    def stderr(self) -> str:
        """What the server wrote on stderr so far."""
        out = []
        while not self._stderr.empty():
            out.append(self._stderr.get().decode("utf-8", "replace"))
        return "".join(out)

    # -- conversation ------------------------------------------------------------
    def request(self, method: str, params: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Send a request and wait for its result (ServerError on an error answer)."""
        self._next_id += 1
        rid = self._next_id
        self._send({"id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to {method} within {timeout}s; stderr: {self.stderr()}")
                if self.proc.poll() is not None:
                    raise ServerError(f"server exited ({self.proc.returncode}); stderr: {self.stderr()}")
                self._cond.wait(min(left, 0.5))
            answer = self._responses.pop(rid)
        if "error" in answer:
            raise ServerError(f"{method}: {answer['error']}")
        return answer.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self._send({"method": method, "params": params})

    def notifications(self, method: str) -> list[dict[str, Any]]:
        """The notifications `method` received and not consumed yet (left in place)."""
        with self._cond:
            return [n for n in self._notifications if n.get("method") == method]

    def discard(self) -> None:
        """Forget the notifications received so far (wait only for what comes next)."""
        with self._cond:
            self._notifications.clear()

    def wait_for(
        self, method: str, predicate: Callable[[Any], bool] = lambda p: True, timeout: float = DEFAULT_TIMEOUT
    ) -> Any:
        """Wait for (and consume) the first notification `method` whose params satisfy `predicate`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, note in enumerate(self._notifications):
                    if note.get("method") == method and predicate(note.get("params")):
                        del self._notifications[i]
                        return note.get("params")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {method} notification within {timeout}s; stderr: {self.stderr()}")
                if self.proc.poll() is not None:
                    raise ServerError(f"server exited ({self.proc.returncode}); stderr: {self.stderr()}")
                self._cond.wait(min(left, 0.5))

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[dict]:
        """Wait for the diagnostics of `uri` (of that document version, if given)."""
        params = self.wait_for(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
            timeout,
        )
        return params["diagnostics"]

    def initialize(self, root: Path, options: dict | None = None, capabilities: dict | None = None) -> dict:
        """The initialize handshake for a workspace folder; returns the server's capabilities."""
        uri = root.resolve().as_uri()
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": root.name}],
                "capabilities": capabilities or {},
                "initializationOptions": options or {},
            },
        )
        self.notify("initialized", {})
        return result["capabilities"]

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        """didOpen a file (with its disk text unless given); returns its URI."""
        uri = path.resolve().as_uri()
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "policy",
                    "version": version,
                    "text": path.read_text(encoding="utf-8") if text is None else text,
                }
            },
        )
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        """didChange with the whole new text."""
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )

    def close(self, timeout: float = 10.0) -> int:
        """shutdown, exit, and wait for the process; returns its exit code."""
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
