"""Fetching and checking the JWKS document that an application publishes at a URL.

Only https URLs are fetched, with the system trust store unless the caller passes
another SSL context. The body is capped at 64 KiB and parsed with the same rules as
a pasted key. A network failure raises JwksUnreachable, so the caller can keep the URL
with a warning when this computer is offline. A TLS failure, such as an untrusted
certificate, raises JwksTlsFailed instead, because it may mean the wrong server.
"""

import http.client
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from typing import IO
from urllib.parse import urlsplit

from desktop import APP_NAME, __version__
from desktop.domain.errors import InvalidInput, StepDeskError
from desktop.security.public_keys import (
    MAX_INPUT_BYTES,
    InputForm,
    PrivateKeyExposed,
    PublicKeySet,
    parse_public_key_input,
)

log = logging.getLogger(__name__)

_CHUNK_BYTES = 16 * 1024


class JwksUnreachable(StepDeskError):
    """The JWKS URL could not be reached, so its keys could not be checked.

    A timeout, a refused or dropped connection, or a failed host name lookup raises
    this. The caller may keep the URL with a warning that it was not checked.
    """


class JwksTlsFailed(InvalidInput):
    """The TLS connection to the JWKS URL failed, for example on an untrusted certificate.

    This is an InvalidInput and not a JwksUnreachable, because a certificate that this
    computer does not trust may mean that the URL leads to another server.
    """


