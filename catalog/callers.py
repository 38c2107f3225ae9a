"""Who is asking: the one view of an authenticated principal the domain looks at."""

from __future__ import annotations

from typing import Protocol


class Caller(Protocol):
    """A principal as the sample gate and the access-request workflow see it (read-only: an
    API principal and a CLI user both qualify)."""

    @property
    def name(self) -> str | None: ...

    @property
    def role(self) -> str: ...

    @property
    def organisation(self) -> str | None: ...

    @property
    def factory(self) -> str | None: ...
