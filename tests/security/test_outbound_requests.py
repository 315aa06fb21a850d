"""Outbound requests to user-configured URLs never reach internal addresses: real HTTP
servers on loopback stand in for the internal service an attacker would aim a webhook at.
The resolved address is checked when connecting, redirects are not followed into the
internal network, a refused target gets nothing sent and gives nothing back, and an explicit
allow-list lets an on-premise receiver through."""

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from common import outbound
from tests.security.test_production_settings import PRODUCTION_ENV, run_manage
from webhooks.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_send
from webhooks.tasks import deliver_webhook


def start_server(address: str, *, redirect_to: str | None = None):
    """A real HTTP server on `address`, port 0. Records every request; answers 200 with a
    body, or a 302 to `redirect_to`."""
    received: list[SimpleNamespace] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received.append(SimpleNamespace(path=self.path, headers=self.headers, body=body))
            if redirect_to:
                self.send_response(302)
                self.send_header("Location", redirect_to)
                reply = b""
            else:
                self.send_response(200)
                reply = b"internal secret: s3cr3t"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _answer

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer((address, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return SimpleNamespace(
        url=f"http://{address}:{server.server_port}/hooks/in",
        port=server.server_port,
        received=received,
        stop=stop,
    )


@pytest.fixture
def internal_service():
    server = start_server("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def second_internal_service():
    # All of 127.0.0.0/8 is loopback on Linux: a second "internal" host to redirect to.
    server = start_server("127.0.0.2")
    yield server
    server.stop()


def deliver_to(url: str) -> WebhookDelivery:
    """A subscription saved with `url` (written directly, as one saved before the address
    turned internal would be), one delivery attempted; the delivery as recorded."""
    subscription = WebhookSubscription.objects.create(
        name="CRM", url=url, events=list(WEBHOOK_EVENTS)
    )
    delivery = webhook_send(subscription=subscription, event="rule.fired", data={}, source_key="x")
    deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    return delivery


# ---------------------------------------------------------------------------------------------
# Webhook deliveries, checked when connecting
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_webhook_at_a_loopback_server_sends_nothing_and_records_only_the_refusal(
    internal_service,
):
    delivery = deliver_to(internal_service.url)

    assert internal_service.received == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("refused: address not allowed")
    assert "loopback" in delivery.last_error
    assert delivery.response_snippet == ""


@pytest.mark.django_db
def test_an_allow_listed_network_receives_the_delivery(internal_service, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]

    delivery = deliver_to(internal_service.url)

    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    [request] = internal_service.received
    assert request.path == "/hooks/in" and request.headers["X-Helpdesk-Event"] == "rule.fired"


@pytest.mark.django_db
def test_a_host_name_resolving_to_loopback_is_refused_when_connecting(internal_service):
    delivery = deliver_to(f"http://localhost:{internal_service.port}/hooks/in")

    assert internal_service.received == []
    assert delivery.last_error.startswith("refused: address not allowed (localhost is 127.0.0.1")


@pytest.mark.django_db
def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(
    internal_service, settings
):
    # localhost may also resolve to ::1, where nothing listens: the next checked address
    # is tried; the Host header still names the host, not the address.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1"]

    delivery = deliver_to(f"http://localhost:{internal_service.port}/hooks/in")

    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    [request] = internal_service.received
    assert request.headers["Host"] == f"localhost:{internal_service.port}"


@pytest.mark.django_db
def test_a_redirect_from_an_allowed_receiver_to_an_internal_address_is_not_followed(
    settings, second_internal_service
):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]  # the receiver, not 127.0.0.2
    receiver = start_server("127.0.0.1", redirect_to=second_internal_service.url)
    try:
        delivery = deliver_to(receiver.url)
    finally:
        receiver.stop()

    assert len(receiver.received) == 1
    assert second_internal_service.received == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_status_code == 302


# ---------------------------------------------------------------------------------------------
# The guarded fetch itself (what future features call)
# ---------------------------------------------------------------------------------------------


def test_following_redirects_checks_every_hop(second_internal_service):
    first = start_server("127.0.0.1", redirect_to=second_internal_service.url)
    try:
        with pytest.raises(outbound.AddressNotAllowed, match="127.0.0.2"):
            outbound.fetch("GET", first.url, max_redirects=3, allowed_networks="127.0.0.1")
        assert len(first.received) == 1
        assert second_internal_service.received == []

        both = "127.0.0.1,127.0.0.2"
        response = outbound.fetch("GET", first.url, max_redirects=3, allowed_networks=both)
    finally:
        first.stop()

    assert response.status == 200 and response.url == second_internal_service.url
    assert response.redirects == [first.url]
    assert len(second_internal_service.received) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 written as one decimal number
        ("http://0177.0.0.1/", "loopback"),  # octal
        ("http://0x7f.1/", "loopback"),  # hex, short form
        ("http://localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback (as IPv6)"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local (as IPv6)"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local (as IPv6)"),  # NAT64 of the same
        ("http://[fd00:ec2::254]/", "private"),
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://192.168.1.5/", "private"),
        ("http://100.64.0.1/", "shared"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "private"),
        ("http://[fe80::1]/", "link-local"),
    ],
)
def test_internal_addresses_in_every_spelling_are_refused_without_connecting(url, reason):
    with pytest.raises(outbound.AddressNotAllowed) as refused:
        outbound.fetch("GET", url, timeout=1)
    assert refused.value.reason.startswith(reason.split(" ")[0])
    with pytest.raises(outbound.AddressNotAllowed):
        outbound.check_url(url)


