"""Parsing and checking of the public keys that verify an application's signed JWTs.

An application signs the JWTs it sends with RS512, and the portal verifies them with
the public keys stored for it. An administrator may paste a JWKS document (RFC 7517
section 5), a single JWK, or one or more PEM public keys. Every key must be an RSA
public key of at least 2048 bits with a unique "kid". A PEM key is converted to a JWK
whose kid is its RFC 7638 thumbprint.

A private key is rejected with the instruction to generate a new key pair, because a
private key pasted into a desktop form may already be in a clipboard history, a draft
or a screenshot.
"""

import base64
import enum
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

from desktop.domain.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_INPUT_BYTES = 64 * 1024
"""Maximum size of pasted or fetched key text, counted in UTF-8 bytes."""

MIN_RSA_BITS = 2048
RECOMMENDED_RSA_BITS = 4096
DEFAULT_ALGORITHM = "RS512"
ACCEPTED_ALGORITHMS = ("RS512", "RS384", "RS256")
"""Accepted values of a JWK's "alg" member. A JWK without "alg" is accepted too."""

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")
"""JWK members that carry private RSA key material (RFC 7518 section 6.3.2)."""

JWKS_CACHE_NOTE = (
    "The portal's token service caches JWKS documents for up to an hour. When you rotate "
    "a key, keep the old key and its kid published for at least an hour after the new "
    "key is added, so tokens signed with either key verify."
)

# FIPS 186-4 appendix B.3.1 requires an odd public exponent with 2**16 < e < 2**256.
_MIN_EXPONENT = 2**16 + 1
_EXPONENT_LIMIT = 2**256

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", re.DOTALL)
_PUBLIC_KEY_LABELS = ("PUBLIC KEY", "RSA PUBLIC KEY")
_KID_MAX_LENGTH = 256

_PASTE_HINT = "Paste a JWKS document, a single JWK, or one or more PEM public keys."


class PrivateKeyExposed(InvalidInput):
    """The input contains a private or secret key, which must now be replaced."""


class InputForm(enum.Enum):
    """The form in which the keys were given."""

    JWKS = "JWKS document"
    JWK = "single JWK"
    PEM = "PEM"


@dataclass(frozen=True)
class PublicKeyInfo:
    """One accepted RSA public key, with the values shown to the administrator."""

    kid: str
    size_bits: int
    fingerprint: str
    """SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated upper-case hex pairs."""
    thumbprint: str
    """RFC 7638 JWK thumbprint: SHA-256 in base64url without padding."""
    alg: str | None
    """The JWK's "alg" member, or None when the JWK has none."""
    use: str | None
    """The JWK's "use" member ("sig"), or None when the JWK has none."""
    n: str
    """Modulus in base64url without padding or leading zero octets."""
    e: str
    """Public exponent in base64url without padding or leading zero octets."""

    def jwk(self) -> dict[str, str]:
        """Build the JWK to store, with only the members that were checked."""
        members = {"kty": "RSA", "kid": self.kid, "n": self.n, "e": self.e}
        if self.alg is not None:
            members["alg"] = self.alg
        if self.use is not None:
            members["use"] = self.use
        return members


@dataclass(frozen=True)
class PublicKeySet:
    """The keys parsed from one input, in input order."""

    keys: tuple[PublicKeyInfo, ...]
    form: InputForm

    def jwks_json(self) -> str:
        """Render the keys as a JWKS document with sorted members and two-space indents.

        The same keys always give the same text, so a stored document only changes
        when a key changes. Members other than kty, kid, alg, use, n and e are not kept.
        """
        document = {"keys": [key.jwk() for key in self.keys]}
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True)


