"""The load-and-faults run's stand-ins: an SMTP sink (just enough SMTP for Django's backend,
restartable on the same port) and an AI provider stub that is slow, fails, rate limits and
answers garbage, in rotation.
"""

import asyncio
import email
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AI_TIMEOUT_SECONDS = 1.0
AI_SLOW_SECONDS = 1.5
# The stub's answers in rotation: mostly faults, so every fault path runs many times.
AI_ROTATION = ("slow", "500", "429", "garbage", "ok")


class SmtpSink:
    """Records every message it accepts as (Message-ID, X-Helpdesk-Ticket). `stop()` closes
    the listening socket, so deliveries fail with a refused connection until `start()`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[tuple[str, str]] = []
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def start(self) -> None:
        async def listen():
            self.server = await asyncio.start_server(
                self._session, "127.0.0.1", self.port, reuse_address=True
            )

        asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)

    def stop(self) -> None:
        async def close():
            if self.server is not None:
                self.server.close()
                self.server = None

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _session(self, reader, writer) -> None:
        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await say("220 sink ESMTP")
            while line := await reader.readline():
                verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                if verb == "DATA":
                    await say("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (data := await reader.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    message = email.message_from_bytes(b"".join(lines))
                    self.messages.append(
                        (message.get("Message-ID", ""), message.get("X-Helpdesk-Ticket", ""))
                    )
                    await say("250 queued")
                elif verb == "QUIT":
                    await say("221 bye")
                    break
                elif verb in ("EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                    await say("250 ok")
                else:
                    await say("502 not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


class FaultyAiHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        stub = self.server
        with stub.lock:
            mode = AI_ROTATION[stub.calls % len(AI_ROTATION)]
            stub.calls += 1
            stub.modes[mode] += 1
        if mode == "slow":
            time.sleep(AI_SLOW_SECONDS)
        if mode in ("500", "429"):
            self._reply(int(mode), b'{"error": {"message": "stub fault", "type": "stub"}}')
            return
        if mode == "garbage":
            self._reply(200, b"<html>upstream proxy error \x00\xff", "text/html")
            return
        if self.path.endswith("/embeddings"):
            body = {"object": "list", "data": [], "model": "stub", "usage": {"prompt_tokens": 1}}
            self._reply(200, json.dumps(body).encode())
            return
        # A well-formed but unsure classification: valid, and too weak to change anything.
        content = json.dumps(
            {
                "category": "billing",
                "type": "question",
                "tags": [],
                "urgency": 3,
                "sentiment": "neutral",
                "confidence": 0.2,
            }
        )
        body = {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "stub-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        self._reply(200, json.dumps(body).encode())

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client timed out first (the slow answers)

    def log_message(self, format, *args) -> None:
        pass


def start_ai_stub() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FaultyAiHandler)
    server.daemon_threads = True
    server.lock, server.calls, server.modes = threading.Lock(), 0, Counter()
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    return server
