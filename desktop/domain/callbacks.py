"""Validation of OAuth callback (redirect) URLs.

Authorisation servers compare redirect URIs byte for byte, so a URL is kept
exactly as typed apart from surrounding whitespace. The rules follow
RFC 8252 (loopback and private-use schemes for native apps) and RFC 6749
section 3.1.2 (no fragment).
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# The part after the colon when a host name and port were typed without a scheme,
# as in `example.com:8443/cb`.
_PORT_AFTER_COLON = re.compile(r"^[0-9]+(/|$)")


@dataclass(frozen=True)
class CallbackCheck:
    url: str
    error: str | None = None
    warning: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_callback_url(raw: str) -> CallbackCheck:
    """Check one callback URL; the result names the problem in plain words."""
    url = raw.strip()
    if not url:
        return CallbackCheck(url, error="The callback URL is empty: enter a full URL.")
    if any(ch.isspace() for ch in url):
        return CallbackCheck(url, error=f"'{url}' contains a space: remove it or encode it as %20.")
    if not all(" " < ch < "\x7f" for ch in url):
        # A URI contains printable ASCII only (RFC 3986). Servers compare the registered
        # string byte for byte, so it must be the encoded form the application sends.
        # repr() shows an invisible character such as U+200B as an escape.
        return CallbackCheck(
            url,
            error=f"{url!r} contains a non-ASCII or control character: percent-encode it, "
            "and write an international host name in its xn-- form.",
        )
    if "#" in url:
        return CallbackCheck(url, error=f"'{url}' has a fragment (#…): remove it.")
    if "*" in url:
        return CallbackCheck(url, error=f"'{url}' contains a wildcard (*): list each URL in full.")

    match = _SCHEME.match(url)
    if match is None:
        return CallbackCheck(
            url, error=f"'{url}' is not an absolute URL: start it with https:// or a scheme."
        )
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return _check_web_url(url, scheme)
    if _PORT_AFTER_COLON.match(url[match.end() :]):
        return CallbackCheck(
            url, error=f"'{url}' has a host and port but no scheme: start it with https://."
        )
    if "." not in scheme:
        return CallbackCheck(
            url,
            error=f"The scheme '{match.group(1)}' of '{url}' must be reverse-DNS, "
            "such as com.example.app.",
        )
    return CallbackCheck(url)


def _check_web_url(url: str, scheme: str) -> CallbackCheck:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        return CallbackCheck(url, error=f"'{url}' is not a valid URL: {error}.")
    if not hostname or not parts.netloc:
        return CallbackCheck(url, error=f"'{url}' has no host name.")
    if "@" in parts.netloc:
        return CallbackCheck(url, error=f"'{url}' contains user information (…@): remove it.")
    if scheme == "https":
        return CallbackCheck(url)
    if _is_loopback_literal(hostname):
        return CallbackCheck(url)
    if hostname == "localhost":
        return CallbackCheck(
            url,
            warning=f"'{url}' uses localhost: prefer http://127.0.0.1 or http://[::1], "
            "which cannot be redirected by a hosts file or a firewall.",
        )
    return CallbackCheck(url, error=f"'{url}' uses http: use https, or a loopback address.")


def _is_loopback_literal(hostname: str) -> bool:
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return str(address) in ("127.0.0.1", "::1")
