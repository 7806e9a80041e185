"""otpauth:// URIs in the Key URI format that authenticator apps read."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from desktop.security import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# (issuer, account, issuer as the app shows it, account as the app shows it)
NAME_CASES = [
    ("StepDesk", "olivia@example.co.uk", "StepDesk", "olivia@example.co.uk"),
    ("Acme Portal", "Olivia Owner", "Acme Portal", "Olivia Owner"),
    ("Smith & Sons", "a&b@example.com", "Smith & Sons", "a&b@example.com"),
    ("O'Brien's", "o'brien@example.ie", "O'Brien's", "o'brien@example.ie"),
    ("C++ Team", "olivia+totp@example.com", "C++ Team", "olivia+totp@example.com"),
    ("Dev:Portal", "domain:user", "Dev Portal", "domain user"),
    ("Café Zoë", "José Müller", "Café Zoë", "José Müller"),
    ("東京ポータル", "ユーザー", "東京ポータル", "ユーザー"),
    ("  Spaced   Out  ", "x", "Spaced Out", "x"),
    ("100% Secure?", "#1/user=a", "100% Secure?", "#1/user=a"),
]


def _split(uri: str) -> tuple[str, str, dict[str, list[str]]]:
    """Return the raw label's issuer and account parts and the parsed query."""
    parts = urlsplit(uri)
    label = parts.path.removeprefix("/")
    raw_issuer, separator, raw_account = label.partition(":")
    assert separator == ":", f"no ':' between issuer and account in {uri}"
    return raw_issuer, raw_account, parse_qs(parts.query, strict_parsing=True)


@pytest.mark.parametrize(("issuer", "account", "shown_issuer", "shown_account"), NAME_CASES)
def test_uri_label_roundtrip(
    issuer: str, account: str, shown_issuer: str, shown_account: str
) -> None:
    uri = totp.provisioning_uri(SECRET, issuer, account)
    raw_issuer, raw_account, _query = _split(uri)

    assert unquote(raw_issuer, errors="strict") == shown_issuer
    assert unquote(raw_account, errors="strict") == shown_account


@pytest.mark.parametrize(("issuer", "account", "shown_issuer", "_shown_account"), NAME_CASES)
def test_uri_issuer_parameter_matches_label(
    issuer: str, account: str, shown_issuer: str, _shown_account: str
) -> None:
    uri = totp.provisioning_uri(SECRET, issuer, account)
    raw_issuer, _raw_account, query = _split(uri)

    raw_parameters = dict(pair.split("=", 1) for pair in urlsplit(uri).query.split("&"))

    assert query["issuer"] == [shown_issuer]
    assert raw_parameters["issuer"] == raw_issuer


@pytest.mark.parametrize(("issuer", "account", "_shown_issuer", "_shown_account"), NAME_CASES)
def test_uri_is_printable_ascii(
    issuer: str, account: str, _shown_issuer: str, _shown_account: str
) -> None:
    uri = totp.provisioning_uri(SECRET, issuer, account)

    assert re.fullmatch(r"[!-~]+", uri), uri
    # '+' means a space to some query parsers, so a space is %20 and '+' is %2B.
    assert "+" not in uri


def test_uri_space_is_percent_20() -> None:
    uri = totp.provisioning_uri(SECRET, "Acme Portal", "Olivia Owner")

    assert "/Acme%20Portal:Olivia%20Owner?" in uri
    assert "issuer=Acme%20Portal" in uri


@pytest.mark.parametrize(("issuer", "account", "_shown_issuer", "_shown_account"), NAME_CASES)
def test_uri_label_has_one_colon(
    issuer: str, account: str, _shown_issuer: str, _shown_account: str
) -> None:
    uri = totp.provisioning_uri(SECRET, issuer, account)
    raw_issuer, raw_account, _query = _split(uri)

    assert ":" not in unquote(raw_issuer)
    assert ":" not in unquote(raw_account)
    assert "%3A" not in uri.upper()


def test_uri_default_parameters() -> None:
    uri = totp.provisioning_uri(SECRET, "StepDesk", "olivia@example.co.uk")
    parts = urlsplit(uri)
    query = parse_qs(parts.query)

    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    # Each parameter may be left out, because the defaults are the only values used.
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]


@pytest.mark.parametrize(
    "given",
    [SECRET, SECRET.lower(), SECRET + "====", "jbswy3dpehpk3pxp" + "==="],
)
def test_uri_secret_upper_unpadded(given: str) -> None:
    uri = totp.provisioning_uri(given, "StepDesk", "olivia")
    [secret] = parse_qs(urlsplit(uri).query)["secret"]

    assert secret == given.upper().rstrip("=")
    assert re.fullmatch(r"[A-Z2-7]+", secret)


def test_uri_carries_new_secret() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "StepDesk", "olivia")

    assert parse_qs(urlsplit(uri).query)["secret"] == [secret]


def test_setup_key_groups_of_four() -> None:
    assert totp.format_setup_key("ABCDEFGHIJ") == "ABCD EFGH IJ"