def parse_public_key_input(text: str) -> PublicKeySet:
    """Parse a JWKS document, a single JWK or PEM public keys into checked RSA keys.

    Raises InvalidInput with a message that names the problem and what to do. When the
    input contains a private or secret key, the error is its subclass PrivateKeyExposed.
    """
    # A private key is reported first, even in oversized input, because it is exposed.
    if "PRIVATE KEY-----" in text:
        _reject_private_key("The pasted text contains a PEM private key")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_INPUT_BYTES:
        raise InvalidInput(
            f"The public key input is {size:,} bytes, over the 64 KiB "
            f"({MAX_INPUT_BYTES:,} bytes) limit. Paste only the public keys."
        )
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InvalidInput(f"The public key is empty. {_PASTE_HINT}")

    if stripped.startswith(("{", "[")):
        key_set = _parse_json(stripped)
    elif "-----BEGIN" in stripped:
        key_set = PublicKeySet(_parse_pem(stripped), InputForm.PEM)
    elif stripped.startswith(("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-")):
        raise InvalidInput(
            "This is an OpenSSH public key. Convert an RSA key to PEM with "
            "'ssh-keygen -e -m PKCS8 -f key.pub' and paste the result."
        )
    else:
        raise InvalidInput(f"The public key is neither JSON nor PEM. {_PASTE_HINT}")

    _check_unique_kids(key_set.keys)
    log.debug(
        "Parsed %d public keys from a %s: %s",
        len(key_set.keys),
        key_set.form.value,
        ", ".join(f"{key.kid} ({key.fingerprint})" for key in key_set.keys),
    )
    return key_set


def _reject_private_key(problem: str) -> NoReturn:
    raise PrivateKeyExposed(
        f"{problem}. Paste only the public key. The private key was exposed by being "
        "pasted here, so rotate it: generate a new key pair, give the new private key "
        "to the application, and paste the new public key."
    )


# JSON: a JWKS document or a single JWK.


def _parse_json(text: str) -> PublicKeySet:
    document = _load_json(text)
    if not isinstance(document, dict):
        raise InvalidInput(
            f"The public key is a JSON {_json_type(document)}, not an object. {_PASTE_HINT}"
        )

    if "keys" in document:
        members = document["keys"]
        if not isinstance(members, list):
            raise InvalidInput(
                f'The "keys" member of the JWKS document is a JSON {_json_type(members)}, '
                "not an array of JWKs."
            )
        if not members:
            raise InvalidInput(
                'The JWKS document has an empty "keys" array: add at least one RSA public key.'
            )
        form = InputForm.JWKS
    elif "kty" in document:
        members = [document]
        form = InputForm.JWK
    else:
        raise InvalidInput(
            'The JSON object has neither a "keys" array (a JWKS document) nor a "kty" '
            f"member (a JWK). {_PASTE_HINT}"
        )

    labels = [_jwk_label(member, index, len(members)) for index, member in enumerate(members)]
    jwks: list[dict[str, Any]] = []
    for member, label in zip(members, labels, strict=True):
        if not isinstance(member, dict):
            raise InvalidInput(f"{label} is a JSON {_json_type(member)}, not a JWK object.")
        jwks.append(member)
    # Report an exposed private key before any other problem, so it is never missed.
    for jwk, label in zip(jwks, labels, strict=True):
        _reject_secret_members(jwk, label)

    keys = tuple(_key_from_jwk(jwk, label) for jwk, label in zip(jwks, labels, strict=True))
    return PublicKeySet(keys, form)


def _load_json(text: str) -> object:
    try:
        return json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"The public key is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}. Fix the JSON, or paste the document again in full."
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"The public key JSON is nested too deeply to be a JWKS document. {_PASTE_HINT}"
        ) from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers differ on which of two equal member names wins, so the stored document
    # could mean something else to the portal than to StepDesk.
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise InvalidInput(f'A JSON object has the member "{name}" twice: keep only one.')
        members[name] = value
    return members


def _reject_constant(name: str) -> NoReturn:
    raise InvalidInput(f"The public key JSON contains {name}, which is not valid JSON.")


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _jwk_label(member: object, index: int, count: int) -> str:
    label = "The JWK" if count == 1 else f"Key {index + 1} of {count}"
    if isinstance(member, dict):
        kid = member.get("kid")
        if isinstance(kid, str) and kid.isprintable() and kid.strip():
            label += f' (kid "{kid[:_KID_MAX_LENGTH]}")'
    return label


def _reject_secret_members(jwk: dict[str, Any], label: str) -> None:
    found = [name for name in PRIVATE_MEMBERS if name in jwk]
    if found:
        names = ", ".join(f'"{name}"' for name in found)
        members = "member" if len(found) == 1 else "members"
        _reject_private_key(f"{label} is a private key: it has the private {members} {names}")
    if jwk.get("kty") == "oct" and "k" in jwk:
        raise PrivateKeyExposed(
            f'{label} is a symmetric ("oct") key, which is a shared secret and not an RSA '
            "public key. The secret was exposed by being pasted here, so replace it wherever "
            "it is used, and paste an RSA public key instead."
        )


