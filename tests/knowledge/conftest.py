"""The real OpenAI-compatible stub server the AI tests talk to through the real client:
POST /v1/chat/completions on port 0 in a thread, answering as `stub.mode` says, and
POST /v1/embeddings answering as `stub.embedding_mode` says with `stub_vector`s.

Both can misbehave the way providers do: `hang` (never answers), `trickle` (headers, then one
byte of the body every `trickle_interval` seconds, never finishing), `sleep`, and HTTP errors
(`500`, `429`, `401`, with `Retry-After` when `stub.retry_after` is set). A hanging or
trickling handler stops when the test ends (or after `FAULT_CAP_SECONDS`)."""

import hashlib
import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

STUB_MODEL = "stub-model"
STUB_EMBEDDING_MODEL = "stub-embedding"

# The default answer: a classification (tests of other purposes set `stub.answer`).
CLASSIFICATION = {
    "category": "billing",
    "type": "billing",
    "tags": ["Refund", "invoice"],
    "urgency": 9,
    "sentiment": "negative",
    "confidence": 0.82,
}


# The stub's "meaning": words mapped to one concept share a dimension, so a text can be close
# to another without sharing a word with it (a real model learns this; the stub is told).
CONCEPTS = {
    "refund": "refund",
    "refunds": "refund",
    "refunded": "refund",
    "reimbursement": "refund",
    "reimburse": "refund",
    "repayment": "refund",
    "invoice": "invoice",
    "invoices": "invoice",
    "receipt": "invoice",
    "bill": "invoice",
}
STOP_WORDS = {"a", "an", "and", "the", "of", "on", "in", "for", "to", "you", "your", "my", "i"}
EMBEDDING_DIMENSIONS = 256
# The longest a hanging or trickling handler keeps its connection (a safety net: the test's
# end releases it first), so a client without a deadline still ends, late.
FAULT_CAP_SECONDS = 12


def stub_vector(text: str) -> list[float]:
    """A deterministic hashed bag of concepts: each word (its concept when it has one) adds 1
    to the dimension its SHA-256 picks; stop words are left out. L2-normalised."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOP_WORDS:
            continue
        concept = CONCEPTS.get(word, word)
        bucket = int(hashlib.sha256(concept.encode()).hexdigest(), 16) % EMBEDDING_DIMENSIONS
        vector[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class StubHandler(BaseHTTPRequestHandler):
    """POST /v1/chat/completions answering as the server's `mode` says; POST /v1/embeddings
    as its `embedding_mode` says."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        stub = self.server.stub
        if self.path.endswith("/embeddings"):
            stub.embedding_requests.append(request)
            self.embeddings(stub, request)
            return
        stub.requests.append({"path": self.path, "body": request})
        mode = stub.mode
        if self.misbehave(stub, mode):
            return
        content = {
            "malformed": '{"category": "billing", ',
            "array": '["billing"]',
        }.get(mode, json.dumps(stub.answer))
        message = {"role": "assistant", "content": content}
        if mode == "refusal":
            message = {"role": "assistant", "content": None, "refusal": "I can't help."}
        self.reply(
            200,
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.get("model", STUB_MODEL),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": stub.usage[0],
                    "completion_tokens": stub.usage[1],
                    "total_tokens": sum(stub.usage),
                },
            },
        )

    def embeddings(self, stub, request: dict) -> None:
        if self.misbehave(stub, stub.embedding_mode):
            return
        texts = request.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        data = [
            {"object": "embedding", "index": i, "embedding": stub_vector(text)}
            for i, text in enumerate(texts)
        ]
        tokens = sum(len(text.split()) for text in texts)
        self.reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": request.get("model", STUB_EMBEDDING_MODEL),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def misbehave(self, stub, mode: str) -> bool:
        """Answer as a faulty provider would; False when `mode` is not a fault (or only slow)."""
        if mode == "sleep":
            time.sleep(stub.sleep_seconds)
        elif mode == "hang":
            stub.released.wait(FAULT_CAP_SECONDS)
            return True
        elif mode == "trickle":
            self.trickle(stub)
            return True
        elif mode in ("500", "429", "401"):
            headers = {"Retry-After": stub.retry_after} if stub.retry_after else {}
            self.reply(int(mode), {"error": {"message": f"stub {mode}", "type": "stub"}}, headers)
            return True
        return False

    def trickle(self, stub) -> None:
        """A 200 whose body never completes: one byte every `trickle_interval` seconds."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.flush()
            started = time.monotonic()
            while time.monotonic() - started < FAULT_CAP_SECONDS:
                if stub.released.wait(stub.trickle_interval):
                    return
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:
            pass  # the client gave up

    def reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, format, *args) -> None:
        pass


class Stub:
    def __init__(self) -> None:
        self.mode = "json"
        self.answer: dict = CLASSIFICATION
        self.usage = (100, 20)
        self.sleep_seconds = 1.0
        self.trickle_interval = 1.0
        self.released = threading.Event()  # set when the test ends: hanging handlers stop
        self.retry_after = ""  # a Retry-After header on 429 and 500 answers when set
        self.requests: list[dict] = []
        self.embedding_mode = "json"
        self.embedding_requests: list[dict] = []


@pytest.fixture
def stub():
    state = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.daemon_threads = True
    server.stub = state
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    state.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def ai_settings(settings, stub):
    settings.AI_BASE_URL = stub.url
    settings.AI_API_KEY = "test-key"
    settings.AI_MODEL = STUB_MODEL
    settings.AI_TIMEOUT_SECONDS = 0.5
    settings.AI_MAX_RETRIES = 0
    settings.AI_DEADLINE_SECONDS = 2
    settings.AI_REQUEST_DEADLINE_SECONDS = 2
    settings.AI_MONTHLY_BUDGET_USD = "50"
    settings.AI_EMBEDDING_MODEL = ""
    return settings


@pytest.fixture
def embedding_settings(ai_settings):
    """The AI against the stub with semantic search on."""
    ai_settings.AI_EMBEDDING_MODEL = STUB_EMBEDDING_MODEL
    return ai_settings
