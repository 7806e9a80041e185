"""JWKS fetching against an HTTPS server that each test module starts on 127.0.0.1.

The server's certificate comes from a certificate authority generated here, so only
an SSL context built from that authority trusts it. No test contacts another host.
"""

import base64
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from desktop.domain.errors import InvalidInput
from desktop.security.public_keys import MAX_INPUT_BYTES, PrivateKeyExposed
from desktop.services.jwks_fetch import (
    JwksTlsFailed,
    JwksUnreachable,
    check_jwks_url,
    fetch_jwks,
)

LOOPBACK = "127.0.0.1"
SLOW_REPLY_SECONDS = 2.0
SHORT_TIMEOUT = 0.5
TRICKLE_BYTES = 100
PROXY_VARIABLES = (
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    send_length: bool = True
    """False sends no Content-Length, so the body ends when the connection closes."""
    delay: float = 0.0
    trickle: float = 0.0
    """Seconds between pieces of TRICKLE_BYTES. Zero sends the body at once."""
    location: str | None = None


@dataclass(frozen=True)
class TlsFiles:
    ca_pem: str
    certificate: Path
    private_key: Path


@dataclass
class Routes:
    replies: dict[str, Reply] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)
    accept_headers: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    """Set on teardown, so a slow reply stops waiting."""


class LoopbackServer(ThreadingHTTPServer):
    def __init__(self, context: ssl.SSLContext, routes: Routes) -> None:
        super().__init__((LOOPBACK, 0), ReplyHandler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.routes = routes

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients in these tests drop connections on purpose: timeouts, size limits and
        # rejected certificates. The tests check the client's errors instead.
        pass


class ReplyHandler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        routes = self.server.routes
        routes.requested.append(path)
        routes.accept_headers.append(self.headers.get("Accept", ""))
        reply = routes.replies.get(path, Reply(404, b"not found", "text/plain"))
        if reply.delay:
            routes.released.wait(reply.delay)

        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.location is not None:
            self.send_header("Location", reply.location)
        if reply.send_length:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for start in range(0, len(reply.body), TRICKLE_BYTES):
            self.wfile.write(reply.body[start : start + TRICKLE_BYTES])
            self.wfile.flush()
            if routes.released.wait(reply.trickle):
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


def issue_certificates(folder: Path) -> TlsFiles:
    """Create a certificate authority and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "StepDesk test CA")])
    ca_certificate = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    certificate_path = folder / "server.pem"
    key_path = folder / "server.key"
    certificate_path.write_bytes(server_certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_pem = ca_certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return TlsFiles(ca_pem, certificate_path, key_path)


def b64url_int(value: int) -> str:
    octets = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(octets).rstrip(b"=").decode("ascii")


def jwks_body(key: rsa.RSAPrivateKey, kid: str) -> bytes:
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS512"}
    jwk |= {"n": b64url_int(numbers.n), "e": b64url_int(numbers.e)}
    return json.dumps({"keys": [jwk]}, indent=2).encode("ascii")


def padded(body: bytes, size: int) -> bytes:
    return body + b" " * (size - len(body))


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return issue_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def server(tls_files: TlsFiles, signing_key: rsa.RSAPrivateKey) -> Iterator[tuple[str, Routes]]:
    """Serve the replies below over HTTPS on 127.0.0.1 and return the base URL and routes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files.certificate, tls_files.private_key)
    routes = Routes()
    httpd = LoopbackServer(context, routes)
    port = httpd.server_address[1]
    valid = jwks_body(signing_key, "app-2024")
    # The parser rejects this key for its type, before it reads the coordinates.
    ec_document = {"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA", "y": "AA"}]}
    private_numbers = signing_key.private_numbers()
    private_document = json.loads(valid)
    private_document["keys"][0]["d"] = b64url_int(private_numbers.d)
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    routes.replies.update(
        {
            "/jwks.json": Reply(body=valid),
            "/exact-limit.json": Reply(body=padded(valid, MAX_INPUT_BYTES)),
            "/large.json": Reply(body=padded(valid, MAX_INPUT_BYTES + 1)),
            "/large-unsized.json": Reply(body=padded(valid, 70_000), send_length=False),
            "/slow.json": Reply(body=valid, delay=SLOW_REPLY_SECONDS),
            # About 4 s in all, with a gap of only 0.1 s between pieces.
            "/trickle.json": Reply(body=padded(valid, 4000), trickle=0.1),
            "/error.json": Reply(500, b"{}"),
            "/ec.json": Reply(body=json.dumps(ec_document).encode("ascii")),
            "/private.json": Reply(body=json.dumps(private_document).encode("ascii")),
            "/key.pem": Reply(body=public_pem, content_type="application/x-pem-file"),
            "/latin1.json": Reply(body=b'{"keys": [], "note": "caf\xe9"}'),
            "/moved": Reply(302, location="/jwks.json"),
            "/moved-to-http": Reply(302, location=f"http://{LOOPBACK}:{port}/jwks.json"),
        }
    )
    thread = threading.Thread(target=httpd.serve_forever, name="jwks-test-server", daemon=True)
    thread.start()

    yield f"https://{LOOPBACK}:{port}", routes

    routes.released.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def trusting(tls_files: TlsFiles) -> ssl.SSLContext:
    """An SSL context that trusts the test certificate authority and nothing else."""
    return ssl.create_default_context(cadata=tls_files.ca_pem)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove proxy settings, so every request goes straight to 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def fetch_error(url: str, context: ssl.SSLContext | None, timeout: float = 5.0) -> Exception:
    with pytest.raises(InvalidInput) as caught:
        fetch_jwks(url, timeout=timeout, ssl_context=context)
    return caught.value


