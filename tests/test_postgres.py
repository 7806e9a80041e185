"""The shared mode on a real PostgreSQL server: two desks on one database."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop.domain.entities import Environment
from desktop.domain.errors import CodeRejected, ConflictError, StorageError, VerificationLocked
from desktop.domain.text import fold
from desktop.security import totp
from desktop.services.browse import cursor_after
from desktop.services.bundle import Services
from desktop.services.ports import ApplicationSort
from desktop.services.session import SignedInSession
from desktop.storage.bootstrap import open_store
from desktop.storage.seed import seed_demo
from desktop.storage.store import SqlStore
from tests.clocks import ManualClock

OWNER = ("olivia", "demo-owner-2026")


@pytest.fixture
def desks(
    postgres_url: str, tmp_path: Path, clock: ManualClock
) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one PostgreSQL database with one shared key file, seeded once."""
    key_file = tmp_path / "shared.key"
    first = open_store(postgres_url, demo=False, key_file=key_file, clock=clock)
    seed_demo(first, clock.now())
    second = open_store(postgres_url, demo=False, key_file=key_file, clock=clock)
    yield first, second
    first.close()
    second.close()


def enrol(services: Services, session: SignedInSession, clock: ManualClock) -> str:
    offer = services.stepup.enrolment_offer(session)
    secret = parse_qs(urlsplit(offer.uri).query)["secret"][0]
    for _ in range(2):
        services.stepup.verify(session, totp.code_at_step(secret, totp.time_step(clock.now())))
        clock.advance(totp.PERIOD_SECONDS)
    session.lock()
    return secret


def production_checkout(services: Services, session: SignedInSession) -> int:
    [application] = services.browse.resolve(session, "Payments/Checkout@production")
    return application.id


def test_shared_database_needs_key_file(postgres_url: str, clock: ManualClock) -> None:
    with pytest.raises(StorageError, match="needs --key-file"):
        open_store(postgres_url, demo=False, key_file=None, clock=clock)


def test_wrong_key_refused(
    desks: tuple[SqlStore, SqlStore], postgres_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    from desktop.security.encryption import generate_key, write_key_file

    wrong = tmp_path / "wrong.key"
    write_key_file(wrong, generate_key())
    with pytest.raises(StorageError, match="does not belong to this database"):
        open_store(postgres_url, demo=False, key_file=wrong, clock=clock)


@pytest.mark.parametrize("sort", list(ApplicationSort))
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_paging_matches_sorted(
    desks: tuple[SqlStore, SqlStore], clock: ManualClock, sort: ApplicationSort, descending: bool
) -> None:
    services = Services.create(desks[0], clock)
    session = services.auth.sign_in("sam", "demo-support-2026")
    every = services.browse.applications(services.browse.query(session, limit=1000))
    pages = []
    after = None
    while True:
        batch = services.browse.applications(
            services.browse.query(session, sort=sort, descending=descending, after=after, limit=3)
        )
        pages.extend(batch)
        if len(batch) < 3:
            break
        after = cursor_after(batch[-1], sort)
    expected = sorted(every, key=lambda a: cursor_after(a, sort), reverse=descending)
    assert [a.id for a in pages] == [a.id for a in expected]


def test_filter_folds_and_escapes(desks: tuple[SqlStore, SqlStore], clock: ManualClock) -> None:
    services = Services.create(desks[0], clock)
    session = services.auth.sign_in("sam", "demo-support-2026")
    [team] = [t for t in services.browse.teams(session) if t.name == "Payments"]
    desks[0].create_applications(team.id, [("100% Ready", Environment.DEVELOPMENT)])
    cafe = services.browse.applications(services.browse.query(session, filter_text="CAFÉ"))
    assert [a.name for a in cafe] == ["Café Loyalty"]
    percent = services.browse.applications(services.browse.query(session, filter_text="%"))
    assert [a.name for a in percent] == ["100% Ready"]
    assert fold("CAFÉ") == "café"


def test_code_accepted_once_across_desks(
    desks: tuple[SqlStore, SqlStore], clock: ManualClock
) -> None:
    first, second = (Services.create(store, clock) for store in desks)
    session = first.auth.sign_in(*OWNER)
    secret = enrol(first, session, clock)
    code = totp.code_at_step(secret, totp.time_step(clock.now()))
    first.stepup.verify(session, code)
    other = second.auth.sign_in(*OWNER)
    with pytest.raises(CodeRejected, match="perhaps by someone else"):
        second.stepup.verify(other, code)
    application = production_checkout(first, session)
    key = first.security.load(session, application).api_keys[0]
    assert len(first.security.reveal_secret(session, key.id, "show")) >= 43


def test_lockout_holds_on_second_desk(desks: tuple[SqlStore, SqlStore], clock: ManualClock) -> None:
    first, second = (Services.create(store, clock) for store in desks)
    session = first.auth.sign_in(*OWNER)
    secret = enrol(first, session, clock)
    step = totp.time_step(clock.now())
    nearby = {totp.code_at_step(secret, s) for s in range(step - 40, step + 40)}
    wrong = next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in nearby)
    for _ in range(desks[0].load_policy().failure_limit):
        with pytest.raises(CodeRejected):
            first.stepup.verify(session, wrong)
        clock.advance(31)
    other = second.auth.sign_in(*OWNER)
    with pytest.raises(VerificationLocked):
        second.stepup.verify(other, totp.code_at_step(secret, totp.time_step(clock.now())))


def test_save_conflict_and_drafts(desks: tuple[SqlStore, SqlStore], clock: ManualClock) -> None:
    first, second = (Services.create(store, clock) for store in desks)
    olivia = first.auth.sign_in(*OWNER)
    adam = second.auth.sign_in("adam", "demo-appadmin-2026")
    olivia.unlock.open()
    adam.unlock.open()
    application = production_checkout(first, olivia)
    version = first.security.load(olivia, application).version
    second.security.save(adam, application, version, "", ["https://adam.example.com/cb"])
    with pytest.raises(ConflictError):
        first.security.save(olivia, application, version, "", ["https://olivia.example.com/cb"])
    assert first.security.save_draft(olivia, application, version, "", ["https://d.example/cb"])
    draft = first.security.load_draft(olivia, application)
    assert draft is not None
    assert draft.callback_urls == ("https://d.example/cb",)
    assert second.security.load_draft(adam, application) is None


def test_key_rotation_and_audit(desks: tuple[SqlStore, SqlStore], clock: ManualClock) -> None:
    services = Services.create(desks[0], clock)
    session = services.auth.sign_in(*OWNER)
    session.unlock.open()
    application = production_checkout(services, session)
    key = services.security.load(session, application).api_keys[0]
    from datetime import timedelta

    details = services.security.regenerate_secret(session, key.id, timedelta(hours=2))
    assert len(details.api_keys) == 2
    actions = [e.action for e in desks[1].audit_events(actions=("api-key-regenerate",))]
    assert actions == ["api-key-regenerate"]