def test_public_addresses_and_allow_listed_networks_pass_the_check():
    outbound.check_url("https://93.184.215.14/in")
    outbound.check_url("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/in")
    outbound.check_url("http://10.1.2.3/", allowed_networks="10.0.0.0/8,192.168.1.5")
    outbound.check_url("http://192.168.1.5:8080/", allowed_networks=["10.0.0.0/8", "192.168.1.5"])
    with pytest.raises(outbound.AddressNotAllowed):
        outbound.check_url("http://192.168.1.6/", allowed_networks="10.0.0.0/8,192.168.1.5")


def test_a_malformed_allow_list_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="not an IP address or network"):
        outbound.check_url("http://10.1.2.3/", allowed_networks="10.0.0.0/8,intranet")

    # The setting is checked when the settings load: the server does not start with it.
    env = {**PRODUCTION_ENV, "WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "WEBHOOK_ALLOWED_NETWORKS: 'intranet' is not an IP address" in result.stderr


# ---------------------------------------------------------------------------------------------
# Checked when saved: admin and API give a clear message
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_model_refuses_an_internal_url_with_a_clear_message(settings):
    subscription = WebhookSubscription(
        name="x", url="http://169.254.169.254/latest/", events=["ticket.created"]
    )
    with pytest.raises(ValidationError) as refused:
        subscription.full_clean()
    [message] = refused.value.message_dict["url"]
    assert "Webhooks may not reach internal addresses" in message
    assert "169.254.169.254" in message and "WEBHOOK_ALLOWED_NETWORKS" in message

    settings.WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    subscription.full_clean(exclude=["owner"])


@pytest.mark.django_db
def test_the_admin_form_shows_the_message_and_saves_nothing(admin_client, admin_user):
    response = admin_client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {
            "name": "Chat",
            "url": "http://[::ffff:127.0.0.1]:9000/in",
            "events": ["ticket.created"],
            "active": "on",
            "owner": admin_user.pk,
            "secret": "s3cret-value",
        },
    )

    assert response.status_code == 200
    assert "Webhooks may not reach internal addresses" in response.text
    assert not WebhookSubscription.objects.exists()


# ---------------------------------------------------------------------------------------------
# TLS: connected to the checked address, verified for (and SNI naming) the host name
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """A real HTTPS server on 127.0.0.1 with a certificate for `localhost` only, trusted
    through SSL_CERT_FILE as a private CA would be. Records the SNI name and Host header."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    seen = SimpleNamespace(sni=[], hosts=[])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.hosts.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.sni.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    seen.port = server.server_port
    yield seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_https_goes_to_the_checked_address_and_verifies_the_host_name(tls_server):
    allowed = "127.0.0.0/8,::1"
    response = outbound.fetch(
        "GET", f"https://localhost:{tls_server.port}/", allowed_networks=allowed
    )

    assert response.status == 200 and response.body == b"ok"
    assert tls_server.sni == ["localhost"]
    assert tls_server.hosts == [f"localhost:{tls_server.port}"]
    # The certificate names localhost, not the address: asked by address, it does not verify.
    with pytest.raises(outbound.OutboundError, match="CERTIFICATE_VERIFY_FAILED|mismatch"):
        outbound.fetch("GET", f"https://127.0.0.1:{tls_server.port}/", allowed_networks=allowed)