def _key_from_jwk(jwk: dict[str, Any], label: str) -> PublicKeyInfo:
    kty = jwk.get("kty")
    if kty is None:
        raise InvalidInput(f'{label} has no "kty" member. An RSA public key has "kty": "RSA".')
    if kty != "RSA":
        raise InvalidInput(
            f'{label} has the key type "kty": {json.dumps(kty)}, not "RSA". The portal verifies '
            f"RS512 signatures, so paste an RSA public key of at least {MIN_RSA_BITS} bits."
        )

    alg = jwk.get("alg")
    if alg is not None and alg not in ACCEPTED_ALGORITHMS:
        raise InvalidInput(
            f'{label} has "alg": {json.dumps(alg)}, but only RS512, RS384 and RS256 are '
            f'accepted. Set "alg" to "{DEFAULT_ALGORITHM}", or remove it.'
        )
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise InvalidInput(
            f'{label} has "use": {json.dumps(use)}, but this key verifies signatures. '
            'Set "use" to "sig", or remove it.'
        )

    modulus = _decode_integer(jwk.get("n"), "n", label)
    exponent = _decode_integer(jwk.get("e"), "e", label)
    public_key = _rsa_public_key(modulus, exponent, label)

    kid = jwk.get("kid")
    if kid is None:
        raise InvalidInput(
            f'{label} has no "kid". Add the kid that the application puts in its JWT '
            f'header, for example its RFC 7638 thumbprint "{_thumbprint(public_key)}".'
        )
    _check_kid(kid, label)
    return _key_info(public_key, kid, alg, use)


def _decode_integer(value: object, member: str, label: str) -> int:
    """Decode a JWK member that contains an unsigned integer in base64url (RFC 7518 section 2)."""
    if value is None:
        raise InvalidInput(f'{label} has no "{member}" member, so it is not a complete RSA key.')
    # A length of 1 modulo 4 cannot come from encoding whole octets.
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise InvalidInput(
            f'The "{member}" member of {label[0].lower()}{label[1:]} is not valid base64url. '
            'Use only A-Z, a-z, 0-9, "-" and "_", without "=" padding.'
        )
    octets = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return int.from_bytes(octets, "big")


def _check_kid(kid: object, label: str) -> None:
    if not isinstance(kid, str) or not kid.strip():
        raise InvalidInput(f'{label} has an empty or non-string "kid": set it to a text value.')
    if len(kid) > _KID_MAX_LENGTH:
        raise InvalidInput(
            f'{label} has a "kid" of {len(kid)} characters: use at most {_KID_MAX_LENGTH}.'
        )
    if not kid.isprintable():
        raise InvalidInput(f'{label} has a "kid" with a control character: {kid!r}. Remove it.')


