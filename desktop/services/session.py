"""The signed-in session: who is signed in and their unlock window, in memory only."""

from dataclasses import dataclass, field

from desktop.domain.entities import User
from desktop.security.unlock import UnlockWindow


@dataclass
class SignedInSession:
    user: User
    unlock: UnlockWindow
    accepted_steps: set[int] = field(default_factory=set)
    """Time steps this session had accepted, to tell a user's own replay from another's."""
    allow_screen_capture: bool = False
    """Set by the user for remote support; windows showing secrets may then be captured."""
    notices: list[str] = field(default_factory=list)
    """Messages shown once after sign-in, such as a new authenticator being added."""

    def record_activity(self) -> None:
        self.unlock.record_activity()

    def lock(self) -> None:
        self.unlock.close()

    def audit_actor(self) -> str:
        return self.user.username
