"""TOTP codes: RFC test vectors, typed-code normalisation, and oathtool agreement."""

import base64
import random
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop.domain.errors import CodeRejected
from desktop.security import totp
from desktop.services.bundle import Services
from desktop.services.session import SignedInSession
from desktop.services.stepup import failure_delay
from desktop.storage.seed import DEMO_USERS
from tests.clocks import ManualClock
from tests.tools import require_tool

# The shared secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")

RFC_4226_CODES = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]

RFC_6238_SHA1_CODES = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


# RFC 6238 Appendix B seeds for SHA-256 (32 bytes) and SHA-512 (64 bytes).
RFC_SECRET_SHA256 = base64.b32encode(b"12345678901234567890123456789012").decode("ascii")
RFC_SECRET_SHA512 = base64.b32encode(b"1234567890" * 6 + b"1234").decode("ascii")

RFC_6238_SHA2_CODES = [
    (59, "46119246", "90693936"),
    (1111111109, "68084774", "25091201"),
    (1111111111, "67062674", "99943326"),
    (1234567890, "91819424", "93441116"),
    (2000000000, "90698825", "38618901"),
    (20000000000, "77737706", "47863826"),
]


@pytest.mark.parametrize(("unix_time", "sha256", "sha512"), RFC_6238_SHA2_CODES)
def test_totp_rfc6238_sha2_vectors(unix_time: int, sha256: str, sha512: str) -> None:
    counter = unix_time // totp.PERIOD_SECONDS

    assert totp.hotp_code(RFC_SECRET_SHA256, counter, digits=8, digest="sha256") == sha256
    assert totp.hotp_code(RFC_SECRET_SHA512, counter, digits=8, digest="sha512") == sha512


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC_4226_CODES)))
def test_hotp_rfc4226_vectors(counter: int, expected: str) -> None:
    assert totp.hotp_code(RFC_SECRET, counter) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC_6238_SHA1_CODES)
def test_totp_rfc6238_sha1_vectors(unix_time: int, expected: str) -> None:
    counter = unix_time // totp.PERIOD_SECONDS

    assert totp.hotp_code(RFC_SECRET, counter, digits=8) == expected


def test_code_at_step_keeps_leading_zero() -> None:
    # RFC 6238 gives 07081804 at 1111111109, so the six-digit code starts with 0.
    code = totp.code_at_step(RFC_SECRET, 1111111109 // totp.PERIOD_SECONDS)

    assert code == "081804"


def test_new_secret_is_unpadded_base32() -> None:
    secret = totp.new_secret()

    padding = "=" * (-len(secret) % 8)
    assert len(base64.b32decode(secret + padding)) == totp.SECRET_BYTES
    assert secret == secret.upper()
    assert "=" not in secret


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        ("123-456", "123456"),
        (" 123456\n", "123456"),
        ("\t123 - 456 ", "123456"),
        ("012345", "012345"),
    ],
)
def test_normalise_code_accepts(typed: str, expected: str) -> None:
    assert totp.normalise_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["12a456", "abcdef", "12345", "1234567", "123 45", "١٢٣٤٥٦", "12345O"],
)
def test_normalise_code_rejects_naming_value(typed: str) -> None:
    with pytest.raises(ValueError, match="code") as raised:
        totp.normalise_code(typed)

    assert typed.strip() in str(raised.value)


@pytest.mark.parametrize("typed", ["", "   ", " - "])
def test_normalise_code_rejects_empty(typed: str) -> None:
    with pytest.raises(ValueError, match="6-digit code"):
        totp.normalise_code(typed)


def test_matching_steps_finds_each_step() -> None:
    steps = range(100, 110)
    code = totp.code_at_step(RFC_SECRET, 104)

    assert 104 in totp.matching_steps(RFC_SECRET, code, steps)
    assert totp.matching_steps(RFC_SECRET, code, range(105, 110)) == []


def _oathtool_codes(secret: str, unix_time: int, window: int = 0) -> list[str]:
    oathtool = require_tool("oathtool")
    result = subprocess.run(
        [oathtool, "--totp", "--base32", f"--now=@{unix_time}", f"--window={window}", secret],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return result.stdout.split()


def test_oathtool_agrees_with_code_at_step() -> None:
    unix_time = 1_765_000_000
    step = unix_time // totp.PERIOD_SECONDS
    secret = totp.new_secret()

    expected = [totp.code_at_step(secret, step + offset) for offset in range(5)]

    assert _oathtool_codes(secret, unix_time, window=4) == expected


def _enrol_with_oathtool(services: Services, clock: ManualClock) -> tuple[SignedInSession, str]:
    owner = next(user for user in DEMO_USERS if user.username == "olivia")
    session = services.auth.sign_in(owner.username, owner.password)
    offer = services.stepup.enrolment_offer(session)
    secret = parse_qs(urlsplit(offer.uri).query)["secret"][0]
    for _ in range(2):
        [code] = _oathtool_codes(secret, int(clock.now().timestamp()))
        services.stepup.verify(session, code)
        clock.advance(totp.PERIOD_SECONDS)
    return session, secret


def test_oathtool_codes_activate_enrolment(services: Services, clock: ManualClock) -> None:
    session, _ = _enrol_with_oathtool(services, clock)

    assert session.unlock.is_open()
    assert services.stepup.status(session).enrolled


def test_oathtool_codes_at_random_instants(services: Services, clock: ManualClock) -> None:
    """Twenty seeded instants, ascending: each oathtool code is accepted exactly when the
    rules allow: a step above the last accepted one, with no failure delay running."""
    session, secret = _enrol_with_oathtool(services, clock)
    session.lock()

    last_accepted = totp.time_step(clock.now()) - 1
    failures = 0
    last_failure: float | None = None
    generator = random.Random(20261204)
    outcomes: list[bool] = []
    for _ in range(20):
        clock.advance(generator.choice([0, 5, 12, 29, 31, 45, 70]))
        now = clock.now()
        step = totp.time_step(now)
        [code] = _oathtool_codes(secret, int(now.timestamp()))

        waiting = last_failure is not None and (
            now.timestamp() < last_failure + failure_delay(failures).total_seconds()
        )
        should_accept = step > last_accepted and not waiting

        try:
            services.stepup.verify(session, code)
            accepted = True
        except CodeRejected:
            accepted = False
        assert accepted == should_accept, f"at {now:%H:%M:%S} (step {step})"
        outcomes.append(accepted)

        if accepted:
            last_accepted, failures, last_failure = step, 0, None
        elif not waiting:
            failures += 1
            last_failure = now.timestamp()
        session.lock()

    # The seed gives both kinds, so the test checks acceptance and rejection.
    assert outcomes.count(True) >= 5
    assert outcomes.count(False) >= 3


def test_require_tool_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="stepdesk-no-such-tool"):
        require_tool("stepdesk-no-such-tool")


def test_require_tool_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="stepdesk-no-such-tool"):
        require_tool("stepdesk-no-such-tool")
