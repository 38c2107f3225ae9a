"""Single sign-on through a factory's OpenID Connect provider (settings ``oidc_*``).

:class:`OidcClient` speaks to the provider; :class:`PendingLogins` remembers the sign-ons
under way. The pages (api/web/account_pages.py) link a verified identity to a local user
with :meth:`catalog.accounts.Accounts.linked_user` and ``add_linked_user``.
"""

from catalog.oidc.client import CALLBACK_PATH, OidcClient, SignedOn
from catalog.oidc.logins import PendingLogin, PendingLogins

__all__ = ["CALLBACK_PATH", "OidcClient", "PendingLogin", "PendingLogins", "SignedOn"]
