"""Receivers for the webhook tests: real HTTP servers on the loopback that verify every
delivery with the `standardwebhooks` package, and a record of the tasks queued."""

import json
import shutil
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks import services, tasks


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a sender that gave up (a timeout, a refused certificate) is what tests expect


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    payload: object = None  # what standardwebhooks.verify answered
    error: str = ""  # why it refused, if it did


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers `status` after `delay` seconds."""

    secret: str | None = None
    status: int = 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    tls: tuple[str, str] | None = None  # (certificate file, key file): serve https

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = Received(self.path, dict(self.headers.items()), body)
                if receiver.secret is not None:
                    try:
                        record.payload = Webhook(receiver.secret).verify(body, record.headers)
                    except WebhookVerificationError as exc:
                        record.error = str(exc)
                receiver.received.append(record)
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def verified(self) -> list:
        """Every delivery's verified payload; fails on any that did not verify."""
        assert all(not r.error for r in self.received), [r.error for r in self.received]
        return [r.payload for r in self.received]

    def json(self) -> list:
        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver():
    started: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        started.append(Receiver(**kwargs).start())
        return started[-1]

    yield make
    for r in started:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def queued(monkeypatch):
    """The delivery tasks queued (delivery id, countdown), instead of sending them to a broker."""
    calls: list[tuple[int, int | None]] = []

    def apply_async(args, countdown=None, **kwargs):
        calls.append((args[0], countdown))

    monkeypatch.setattr(tasks.deliver, "apply_async", apply_async)
    return calls


@pytest.fixture
def run_queued(queued):
    """Run the attempts queued without a countdown, as a worker would (in this process)."""

    def run():
        due = [pk for pk, countdown in queued if countdown is None]
        queued[:] = [c for c in queued if c[1] is not None]
        return [services.delivery_attempt(delivery_id=pk) for pk in due]

    return run


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.example.test: (certificate file, key file)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=hooks.example.test",
            "-addext",
            "subjectAltName=DNS:hooks.example.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)