def _check_unique_kids(keys: tuple[PublicKeyInfo, ...]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key.kid in seen:
            raise InvalidInput(
                f'The kid "{key.kid}" is used by more than one key. Give each key its own '
                "kid, or remove the duplicate key."
            )
        seen.add(key.kid)


# PEM: one or more public key blocks.


def _parse_pem(text: str) -> tuple[PublicKeyInfo, ...]:
    keys: list[PublicKeyInfo] = []
    position = 0
    for number, match in enumerate(_PEM_BLOCK.finditer(text), start=1):
        _check_outside_blocks(text[position : match.start()])
        position = match.end()
        label, body, end_label = match.group(1), match.group(2), match.group(3)
        if label != end_label:
            raise InvalidInput(
                f'PEM block {number} begins with "{label}" but ends with "{end_label}". '
                "Paste the block again in full."
            )
        keys.append(_key_from_pem_block(number, label, body))
    _check_outside_blocks(text[position:])
    if not keys:
        raise InvalidInput(
            "The PEM text has no complete block. Paste the key from its -----BEGIN line "
            "to its -----END line."
        )
    return tuple(keys)


def _check_outside_blocks(text: str) -> None:
    if "-----BEGIN" in text or "-----END" in text:
        raise InvalidInput(
            "The PEM text has a BEGIN line without a matching END line, or the reverse. "
            "Paste each key from its -----BEGIN line to its -----END line."
        )
    if text.strip():
        raise InvalidInput(
            "The PEM text has other text between or around the keys: remove everything "
            "outside the -----BEGIN and -----END lines."
        )


def _key_from_pem_block(number: int, label: str, body: str) -> PublicKeyInfo:
    if label == "CERTIFICATE":
        raise InvalidInput(
            f"PEM block {number} is a certificate, not a public key. Extract its public key "
            "with 'openssl x509 -pubkey -noout -in certificate.pem' and paste that."
        )
    if label not in _PUBLIC_KEY_LABELS:
        raise InvalidInput(
            f'PEM block {number} is a "{label}", not a public key. Paste a "PUBLIC KEY" '
            'or "RSA PUBLIC KEY" block.'
        )

    lines = "\n".join(line.strip() for line in body.strip().splitlines())
    pem = f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"
    try:
        public_key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput(
            f'PEM block {number} ("{label}") is malformed: its base64 text or the key '
            "inside it is damaged. Copy the key again from its source."
        ) from None
    except UnsupportedAlgorithm:
        raise InvalidInput(
            f"PEM block {number} contains a key type that is not supported. "
            f"Paste an RSA public key of at least {MIN_RSA_BITS} bits."
        ) from None

    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidInput(
            f"PEM block {number} is {_key_type(public_key)}, not an RSA key. The portal "
            f"verifies RS512 signatures, so paste an RSA public key of at least "
            f"{MIN_RSA_BITS} bits."
        )
    numbers = public_key.public_numbers()
    checked = _rsa_public_key(numbers.n, numbers.e, f"PEM block {number}")
    return _key_info(checked, _thumbprint(checked), DEFAULT_ALGORITHM, "sig")


def _key_type(public_key: object) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"an EC key on the {public_key.curve.name} curve"
    names: list[tuple[type, str]] = [
        (ed25519.Ed25519PublicKey, "an Ed25519 key"),
        (ed448.Ed448PublicKey, "an Ed448 key"),
        (x25519.X25519PublicKey, "an X25519 key"),
        (x448.X448PublicKey, "an X448 key"),
        (dsa.DSAPublicKey, "a DSA key"),
    ]
    for key_type, name in names:
        if isinstance(public_key, key_type):
            return name
    return f"a {type(public_key).__name__}"


# Checks and values shared by both forms.


def _rsa_public_key(modulus: int, exponent: int, label: str) -> rsa.RSAPublicKey:
    size = modulus.bit_length()
    if size < MIN_RSA_BITS:
        raise InvalidInput(
            f"{label} is a {size}-bit RSA key: {MIN_RSA_BITS} bits is the minimum and "
            f"{RECOMMENDED_RSA_BITS} bits is recommended. Generate a new key pair of "
            f"{RECOMMENDED_RSA_BITS} bits."
        )
    if exponent % 2 == 0 or not _MIN_EXPONENT <= exponent < _EXPONENT_LIMIT:
        exponent_text = exponent if exponent < 2**64 else f"a {exponent.bit_length()}-bit number"
        raise InvalidInput(
            f"{label} has the public exponent {exponent_text}, but it must be an odd number of at "
            "least 65537 and below 2^256. Generate a new key pair with the usual exponent "
            "65537."
        )
    if modulus % 2 == 0:
        raise InvalidInput(
            f'{label} has an even modulus "n", so it is not a valid RSA key. Copy the key '
            "again from its source."
        )
    try:
        return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError as error:
        raise InvalidInput(f"{label} is not a valid RSA public key: {error}.") from None


def _key_info(
    public_key: rsa.RSAPublicKey, kid: str, alg: str | None, use: str | None
) -> PublicKeyInfo:
    numbers = public_key.public_numbers()
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).hexdigest().upper()
    return PublicKeyInfo(
        kid=kid,
        size_bits=public_key.key_size,
        fingerprint=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        thumbprint=_thumbprint(public_key),
        alg=alg,
        use=use,
        n=_base64url_integer(numbers.n),
        e=_base64url_integer(numbers.e),
    )


def _thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """Compute the RFC 7638 thumbprint over the required members in lexicographic order."""
    numbers = public_key.public_numbers()
    required = {
        "e": _base64url_integer(numbers.e),
        "kty": "RSA",
        "n": _base64url_integer(numbers.n),
    }
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return _base64url(hashlib.sha256(canonical.encode("ascii")).digest())


def _base64url_integer(value: int) -> str:
    return _base64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _base64url(octets: bytes) -> str:
    return base64.urlsafe_b64encode(octets).rstrip(b"=").decode("ascii")
