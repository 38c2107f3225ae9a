"""Password hashing (argon2id) and the rules a new password must meet.

Hashes are argon2id in the PHC string form (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), so
each stored hash names the parameters it was made with: when the settings ask for stronger
ones, :meth:`PasswordPolicy.needs_rehash` says so and the password is hashed again at its
owner's next sign-in (the only time the plain password is at hand).

Signing in as a user who does not exist, or who has no password, still runs one full
verification (against a hash of a random password), so the answer takes as long as for a
real user with a wrong password and the timing does not tell which names exist.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from catalog.errors import InvalidInput
from catalog.settings import Settings, default_of

#: Longest password accepted: hashing cost does not depend on it, but request bodies do.
MAX_CHARS = 1024


@dataclass(frozen=True)
class PasswordPolicy:
    """argon2id parameters and the shortest password allowed."""

    min_chars: int = default_of("password_min_chars")
    time_cost: int = default_of("password_time_cost")
    memory_kib: int = default_of("password_memory_kib")
    parallelism: int = default_of("password_parallelism")

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(
            settings.password_min_chars,
            settings.password_time_cost,
            settings.password_memory_kib,
            settings.password_parallelism,
        )

    @functools.cached_property
    def _hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=Type.ID,
        )

    @functools.cached_property
    def _dummy(self) -> str:
        """A hash of a random password, verified when there is no real hash to verify."""
        return self._hasher.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with no stored hash, as slow as a real
        check and always False."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than these."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def check_new(self, user: str, password: str, where: str = "new") -> None:
        """Refuse (:class:`InvalidInput` at ``where``) a password too short, too long or
        equal to the user name."""
        if len(password) < self.min_chars:
            raise InvalidInput(f"a password has at least {self.min_chars} characters", where=where)
        if len(password) > MAX_CHARS:
            raise InvalidInput(f"a password has at most {MAX_CHARS} characters", where=where)
        if password.strip().casefold() == user.casefold():
            raise InvalidInput("the password may not be the user name", where=where)
