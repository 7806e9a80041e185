"""Two desks in two processes on one database file: lockout and replay hold across them."""

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from desktop.security import totp
from desktop.services.bundle import Services
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock


def second_desk(store: SqlStore, at: int, *codes: str) -> list[dict[str, str]]:
    database = store.target.path
    assert database is not None
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.desk_probe",
            str(database),
            str(database.with_name("demo.key")),
            str(at),
            *codes,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def enrolled_secret(services: Services, clock: ManualClock) -> str:
    session = services.auth.sign_in("olivia", "demo-owner-2026")
    offer = services.stepup.enrolment_offer(session)
    secret = parse_qs(urlsplit(offer.uri).query)["secret"][0]
    for _ in range(2):
        services.stepup.verify(session, totp.code_at_step(secret, totp.time_step(clock.now())))
        clock.advance(totp.PERIOD_SECONDS)
    return secret


def wrong_codes(secret: str, around: int, count: int) -> list[str]:
    nearby = {totp.code_at_step(secret, step) for step in range(around - 40, around + 40)}
    return [code for code in (f"{n:06d}" for n in range(200)) if code not in nearby][:count]


def test_lockout_holds_in_other_process_and_restart(
    services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    secret = enrolled_secret(services, clock)
    start = int(clock.now().timestamp()) + 60
    limit = demo_store.load_policy().failure_limit
    wrong = wrong_codes(secret, start // 30, limit)

    outcomes = second_desk(demo_store, start, *wrong)
    assert [o["outcome"] for o in outcomes] == ["rejected"] * (limit - 1) + ["locked"]

    # A fresh process, as after a restart, with a correct code: still locked.
    after = start + 31 * limit
    valid = totp.code_at_step(secret, after // 30)
    [restarted] = second_desk(demo_store, after, valid)
    assert restarted["outcome"] == "locked"
    assert "Try again in" in restarted["message"]

    # This process finds the same lock in the database.
    state = demo_store.enrolment_state(1)
    assert state is not None
    assert state.locked_until is not None

    later = after + 16 * 60
    [unlocked] = second_desk(demo_store, later, totp.code_at_step(secret, later // 30))
    assert unlocked["outcome"] == "accepted"


def test_code_accepted_once_across_processes(
    services: Services, demo_store: SqlStore, clock: ManualClock
) -> None:
    secret = enrolled_secret(services, clock)
    at = int(clock.now().timestamp()) + 60
    code = totp.code_at_step(secret, at // 30)
    [first] = second_desk(demo_store, at, code)
    [second] = second_desk(demo_store, at + 1, code)
    assert first["outcome"] == "accepted"
    assert second["outcome"] == "rejected"
    assert "perhaps by someone else" in second["message"]
