"""The step-up policy an administrator sets, with its bounds."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desktop.domain.entities import Environment
from desktop.domain.errors import InvalidInput

MAX_ISSUER_LENGTH = 100


class StepUpScope(StrEnum):
    PRODUCTION_ONLY = "production"
    EVERY_ENVIRONMENT = "all"


class StepUpMode(StrEnum):
    STEP_UP = "step-up"
    AT_SIGN_IN = "at-sign-in"


@dataclass(frozen=True)
class Policy:
    scope: StepUpScope = StepUpScope.PRODUCTION_ONLY
    unlock_window: timedelta = timedelta(minutes=15)
    idle_limit: timedelta = timedelta(minutes=5)
    failure_limit: int = 5
    lockout: timedelta = timedelta(minutes=15)
    enforced_from: datetime | None = None
    """When step-up became required; None means from the database's creation."""
    mode: StepUpMode = StepUpMode.STEP_UP
    issuer: str = "StepDesk"

    def __post_init__(self) -> None:
        minute = timedelta(minutes=1)
        if not minute <= self.unlock_window <= 60 * minute:
            raise InvalidInput(
                f"Unlock window {self.unlock_window} is out of range: choose 1 to 60 minutes."
            )
        if not minute <= self.idle_limit <= self.unlock_window:
            raise InvalidInput(
                f"Idle limit {self.idle_limit} is out of range: choose from 1 minute "
                "up to the unlock window."
            )
        if not 3 <= self.failure_limit <= 10:
            raise InvalidInput(
                f"Failure limit {self.failure_limit} is out of range: choose 3 to 10."
            )
        if not minute <= self.lockout <= 60 * minute:
            raise InvalidInput(f"Lockout {self.lockout} is out of range: choose 1 to 60 minutes.")
        if not self.issuer.strip():
            raise InvalidInput("The issuer name is empty: enter the name users see in their app.")
        if len(self.issuer) > MAX_ISSUER_LENGTH:
            raise InvalidInput(
                f"The issuer name has {len(self.issuer)} characters: use at most "
                f"{MAX_ISSUER_LENGTH}."
            )

    def requires_step_up(self, environment: Environment, now: datetime) -> bool:
        """Tell whether security details of `environment` need a verified session now."""
        if self.enforced_from is not None and now < self.enforced_from:
            return False
        if self.scope is StepUpScope.EVERY_ENVIRONMENT:
            return True
        return environment is Environment.PRODUCTION
