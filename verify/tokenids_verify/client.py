"""A small HTTP client for the OpenAI-compatible chat and completions endpoints (standard library only).

Every call opens its own connection, so one client can be used from many threads at once
(the concurrency check relies on that).
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Optional

from .sse import SseStream, parse_sse_lines


class HttpError(RuntimeError):
    """The server answered with a non-2xx status (the body is kept for the report)."""

    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


@dataclass
class StreamResponse:
    status: int
    sse: SseStream

    @property
    def chunks(self):
        return self.sse.events


class ChatClient:
    def __init__(self, base_url: str, timeout: float = 300.0, model: str = "default"):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"server URL must look like http://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self.model = model

    def _connection(self, timeout: Optional[float] = None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout or self.timeout)

    def request(self, method: str, path: str, body: Any = None, timeout: Optional[float] = None):
        """Returns (status, body text). Raises OSError on connection problems."""
        conn = self._connection(timeout)
        try:
            headers = {"Connection": "close"}
            data = None
            if body is not None:
                data = json.dumps(body).encode("utf-8")
                headers["Content-Type"] = "application/json"
            conn.request(method, self._prefix + path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def get_json(self, path: str, timeout: Optional[float] = None) -> Any:
        status, text = self.request("GET", path, timeout=timeout)
        if status // 100 != 2:
            raise HttpError("GET", path, status, text)
        return json.loads(text)

    def _with_model(self, body: Dict[str, Any]) -> Dict[str, Any]:
        body = dict(body)
        body.setdefault("model", self.model)
        return body

    def chat(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Non-streaming /v1/chat/completions; returns the JSON body (raises HttpError)."""
        body = self._with_model(body)
        body["stream"] = False
        status, text = self.request("POST", "/v1/chat/completions", body)
        if status != 200:
            raise HttpError("POST", "/v1/chat/completions", status, text)
        return json.loads(text)

    def chat_stream(self, body: Dict[str, Any]) -> StreamResponse:
        """Streaming /v1/chat/completions; reads the whole SSE stream and parses it."""
        return self._stream("/v1/chat/completions", body)

    def completion(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Non-streaming /v1/completions; returns the JSON body (raises HttpError)."""
        body = self._with_model(body)
        body["stream"] = False
        status, text = self.request("POST", "/v1/completions", body)
        if status != 200:
            raise HttpError("POST", "/v1/completions", status, text)
        return json.loads(text)

    def completion_stream(self, body: Dict[str, Any]) -> StreamResponse:
        """Streaming /v1/completions; reads the whole SSE stream and parses it."""
        return self._stream("/v1/completions", body)

    def post_raw(self, path: str, body: Dict[str, Any]):
        """POST with the model filled in; returns (status, body text) whatever the status."""
        return self.request("POST", path, self._with_model(body))

    def _stream(self, path: str, body: Dict[str, Any]) -> StreamResponse:
        body = self._with_model(body)
        body["stream"] = True
        conn = self._connection()
        try:
            conn.request(
                "POST",
                self._prefix + path,
                body=json.dumps(body).encode("utf-8"),
                headers={"Content-Type": "application/json", "Accept": "text/event-stream", "Connection": "close"},
            )
            resp = conn.getresponse()
            if resp.status != 200:
                raise HttpError("POST", f"{path} (stream)", resp.status, resp.read().decode("utf-8", "replace"))
            sse = parse_sse_lines(iter(resp.readline, b""))
            return StreamResponse(status=resp.status, sse=sse)
        finally:
            conn.close()