def check_jwks_url(text: str) -> str:
    """Return the URL without surrounding whitespace, or raise InvalidInput naming the problem.

    A JWKS URL must be an absolute https URL with a host, and without user information
    or a fragment.
    """
    url = text.strip()
    if not url:
        raise InvalidInput("The JWKS URL is empty: enter a full https:// URL.")
    if any(character.isspace() for character in url):
        raise InvalidInput(f"'{url}' contains a space: remove it or encode it as %20.")
    if not all(" " < character < "\x7f" for character in url):
        raise InvalidInput(
            f"{url!r} contains a non-ASCII or control character: percent-encode it, and "
            "write an international host name in its xn-- form."
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise InvalidInput(f"'{url}' is not a valid URL: {error}.") from None

    if parts.scheme.lower() != "https":
        raise InvalidInput(
            f"'{url}' does not use https. The JWKS URL must use https, so that nobody "
            "on the network can replace the keys."
        )
    if "@" in parts.netloc:
        raise InvalidInput(f"'{url}' contains user information (…@): remove it.")
    if not parts.hostname:
        raise InvalidInput(f"'{url}' has no host name: enter a URL such as https://host/path.")
    if "#" in url:
        raise InvalidInput(f"'{url}' has a fragment (#…): remove it.")
    return url


def fetch_jwks(
    url: str,
    *,
    timeout: float = 10.0,
    max_bytes: int = MAX_INPUT_BYTES,
    ssl_context: ssl.SSLContext | None = None,
) -> PublicKeySet:
    """Download the JWKS document at `url` and check every key in it.

    `timeout` is in seconds. It bounds the connection, the TLS handshake and each read,
    and reading stops at the first read that ends after `timeout` seconds since the
    start, so a fetch takes at most about twice `timeout`. The default SSL context
    trusts the system's certificate authorities.

    Raises InvalidInput for a URL that is not https, an HTTP error status, a body over
    `max_bytes` or a document with an unacceptable key. Raises JwksTlsFailed (an
    InvalidInput) when the TLS connection fails, and JwksUnreachable on a timeout or a
    network failure.
    """
    checked_url = check_jwks_url(url)
    context = ssl_context if ssl_context is not None else ssl.create_default_context()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _HttpsOnlyRedirects()
    )
    request = urllib.request.Request(  # noqa: S310 - check_jwks_url accepts only https
        checked_url,
        headers={
            "Accept": "application/jwk-set+json, application/json",
            "User-Agent": f"{APP_NAME}/{__version__}",
        },
    )

    log.debug("Fetching the JWKS document at %s", _loggable(checked_url))
    try:
        body = _download(opener, request, checked_url, timeout, max_bytes)
    except (JwksUnreachable, InvalidInput) as error:
        log.warning("Fetching the JWKS document at %s failed: %s", _loggable(checked_url), error)
        raise
    key_set = _parse_body(body, checked_url)
    log.info(
        "Fetched %d keys from %s: %s",
        len(key_set.keys),
        _loggable(checked_url),
        ", ".join(f"{key.kid} ({key.fingerprint})" for key in key_set.keys),
    )
    return key_set


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https URLs, so a redirect cannot downgrade the fetch."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() != "https":
            fp.close()
            raise InvalidInput(
                f"{req.full_url} redirects to {newurl}, which is not https. Enter the "
                "final https URL of the JWKS document."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(
    opener: urllib.request.OpenerDirector,
    request: urllib.request.Request,
    url: str,
    timeout: float,
    max_bytes: int,
) -> bytes:
    deadline = time.monotonic() + timeout
    # NOTE: the host name lookup before connecting has no timeout of its own, so a
    # stalled DNS resolver can delay the fetch beyond `timeout`.
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(url, max_bytes)
            chunks: list[bytes] = []
            received = 0
            # Read one byte past the limit, so a body of exactly max_bytes passes.
            while received <= max_bytes:
                if time.monotonic() > deadline:
                    raise TimeoutError
                # read1 returns after one socket read, so a server that sends a few
                # bytes at a time still meets the deadline check above.
                chunk = response.read1(min(_CHUNK_BYTES, max_bytes + 1 - received))
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
            if received > max_bytes:
                raise _too_large(url, max_bytes)
            return b"".join(chunks)
    except urllib.error.HTTPError as error:
        error.close()
        raise InvalidInput(
            f"{url} returned HTTP status {error.code} ({error.reason}). Check that the URL "
            "is the one where the application publishes its JWKS document."
        ) from None
    except urllib.error.URLError as error:
        raise _connection_error(url, error.reason, timeout) from None
    except (OSError, http.client.IncompleteRead) as error:
        raise _connection_error(url, error, timeout) from None
    except http.client.HTTPException as error:
        raise InvalidInput(
            f"{url} did not send a valid HTTP response ({type(error).__name__}). Check that "
            "the URL points at a web server."
        ) from None


def _connection_error(url: str, reason: object, timeout: float) -> StepDeskError:
    """Build JwksTlsFailed for a TLS error, or JwksUnreachable for any other failure."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        return JwksTlsFailed(
            f"The certificate of {url} is not trusted: {reason.verify_message}. Check the "
            "URL. If it is right, the server needs a certificate from an authority that "
            "this computer trusts."
        )
    if isinstance(reason, ssl.SSLError):
        return JwksTlsFailed(
            f"The TLS connection to {url} failed: {reason.reason or reason}. Check that the "
            "URL is right and that the server accepts https on that port."
        )
    if isinstance(reason, TimeoutError):
        detail = f"no complete response within {timeout:g} seconds"
    elif isinstance(reason, ConnectionRefusedError):
        detail = "the connection was refused"
    elif isinstance(reason, socket.gaierror):
        detail = "the host name could not be resolved"
    elif isinstance(reason, http.client.IncompleteRead | ConnectionResetError):
        detail = "the connection closed before the whole response arrived"
    else:
        detail = str(reason)
    return JwksUnreachable(
        f"{url} could not be checked: {detail}. Check the URL and the network "
        "connection, or keep the URL and check it again later."
    )


def _too_large(url: str, max_bytes: int) -> InvalidInput:
    limit = f"{max_bytes // 1024} KiB" if max_bytes % 1024 == 0 else f"{max_bytes:,} bytes"
    return InvalidInput(
        f"{url} returned a body over {limit}, which is too large for a JWKS document. "
        "Check that the URL points at the JWKS document itself."
    )


def _parse_body(body: bytes, url: str) -> PublicKeySet:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{url} returned a body that is not UTF-8 text, so it is not a JWKS document."
        ) from None
    try:
        key_set = parse_public_key_input(text)
    except PrivateKeyExposed:
        raise PrivateKeyExposed(
            f"{url} publishes a private key. Anyone who fetched the URL may have it, so "
            "rotate it: generate a new key pair, give the new private key to the "
            "application, and publish only the new public key at this URL."
        ) from None
    except InvalidInput as error:
        raise InvalidInput(f"{url} returned a document that was rejected. {error}") from error
    if key_set.form is not InputForm.JWKS:
        raise InvalidInput(
            f"{url} returned a {key_set.form.value}, not a JWKS document (an object with a "
            '"keys" array). The portal reads a JWKS document from this URL.'
        )
    return key_set


def _loggable(url: str) -> str:
    # A query string may carry an access token, so logs get the URL without it.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
