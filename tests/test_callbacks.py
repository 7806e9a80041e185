"""Callback URL rules: https anywhere, http on loopback only, reverse-DNS private schemes."""

import pytest

from desktop.domain.callbacks import check_callback_url

ACCEPTED = "accepted"
WARNED = "accepted with a warning"
REJECTED = "rejected"

# (typed URL, outcome, words the error or warning must contain)
CASES = [
    # https: any host and port, with or without a path or query.
    ("https://app.example.com/oauth/callback", ACCEPTED, ""),
    ("https://app.example.com:8443/cb", ACCEPTED, ""),
    ("https://app.example.com", ACCEPTED, ""),
    ("https://app.example.com/cb?tenant=a&x=1", ACCEPTED, ""),
    ("HTTPS://APP.EXAMPLE.COM/cb", ACCEPTED, ""),
    ("https://[2001:db8::1]:8443/cb", ACCEPTED, ""),
    ("https://app.example.com/c%20b", ACCEPTED, ""),
    # Loopback redirects for native apps.
    ("http://127.0.0.1/cb", ACCEPTED, ""),
    ("http://127.0.0.1:8400/callback", ACCEPTED, ""),
    ("http://[::1]:8080/cb", ACCEPTED, ""),
    ("http://[::1]/cb", ACCEPTED, ""),
    ("HTTP://127.0.0.1:8400/cb", ACCEPTED, ""),
    ("http://localhost/cb", WARNED, "127.0.0.1"),
    ("http://LOCALHOST:8080/cb", WARNED, "localhost"),
    # Any other http.
    ("http://app.example.com/cb", REJECTED, "https"),
    ("http://127.0.0.2/cb", REJECTED, "https"),
    ("http://localhost.example.com/cb", REJECTED, "https"),
    ("http://[::ffff:127.0.0.1]/cb", REJECTED, "https"),
    ("http://10.0.0.5:8080/cb", REJECTED, "https"),
    # User information, fragments, wildcards, spaces.
    ("https://user@app.example.com/cb", REJECTED, "user information"),
    ("https://user:secret@app.example.com/cb", REJECTED, "user information"),
    ("http://127.0.0.1@evil.example/cb", REJECTED, "user information"),
    ("https://app.example.com/cb#section", REJECTED, "fragment"),
    ("https://app.example.com/cb#", REJECTED, "fragment"),
    ("https://*.example.com/cb", REJECTED, "wildcard"),
    ("https://app.example.com/*", REJECTED, "wildcard"),
    ("https://app.example.com/call back", REJECTED, "space"),
    ("https://app.example.com/call\tback", REJECTED, "space"),
    ("https://app.example.com/call\u00a0back", REJECTED, "space"),
    # Empty, relative and malformed.
    ("", REJECTED, "empty"),
    ("   \n", REJECTED, "empty"),
    ("/oauth/callback", REJECTED, "absolute"),
    ("app.example.com/cb", REJECTED, "absolute"),
    ("//app.example.com/cb", REJECTED, "absolute"),
    ("app.example.com:8443/cb", REJECTED, "https://"),
    ("localhost:8080", REJECTED, "https://"),
    ("https:///cb", REJECTED, "host"),
    ("https:app.example.com/cb", REJECTED, "host"),
    ("https://app.example.com:99999/cb", REJECTED, "not a valid URL"),
    ("https://app.example.com:port/cb", REJECTED, "not a valid URL"),
    ("http://[::1/cb", REJECTED, "not a valid URL"),
    # Characters that are not printable ASCII.
    ("https://bücher.example/cb", REJECTED, "xn--"),
    ("https://app.example.com/café", REJECTED, "percent-encode"),
    ("https://app.example.com/c\u200bb", REJECTED, "\\u200b"),
    ("https://app.example.com/cb\x00", REJECTED, "control character"),
    # Private-use schemes of native apps.
    ("com.example.app:/oauth2redirect", ACCEPTED, ""),
    ("com.example.app://callback", ACCEPTED, ""),
    ("uk.co.example.desk:/cb", ACCEPTED, ""),
    ("myapp://callback", REJECTED, "reverse-DNS"),
    ("javascript:alert(1)", REJECTED, "reverse-DNS"),
    ("file:///etc/passwd", REJECTED, "reverse-DNS"),
    ("com.example.app:/cb#frag", REJECTED, "fragment"),
]


def _outcome(url: str) -> str:
    check = check_callback_url(url)
    if check.error is not None:
        return REJECTED
    if check.warning is not None:
        return WARNED
    return ACCEPTED


@pytest.mark.parametrize(("url", "expected", "_words"), CASES)
def test_callback_rule_outcome(url: str, expected: str, _words: str) -> None:
    assert _outcome(url) == expected


@pytest.mark.parametrize(
    ("url", "words"), [(url, words) for url, outcome, words in CASES if outcome != ACCEPTED]
)
def test_callback_message_gives_reason(url: str, words: str) -> None:
    check = check_callback_url(url)
    message = check.error or check.warning or ""

    assert words.lower() in message.lower()


@pytest.mark.parametrize(
    "url", [url for url, outcome, _words in CASES if outcome != ACCEPTED and url.strip()]
)
def test_callback_message_names_url(url: str) -> None:
    check = check_callback_url(url)
    message = check.error or check.warning or ""

    assert url.strip() in message or repr(url.strip()) in message


def test_callback_ok_matches_error() -> None:
    assert check_callback_url("https://app.example.com/cb").ok
    assert check_callback_url("http://localhost/cb").ok
    assert not check_callback_url("http://app.example.com/cb").ok


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  https://app.example.com/cb  ", "https://app.example.com/cb"),
        ("\thttp://127.0.0.1:8400/cb\n", "http://127.0.0.1:8400/cb"),
        ("https://App.Example.com/CB/", "https://App.Example.com/CB/"),
    ],
)
def test_callback_kept_as_typed_trimmed(typed: str, kept: str) -> None:
    check = check_callback_url(typed)

    assert check.ok
    assert check.url == kept
