"""Public key input: JWKS documents, single JWKs and PEM keys, and every rejection."""

import base64
import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from desktop.domain.errors import InvalidInput
from desktop.security.public_keys import (
    JWKS_CACHE_NOTE,
    MAX_INPUT_BYTES,
    InputForm,
    PrivateKeyExposed,
    PublicKeySet,
    parse_public_key_input,
)

# The example JWK of RFC 7638 section 3.1 and the thumbprint that the RFC gives for it.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

PRIVATE_KEY_WORDS = ("private key", "exposed", "rotate", "new key pair")
FINGERPRINT = re.compile(r"([0-9A-F]{2}:){31}[0-9A-F]{2}")


# Keys are generated on first use and cached, because generating a 4096-bit key is slow.


@functools.cache
def rsa_key(bits: int, number: int = 0) -> rsa.RSAPrivateKey:
    """Return RSA key `number` of this size. Different numbers give different keys."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def b64url(octets: bytes) -> str:
    return base64.urlsafe_b64encode(octets).rstrip(b"=").decode("ascii")


def b64url_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def public_pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    form: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo,
) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, form).decode("ascii")


def private_pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    form: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
    encryption: serialization.KeySerializationEncryption | None = None,
) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, form, encryption or serialization.NoEncryption()
    ).decode("ascii")


def rsa_jwk(key: rsa.RSAPrivateKey, **members: Any) -> dict[str, Any]:
    """Build the public JWK of `key`. A member given as None is left out."""
    numbers = key.public_key().public_numbers()
    jwk: dict[str, Any] = {"kty": "RSA", "n": b64url_int(numbers.n), "e": b64url_int(numbers.e)}
    jwk.update(members)
    return {name: value for name, value in jwk.items() if value is not None}


def rsa_private_jwk(key: rsa.RSAPrivateKey, **members: Any) -> dict[str, Any]:
    numbers = key.private_numbers()
    private = {
        "d": b64url_int(numbers.d),
        "p": b64url_int(numbers.p),
        "q": b64url_int(numbers.q),
        "dp": b64url_int(numbers.dmp1),
        "dq": b64url_int(numbers.dmq1),
        "qi": b64url_int(numbers.iqmp),
    }
    return rsa_jwk(key, **private, **members)


def ec_jwk(**members: Any) -> dict[str, Any]:
    numbers = ec_key().public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "kid": "ec-1",
    }
    return jwk | members


def okp_jwk() -> dict[str, Any]:
    raw = (
        ed25519_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": "ed-1"}


def jwks(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)}, indent=2)


def key_2048(**members: Any) -> str:
    """Build a JWKS document with one 2048-bit key, kid "main" unless `members` sets another."""
    return jwks(rsa_jwk(rsa_key(2048), **({"kid": "main"} | members)))


def padded_to(text: str, size: int) -> str:
    return text + " " * (size - len(text.encode("utf-8")))


def self_signed_certificate_pem() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keys.example.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key(2048).public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(rsa_key(2048), hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def damaged_pem() -> str:
    lines = public_pem(rsa_key(2048)).splitlines()
    lines[3] = lines[3][:21]
    return "\n".join(lines)


def even_modulus_jwk() -> dict[str, Any]:
    modulus = rsa_key(2048).public_key().public_numbers().n + 1
    return rsa_jwk(rsa_key(2048), kid="even", n=b64url_int(modulus))


def leading_zero_jwk() -> dict[str, Any]:
    modulus = rsa_key(2048).public_key().public_numbers().n
    padded = b"\x00" + modulus.to_bytes(256, "big")
    return rsa_jwk(rsa_key(2048), kid="zero", n=b64url(padded))


def parse_error(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_public_key_input(text)
    return str(caught.value)


SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
PKCS1 = serialization.PublicFormat.PKCS1

# (input builder, key sizes in input order)
ACCEPTED: list[Any] = [
    pytest.param(lambda: key_2048(), (2048,), id="jwks-2048"),
    pytest.param(
        lambda: jwks(rsa_jwk(rsa_key(2048), kid="a"), rsa_jwk(rsa_key(4096), kid="b")),
        (2048, 4096),
        id="jwks-2048-and-4096",
    ),
    pytest.param(lambda: json.dumps(rsa_jwk(rsa_key(4096), kid="solo")), (4096,), id="single-jwk"),
    pytest.param(lambda: public_pem(rsa_key(2048)), (2048,), id="pem-spki"),
    pytest.param(lambda: public_pem(rsa_key(4096), PKCS1), (4096,), id="pem-pkcs1"),
    pytest.param(
        lambda: public_pem(rsa_key(2048)) + "\n" + public_pem(rsa_key(4096), PKCS1),
        (2048, 4096),
        id="pem-two-blocks",
    ),
    pytest.param(
        lambda: "\r\n  " + public_pem(rsa_key(2048)).replace("\n", "\r\n    ") + "\r\n",
        (2048,),
        id="pem-crlf-indented",
    ),
    pytest.param(lambda: key_2048(alg="RS512", use="sig"), (2048,), id="alg-rs512-use-sig"),
    pytest.param(lambda: key_2048(alg="RS384"), (2048,), id="alg-rs384"),
    pytest.param(lambda: key_2048(alg="RS256"), (2048,), id="alg-rs256"),
    pytest.param(lambda: "\ufeff" + key_2048(), (2048,), id="byte-order-mark"),
    pytest.param(lambda: jwks(leading_zero_jwk()), (2048,), id="n-leading-zero-octet"),
    pytest.param(lambda: padded_to(key_2048(), MAX_INPUT_BYTES), (2048,), id="exactly-64-kib"),
    pytest.param(
        lambda: jwks(rsa_jwk(rsa_key(2048, 0), kid="a"), rsa_jwk(rsa_key(2048, 1), kid="b")),
        (2048, 2048),
        id="two-keys-same-size",
    ),
]

# (input builder, words that the error message must contain)
REJECTED: list[Any] = [
    # Empty or too large.
    pytest.param(lambda: "", ("empty",), id="empty"),
    pytest.param(lambda: " \n\t ", ("empty",), id="whitespace-only"),
    pytest.param(
        lambda: padded_to(key_2048(), MAX_INPUT_BYTES + 1),
        ("65,537 bytes", "64 KiB"),
        id="over-64-kib",
    ),
    pytest.param(lambda: "é" * 40_000, ("80,000 bytes", "64 KiB"), id="over-64-kib-in-utf8"),
    # Not RSA.
    pytest.param(lambda: jwks(ec_jwk()), ('"EC"', '"RSA"', "2048"), id="ec-jwk"),
    pytest.param(lambda: jwks(okp_jwk()), ('"OKP"', '"RSA"'), id="okp-jwk"),
    pytest.param(
        lambda: jwks({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LWtleS1ieXRlcw"}),
        ("symmetric", "shared secret", "exposed", "replace"),
        id="oct-jwk",
    ),
    pytest.param(lambda: jwks({"kid": "what", "n": "AQAB"}), ('no "kty"', '"RSA"'), id="no-kty"),
    pytest.param(lambda: public_pem(ec_key()), ("EC key", "secp256r1", "RSA"), id="ec-pem"),
    pytest.param(lambda: public_pem(ed25519_key()), ("Ed25519", "RSA"), id="ed25519-pem"),
    # Too small.
    pytest.param(
        lambda: jwks(rsa_jwk(rsa_key(1024), kid="old")),
        ("1024-bit", "2048 bits is the minimum", "4096 bits is recommended"),
        id="rsa-1024-jwk",
    ),
    pytest.param(
        lambda: public_pem(rsa_key(1024)),
        ("PEM block 1", "1024-bit", "2048 bits is the minimum", "4096"),
        id="rsa-1024-pem",
    ),
    # Private keys, in every form.
    pytest.param(lambda: private_pem(rsa_key(2048)), PRIVATE_KEY_WORDS, id="pkcs8-private"),
    pytest.param(
        lambda: private_pem(rsa_key(2048), serialization.PrivateFormat.TraditionalOpenSSL),
        PRIVATE_KEY_WORDS,
        id="pkcs1-private",
    ),
    pytest.param(
        lambda: private_pem(ec_key(), serialization.PrivateFormat.TraditionalOpenSSL),
        PRIVATE_KEY_WORDS,
        id="ec-private",
    ),
    pytest.param(
        lambda: private_pem(
            rsa_key(2048),
            encryption=serialization.BestAvailableEncryption(b"correct horse"),
        ),
        PRIVATE_KEY_WORDS,
        id="encrypted-private",
    ),
    pytest.param(
        lambda: private_pem(rsa_key(2048), serialization.PrivateFormat.OpenSSH),
        PRIVATE_KEY_WORDS,
        id="openssh-private",
    ),
    pytest.param(
        lambda: public_pem(rsa_key(2048)) + private_pem(rsa_key(2048)),
        PRIVATE_KEY_WORDS,
        id="public-then-private-pem",
    ),
    pytest.param(
        lambda: padded_to(private_pem(rsa_key(2048)), MAX_INPUT_BYTES + 1),
        PRIVATE_KEY_WORDS,
        id="private-pem-over-64-kib",
    ),
    pytest.param(
        lambda: jwks(rsa_private_jwk(rsa_key(2048), kid="leak")),
        ('kid "leak"', '"d"', '"qi"', *PRIVATE_KEY_WORDS),
        id="rsa-private-jwk",
    ),
    *[
        pytest.param(
            functools.partial(lambda name: key_2048(**{name: "AQAB"}), member),
            (f'"{member}"', *PRIVATE_KEY_WORDS),
            id=f"private-member-{member}",
        )
        for member in ("d", "p", "q", "dp", "dq", "qi", "oth")
    ],
    pytest.param(lambda: jwks(ec_jwk(d="AQAB")), PRIVATE_KEY_WORDS, id="ec-private-jwk"),
    pytest.param(
        # The private key is reported even when an earlier key has another problem.
        lambda: jwks(ec_jwk(), rsa_private_jwk(rsa_key(2048), kid="leak")),
        ("Key 2 of 2", *PRIVATE_KEY_WORDS),
        id="private-after-bad-key",
    ),
    # kid missing or not unique.
    pytest.param(
        lambda: jwks(rsa_jwk(rsa_key(2048))), ('no "kid"', "RFC 7638"), id="jwks-without-kid"
    ),
    pytest.param(
        lambda: json.dumps(rsa_jwk(rsa_key(2048))), ('no "kid"',), id="single-jwk-without-kid"
    ),
    pytest.param(lambda: key_2048(kid=""), ('"kid"', "empty"), id="empty-kid"),
    pytest.param(lambda: key_2048(kid=7), ('"kid"', "non-string"), id="number-kid"),
    pytest.param(lambda: key_2048(kid="a\nb"), ("control character",), id="kid-control-char"),
    pytest.param(
        lambda: jwks(rsa_jwk(rsa_key(2048, 0), kid="same"), rsa_jwk(rsa_key(2048, 1), kid="same")),
        ('"same"', "more than one key"),
        id="duplicate-kid",
    ),
    pytest.param(
        lambda: public_pem(rsa_key(2048)) + public_pem(rsa_key(2048)),
        ("more than one key",),
        id="duplicate-pem",
    ),
    # Malformed JSON and document shapes.
    pytest.param(
        lambda: '{\n  "keys": [\n    {"kty": "RSA",, "kid": "x"}\n  ]\n}',
        ("not valid JSON", "line 3", "column 19"),
        id="malformed-json",
    ),
    pytest.param(lambda: '{"keys": [', ("not valid JSON", "line 1"), id="truncated-json"),
    pytest.param(
        lambda: '{"kty": "RSA", "kid": "a", "kid": "b"}', ('"kid" twice',), id="duplicate-member"
    ),
    pytest.param(lambda: '{"keys": [], "x": NaN}', ("NaN",), id="json-nan"),
    pytest.param(lambda: "[" * 100_000, ("64 KiB",), id="deep-array-over-limit"),
    pytest.param(lambda: "[" * 60_000, ("nested too deeply",), id="deep-array"),
    pytest.param(lambda: json.dumps([rsa_jwk(rsa_key(2048))]), ("JSON array",), id="json-array"),
    pytest.param(lambda: '{"kid": "x"}', ('"keys"', '"kty"'), id="neither-jwks-nor-jwk"),
    pytest.param(lambda: '{"keys": {"kty": "RSA"}}', ("not an array",), id="keys-not-array"),
    pytest.param(lambda: '{"keys": []}', ("empty",), id="keys-empty"),
    pytest.param(lambda: '{"keys": ["RSA"]}', ("not a JWK object",), id="key-not-object"),
    # Malformed PEM.
    pytest.param(damaged_pem, ("malformed",), id="pem-damaged-base64"),
    pytest.param(
        lambda: public_pem(rsa_key(2048)).split("-----END")[0], ("END",), id="pem-without-end"
    ),
    pytest.param(
        lambda: "Here is our key:\n" + public_pem(rsa_key(2048)), ("outside",), id="pem-with-text"
    ),
    pytest.param(
        lambda: public_pem(rsa_key(2048)).replace("END PUBLIC KEY", "END RSA PUBLIC KEY"),
        ("ends with",),
        id="pem-mismatched-labels",
    ),
    pytest.param(
        self_signed_certificate_pem,
        ("certificate", "openssl x509 -pubkey"),
        id="pem-certificate",
    ),
    pytest.param(
        lambda: (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF\n-----END PGP PUBLIC KEY BLOCK-----"
        ),
        ('"PGP PUBLIC KEY BLOCK"', "not a public key"),
        id="pem-other-label",
    ),
    pytest.param(lambda: "hello", ("neither JSON nor PEM",), id="plain-text"),
    pytest.param(
        lambda: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ admin@desk",
        ("OpenSSH", "ssh-keygen"),
        id="openssh-public",
    ),
    # Bad n and e.
    pytest.param(
        lambda: key_2048(n=rsa_jwk(rsa_key(2048))["n"].replace("-", "+").replace("_", "/") + "+"),
        ('"n"', "base64url"),
        id="n-standard-base64",
    ),
    pytest.param(lambda: key_2048(e="AQAB="), ('"e"', "base64url", "padding"), id="e-padded"),
    pytest.param(lambda: key_2048(e="AQABA"), ('"e"', "base64url"), id="e-bad-length"),
    pytest.param(lambda: key_2048(e=65537), ('"e"', "base64url"), id="e-number"),
    pytest.param(lambda: key_2048(n=None), ('no "n"',), id="n-missing"),
    pytest.param(lambda: key_2048(e="AQ"), ("public exponent 1,", "65537"), id="exponent-1"),
    pytest.param(lambda: key_2048(e="Aw"), ("public exponent 3,", "65537"), id="exponent-3"),
    pytest.param(lambda: key_2048(e="AQAA"), ("public exponent 65536,", "odd"), id="even-exponent"),
    pytest.param(lambda: jwks(even_modulus_jwk()), ("even modulus",), id="even-modulus"),
    # alg and use.
    pytest.param(lambda: key_2048(alg="HS256"), ('"HS256"', "RS512"), id="alg-hs256"),
    pytest.param(lambda: key_2048(alg="PS512"), ('"PS512"', "RS512"), id="alg-ps512"),
    pytest.param(lambda: key_2048(alg="none"), ('"none"',), id="alg-none"),
    pytest.param(lambda: key_2048(use="enc"), ('"enc"', '"sig"'), id="use-enc"),
]


@pytest.mark.parametrize(("build", "sizes"), ACCEPTED)
def test_accepted_key_sizes(build: Callable[[], str], sizes: tuple[int, ...]) -> None:
    key_set = parse_public_key_input(build())

    assert tuple(key.size_bits for key in key_set.keys) == sizes


@pytest.mark.parametrize(("build", "words"), REJECTED)
def test_rejected_message(build: Callable[[], str], words: tuple[str, ...]) -> None:
    message = parse_error(build())

    for word in words:
        assert word.lower() in message.lower(), message


def test_rfc7638_example_thumbprint() -> None:
    key = parse_public_key_input(json.dumps(RFC7638_JWK)).keys[0]

    assert key.thumbprint == RFC7638_THUMBPRINT


def test_rfc7638_example_keeps_kid() -> None:
    key = parse_public_key_input(json.dumps(RFC7638_JWK)).keys[0]

    assert key.kid == "2011-04-29"


def test_pem_kid_is_thumbprint() -> None:
    numbers = rsa_key(2048).public_key().public_numbers()
    members = f'{{"e":"{b64url_int(numbers.e)}","kty":"RSA","n":"{b64url_int(numbers.n)}"}}'
    expected = b64url(hashlib.sha256(members.encode("ascii")).digest())

    key = parse_public_key_input(public_pem(rsa_key(2048))).keys[0]

    assert key.kid == expected


def test_pem_jwk_members() -> None:
    key = parse_public_key_input(public_pem(rsa_key(2048))).keys[0]
    numbers = rsa_key(2048).public_key().public_numbers()

    assert key.jwk() == {
        "kty": "RSA",
        "kid": key.thumbprint,
        "use": "sig",
        "alg": "RS512",
        "n": b64url_int(numbers.n),
        "e": "AQAB",
    }


def test_pkcs1_matches_spki() -> None:
    from_spki = parse_public_key_input(public_pem(rsa_key(4096), SPKI))
    from_pkcs1 = parse_public_key_input(public_pem(rsa_key(4096), PKCS1))

    assert from_pkcs1.keys == from_spki.keys


def test_fingerprint_is_sha256_of_der() -> None:
    der = rsa_key(2048).public_key().public_bytes(serialization.Encoding.DER, SPKI)
    expected = ":".join(f"{octet:02X}" for octet in hashlib.sha256(der).digest())

    key = parse_public_key_input(key_2048()).keys[0]

    assert key.fingerprint == expected


def test_fingerprint_format() -> None:
    key = parse_public_key_input(key_2048()).keys[0]

    assert FINGERPRINT.fullmatch(key.fingerprint)


@pytest.mark.parametrize(
    ("build", "form"),
    [
        pytest.param(lambda: key_2048(), InputForm.JWKS, id="jwks"),
        pytest.param(lambda: json.dumps(rsa_jwk(rsa_key(2048), kid="a")), InputForm.JWK, id="jwk"),
        pytest.param(lambda: public_pem(rsa_key(2048)), InputForm.PEM, id="pem"),
    ],
)
def test_input_form(build: Callable[[], str], form: InputForm) -> None:
    assert parse_public_key_input(build()).form is form


def test_jwk_without_alg_stays_without() -> None:
    key = parse_public_key_input(key_2048()).keys[0]

    assert key.alg is None
    assert "alg" not in key.jwk()


def test_jwk_keeps_given_alg() -> None:
    key = parse_public_key_input(key_2048(alg="RS256")).keys[0]

    assert key.jwk()["alg"] == "RS256"


def test_leading_zero_octet_dropped() -> None:
    key = parse_public_key_input(jwks(leading_zero_jwk())).keys[0]

    assert key.n == rsa_jwk(rsa_key(2048))["n"]


def test_jwks_json_round_trip() -> None:
    pasted = public_pem(rsa_key(2048)) + public_pem(rsa_key(4096))
    key_set = parse_public_key_input(pasted)

    stored = parse_public_key_input(key_set.jwks_json())

    assert stored.keys == key_set.keys


def test_jwks_json_canonical() -> None:
    text = parse_public_key_input(key_2048(use="sig", alg="RS512")).jwks_json()

    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True)


def test_jwks_json_same_for_reordered_input() -> None:
    jwk = rsa_jwk(rsa_key(2048), kid="main", alg="RS512")
    reordered = dict(reversed(list(jwk.items())))

    first = parse_public_key_input(jwks(jwk)).jwks_json()
    second = parse_public_key_input(jwks(reordered)).jwks_json()

    assert first == second


def test_jwks_json_drops_other_members() -> None:
    text = key_2048(x5t="dGh1bWI", key_ops=["verify"])

    stored = json.loads(parse_public_key_input(text).jwks_json())

    assert sorted(stored["keys"][0]) == ["e", "kid", "kty", "n"]


def test_key_set_is_frozen() -> None:
    key_set = parse_public_key_input(key_2048())

    with pytest.raises(AttributeError):
        key_set.keys = ()  # type: ignore[misc]


def test_key_set_type() -> None:
    assert isinstance(parse_public_key_input(key_2048()), PublicKeySet)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: private_pem(rsa_key(2048)), id="pem"),
        pytest.param(lambda: jwks(rsa_private_jwk(rsa_key(2048), kid="leak")), id="jwk"),
        pytest.param(lambda: jwks({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}), id="oct"),
    ],
)
def test_private_key_error_type(build: Callable[[], str]) -> None:
    with pytest.raises(PrivateKeyExposed):
        parse_public_key_input(build())


def test_public_key_error_type() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_public_key_input(jwks(rsa_jwk(rsa_key(1024), kid="old")))

    assert not isinstance(caught.value, PrivateKeyExposed)


def test_private_pem_not_in_message() -> None:
    pem = private_pem(rsa_key(2048))
    body_line = pem.splitlines()[1]

    assert body_line not in parse_error(pem)


def test_private_jwk_not_in_message() -> None:
    jwk = rsa_private_jwk(rsa_key(2048), kid="leak")

    assert jwk["d"] not in parse_error(jwks(jwk))


def test_missing_kid_suggests_thumbprint() -> None:
    expected = parse_public_key_input(public_pem(rsa_key(2048))).keys[0].thumbprint

    assert expected in parse_error(jwks(rsa_jwk(rsa_key(2048))))


def test_parse_logs_kid_not_key(caplog: pytest.LogCaptureFixture) -> None:
    jwk = rsa_jwk(rsa_key(2048), kid="logged-kid")
    caplog.set_level(logging.DEBUG, logger="desktop.security.public_keys")

    parse_public_key_input(jwks(jwk))

    assert "logged-kid" in caplog.text
    assert jwk["n"][:40] not in caplog.text


def test_cache_note_names_hour_and_kid() -> None:
    assert "hour" in JWKS_CACHE_NOTE
    assert "kid" in JWKS_CACHE_NOTE