def test_fetch_valid_jwks(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    key_set = fetch_jwks(f"{base}/jwks.json", ssl_context=trusting)

    assert [key.kid for key in key_set.keys] == ["app-2024"]
    assert [key.size_bits for key in key_set.keys] == [2048]


def test_fetch_at_size_limit(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    key_set = fetch_jwks(f"{base}/exact-limit.json", ssl_context=trusting)

    assert len(key_set.keys) == 1


@pytest.mark.parametrize("path", ["/large.json", "/large-unsized.json"])
def test_fetch_large_body(server: tuple[str, Routes], trusting: ssl.SSLContext, path: str) -> None:
    base, _routes = server

    message = str(fetch_error(f"{base}{path}", trusting))

    assert "over 64 KiB" in message
    assert f"{base}{path}" in message


def test_fetch_smaller_limit(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    with pytest.raises(InvalidInput) as caught:
        fetch_jwks(f"{base}/jwks.json", max_bytes=100, ssl_context=trusting)

    assert "over 100 bytes" in str(caught.value)


def test_fetch_slow_server_times_out(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server
    started = time.monotonic()

    with pytest.raises(JwksUnreachable) as caught:
        fetch_jwks(f"{base}/slow.json", timeout=SHORT_TIMEOUT, ssl_context=trusting)

    assert time.monotonic() - started < SLOW_REPLY_SECONDS - 0.5
    assert "0.5 seconds" in str(caught.value)
    assert "could not be checked" in str(caught.value)


def test_fetch_trickling_server_times_out(
    server: tuple[str, Routes], trusting: ssl.SSLContext
) -> None:
    base, _routes = server
    started = time.monotonic()

    with pytest.raises(JwksUnreachable) as caught:
        fetch_jwks(f"{base}/trickle.json", timeout=SHORT_TIMEOUT, ssl_context=trusting)

    assert time.monotonic() - started < 2 * SHORT_TIMEOUT + 0.5
    assert "0.5 seconds" in str(caught.value)


@pytest.mark.parametrize(("path", "status"), [("/missing.json", "404"), ("/error.json", "500")])
def test_fetch_http_error_status(
    server: tuple[str, Routes], trusting: ssl.SSLContext, path: str, status: str
) -> None:
    base, _routes = server

    error = fetch_error(f"{base}{path}", trusting)

    assert not isinstance(error, JwksUnreachable)
    assert f"HTTP status {status}" in str(error)
    assert f"{base}{path}" in str(error)


def test_fetch_plain_http_never_connects() -> None:
    with socket.create_server((LOOPBACK, 0)) as listener:
        url = f"http://{LOOPBACK}:{listener.getsockname()[1]}/jwks.json"

        message = str(fetch_error(url, None))

        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert url in message
    assert "https" in message


def test_fetch_untrusted_certificate(server: tuple[str, Routes]) -> None:
    """The default context uses the system trust store, which lacks the test authority."""
    base, _routes = server

    error = fetch_error(f"{base}/jwks.json", None)

    assert isinstance(error, JwksTlsFailed)
    assert "not trusted" in str(error)
    assert f"{base}/jwks.json" in str(error)


def test_untrusted_is_not_unreachable() -> None:
    assert not issubclass(JwksTlsFailed, JwksUnreachable)


def test_fetch_closed_port_unreachable(trusting: ssl.SSLContext) -> None:
    with socket.create_server((LOOPBACK, 0)) as probe:
        port = probe.getsockname()[1]
    url = f"https://{LOOPBACK}:{port}/jwks.json"

    with pytest.raises(JwksUnreachable) as caught:
        fetch_jwks(url, timeout=5.0, ssl_context=trusting)

    assert "refused" in str(caught.value)
    assert url in str(caught.value)


def test_fetch_ec_keys_rejected(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    message = str(fetch_error(f"{base}/ec.json", trusting))

    assert '"EC", not "RSA"' in message
    assert f"{base}/ec.json" in message


def test_fetch_private_key_rejected(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    error = fetch_error(f"{base}/private.json", trusting)

    assert isinstance(error, PrivateKeyExposed)
    assert "rotate" in str(error)


def test_fetch_pem_body_rejected(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    message = str(fetch_error(f"{base}/key.pem", trusting))

    assert "not a JWKS document" in message


def test_fetch_non_utf8_rejected(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    message = str(fetch_error(f"{base}/latin1.json", trusting))

    assert "not UTF-8" in message


def test_fetch_follows_https_redirect(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    key_set = fetch_jwks(f"{base}/moved", ssl_context=trusting)

    assert [key.kid for key in key_set.keys] == ["app-2024"]


def test_fetch_rejects_http_redirect(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, _routes = server

    message = str(fetch_error(f"{base}/moved-to-http", trusting))

    assert "not https" in message


def test_fetch_accept_header_jwk_set(server: tuple[str, Routes], trusting: ssl.SSLContext) -> None:
    base, routes = server
    routes.accept_headers.clear()

    fetch_jwks(f"{base}/jwks.json", ssl_context=trusting)

    assert "application/jwk-set+json" in routes.accept_headers[0]


def test_fetch_log_omits_query(
    server: tuple[str, Routes], trusting: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    base, _routes = server
    caplog.set_level(logging.DEBUG, logger="desktop.services.jwks_fetch")

    fetch_jwks(f"{base}/jwks.json?access_token=hidden-value", ssl_context=trusting)

    assert "/jwks.json" in caplog.text
    assert "hidden-value" not in caplog.text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("https://keys.example.com/jwks.json", "https://keys.example.com/jwks.json"),
        ("  https://keys.example.com/jwks.json\n", "https://keys.example.com/jwks.json"),
        ("HTTPS://Keys.Example.com/.well-known/jwks", "HTTPS://Keys.Example.com/.well-known/jwks"),
        (
            "https://keys.example.com:8443/jwks?tenant=a",
            "https://keys.example.com:8443/jwks?tenant=a",
        ),
        ("https://[2001:db8::1]/jwks.json", "https://[2001:db8::1]/jwks.json"),
    ],
)
def test_jwks_url_accepted(typed: str, kept: str) -> None:
    assert check_jwks_url(typed) == kept


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("http://keys.example.com/jwks.json", "https"),
        ("ftp://keys.example.com/jwks.json", "https"),
        ("keys.example.com/jwks.json", "https"),
        ("https:///jwks.json", "no host"),
        ("https://user:secret@keys.example.com/jwks.json", "user information"),
        ("https://user@keys.example.com/jwks.json", "user information"),
        ("https://keys.example.com/jwks.json#current", "fragment"),
        ("https://keys.example.com/jwks.json#", "fragment"),
        ("https://keys.example.com:99999/jwks.json", "not a valid URL"),
        ("https://keys.example.com/my jwks.json", "space"),
        ("https://bücher.example/jwks.json", "xn--"),
    ],
)
def test_jwks_url_rejected(typed: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_jwks_url(typed)

    assert words in str(caught.value)
