"""The set of services one open database offers, built once at start-up."""

from dataclasses import dataclass

from desktop.security.clock import Clock
from desktop.services.auth import AuthService
from desktop.services.browse import BrowseService
from desktop.services.ports import Store
from desktop.services.security_details import SecurityDetailsService
from desktop.services.stepup import StepUpService
from desktop.services.support import PolicyService, SupportService


@dataclass(frozen=True)
class Services:
    auth: AuthService
    browse: BrowseService
    stepup: StepUpService
    security: SecurityDetailsService
    support: SupportService
    policy: PolicyService
    database_name: str
    is_demo: bool
    new_key_location: str | None

    @classmethod
    def create(cls, store: Store, clock: Clock) -> "Services":
        return cls(
            auth=AuthService(store, clock),
            browse=BrowseService(store),
            stepup=StepUpService(store, clock),
            security=SecurityDetailsService(store, clock),
            support=SupportService(store),
            policy=PolicyService(store),
            database_name=store.description,
            is_demo=store.is_demo(),
            new_key_location=store.new_key_location,
        )
