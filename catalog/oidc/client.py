"""The catalogue as an OpenID Connect client (Relying Party) of a factory's identity provider.

Authorization code flow with PKCE (S256), ``state`` and ``nonce``
(:mod:`catalog.oidc.logins` keeps them). The provider's metadata
(``<issuer>/.well-known/openid-configuration``) and its keys (``jwks_uri``) are fetched
through the catalogue's one bounded outbound fetcher (:mod:`catalog.outbound`), which refuses
internal addresses; ``oidc_allow_internal_issuer`` exempts the issuer's own host and port,
nothing else. The code is exchanged at the token endpoint with the client secret (HTTP
Basic), and the ID token is verified with joserfc: its signature against the provider's
keys (asymmetric algorithms only, keys fetched again once when a new key id appears), and
``iss``, ``aud`` (and ``azp``), ``exp``, ``iat`` and ``nonce``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from catalog.errors import ConfigurationError, FetchError, FetchStatusError, Unauthorized
from catalog.oidc.logins import PendingLogin
from catalog.outbound.fetcher import Fetcher
from catalog.outbound.post import post_form
from catalog.settings import Settings

CALLBACK_PATH = "/ui/login/oidc/callback"
#: Signature algorithms accepted for ID tokens: public-key ones only (never none or HMAC).
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
#: How long the provider's metadata and keys are used before they are read again.
METADATA_SECONDS = 3600.0
#: Least time between two reads of the keys for an unknown key id (a flood of forged
#: tokens cannot make the catalogue hammer the provider).
KEYS_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class SignedOn:
    """A verified sign-on: who (issuer and subject), their claims, and where to go next."""

    issuer: str
    subject: str
    claims: dict[str, Any]
    next: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError as exc:
        raise FetchError(f"the provider's {what} is not JSON", where=what) from exc
    if not isinstance(value, dict):
        raise FetchError(f"the provider's {what} is not a JSON object", where=what)
    return value


class OidcClient:
    """The sign-on client of one catalogue; share one per process (it caches the
    provider's metadata and keys)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
            raise ConfigurationError("single sign-on needs DATALAB_OIDC_ISSUER and its client")
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret
        self.settings = settings
        self.redirect_uri = settings.public_url.rstrip("/") + CALLBACK_PATH
        self._clock = clock
        self._fetching = self._fetch_settings(settings)
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    @staticmethod
    def _fetch_settings(settings: Settings) -> Settings:
        """The fetcher's settings, with the issuer's host:port exempt from the internal-
        address refusal when ``oidc_allow_internal_issuer`` says so."""
        if not settings.oidc_allow_internal_issuer or not settings.oidc_issuer:
            return settings
        parts = urlsplit(settings.oidc_issuer)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = (parts.hostname or "").lower()
        entry = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        allowed = [*settings.fetch_allow_hosts, entry]
        return settings.model_copy(update={"fetch_allow_hosts": allowed})

    # -- the provider's metadata and keys ---------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        with Fetcher(self._fetching) as fetcher:
            answer = fetcher.get(url, accept="application/json")
        return _json_object(answer.content, what)

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, checked: it names this issuer, and every
        endpoint used is an http(s) URL (https when the issuer is)."""
        with self._lock:
            if self._metadata and self._clock() - self._metadata[0] < METADATA_SECONDS:
                return self._metadata[1]
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        found = self._get_json(url, "discovery document")
        if found.get("issuer") != self.issuer:
            raise ConfigurationError(
                f"the provider's discovery document names issuer {found.get('issuer')!r}, "
                f"not the configured {self.issuer!r}",
                where="DATALAB_OIDC_ISSUER",
            )
        secure = urlsplit(self.issuer).scheme == "https"
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = found.get(key)
            scheme = urlsplit(value).scheme if isinstance(value, str) else ""
            if scheme not in (("https",) if secure else ("http", "https")):
                raise ConfigurationError(
                    f"the provider's {key} is missing or not an {'https' if secure else 'http'}"
                    " URL",
                    where="DATALAB_OIDC_ISSUER",
                )
        methods = found.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ConfigurationError("the provider does not support PKCE with S256")
        with self._lock:
            self._metadata = (self._clock(), found)
        return found

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's public keys; read again when ``refresh`` and the last read is
        older than a minute, or when an hour has passed."""
        with self._lock:
            cached = self._keys
        if cached is not None:
            age = self._clock() - cached[0]
            if age < METADATA_SECONDS and not (refresh and age >= KEYS_REFRESH_SECONDS):
                return cached[1]
        document = self._get_json(str(self.metadata()["jwks_uri"]), "key set")
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise FetchError(
                f"the provider's key set is unusable: {exc}", where="jwks_uri"
            ) from exc
        with self._lock:
            self._keys = (self._clock(), keys)
        return keys

    # -- the flow ---------------------------------------------------------------------------

    def authorization_url(self, login: PendingLogin) -> str:
        """Where to send the browser to sign in at the provider."""
        challenge = _b64(hashlib.sha256(login.verifier.encode("ascii")).digest())
        scopes = self.settings.oidc_scopes.split()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(["openid", *[s for s in scopes if s != "openid"]]),
            "state": login.state,
            "nonce": login.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def finish(self, login: PendingLogin, code: str) -> SignedOn:
        """Exchange ``code`` (with the PKCE verifier) for an ID token and verify it;
        :class:`Unauthorized` when the provider refuses the code or the token is not good."""
        basic = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": login.verifier,
        }
        headers = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()}
        try:
            answer = post_form(
                self._fetching, str(self.metadata()["token_endpoint"]), fields, headers=headers
            )
        except FetchStatusError as exc:
            status = (exc.details or {}).get("status")
            raise Unauthorized(
                f"the identity provider refused the sign-in code (HTTP {status}): start again",
                where="code",
            ) from exc
        tokens = _json_object(answer.content, "token response")
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthorized("the identity provider sent no ID token", where="id_token")
        claims = self.verify_id_token(id_token, login.nonce)
        return SignedOn(self.issuer, str(claims["sub"]), claims, login.next)

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The claims of ``id_token`` once its signature, issuer, audience, times and nonce
        are right; :class:`Unauthorized` saying which is not."""
        offered = self.metadata().get("id_token_signing_alg_values_supported")
        algorithms = [a for a in ASYMMETRIC if not isinstance(offered, list) or a in offered]
        try:
            try:
                token = jwt.decode(id_token, self.key_set(), algorithms=algorithms)
            except InvalidKeyIdError:  # the provider rotated its keys: read them once more
                token = jwt.decode(id_token, self.key_set(refresh=True), algorithms=algorithms)
            registry = jwt.JWTClaimsRegistry(
                now=int(self._clock()),
                leeway=self.settings.oidc_clock_skew_s,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except JoseError as exc:
            raise Unauthorized(
                f"the ID token from the identity provider is not valid: {_reason(exc)}",
                where="id_token",
            ) from exc
        claims = dict(token.claims)
        audience = claims["aud"]
        azp = claims.get("azp")
        if (isinstance(audience, list) and len(audience) > 1 and azp is None) or (
            azp is not None and azp != self.client_id
        ):
            raise Unauthorized(
                "the ID token from the identity provider is not valid: it was issued to "
                "another client (azp)",
                where="id_token",
            )
        return claims


def _reason(exc: JoseError) -> str:
    """What is wrong with a token, in words (joserfc's description and the claim)."""
    text = getattr(exc, "description", None) or str(exc)
    claim = getattr(exc, "claim", None)
    return f"{text} ({claim})" if claim and claim not in text else str(text)
