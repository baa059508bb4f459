"""google-auth credentials of the clients: the service-account key, the credentials of
each call, the ones that sign URLs, and ID tokens for function invocations.

Building credentials never contacts a token endpoint; google-auth fetches tokens on the
first call that needs one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloud_common.core import AuthenticationError, CloudCredentials, ValidationError

if TYPE_CHECKING:
    from cloud_common.gcp._settings import GcpSettings

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "auth_request",
    "call_credentials",
    "id_token_provider",
    "load_service_account_info",
    "signing_credentials",
]

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def load_service_account_info(credentials: CloudCredentials) -> dict[str, Any] | None:
    """The service-account key of ``metadata["service_account_info"]`` (its JSON) or
    ``metadata["service_account_file"]`` (a path).

    Returns None when none is configured or the file holds another kind of credential
    (``authorized_user``: Application Default Credentials handle those).

    Raises:
        ValidationError: the JSON is malformed or the file unreadable (no key material
            appears in the message).
    """
    raw = credentials.metadata.get("service_account_info")
    source = "metadata['service_account_info']"
    if not raw:
        path = credentials.metadata.get("service_account_file")
        if not path:
            return None
        source = f"service-account file {path!r}"
        try:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ValidationError(f"cannot read {source}: {exc.strerror}", provider="gcp") from None
    try:
        info = json.loads(raw)
    except ValueError:
        raise ValidationError(f"{source} is not valid JSON", provider="gcp") from None
    if not isinstance(info, dict):
        raise ValidationError(f"{source} must be a JSON object", provider="gcp")
    if info.get("type", "service_account") != "service_account":
        return None
    return info


def auth_request() -> Any:
    """A google-auth transport request whose exchanges are bounded by the current call's
    deadline (token refreshes, ID tokens, signBlob)."""
    import google.auth.transport.requests  # noqa: PLC0415
    import requests  # noqa: PLC0415

    from cloud_common.gcp._retry import bind_session  # noqa: PLC0415

    return google.auth.transport.requests.Request(bind_session(requests.Session()))


def call_credentials(settings: GcpSettings, endpoint: str | None) -> Any:
    """The credentials of calls to ``endpoint``: ``AnonymousCredentials`` against an
    emulator, else the ``google_credentials`` option, the service-account key, or
    Application Default Credentials.

    Raises:
        AuthenticationError: nothing configured and no Application Default Credentials.
    """
    if settings.is_anonymous(endpoint):
        from google.auth.credentials import AnonymousCredentials  # noqa: PLC0415

        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    return signing_credentials(settings)


def signing_credentials(settings: GcpSettings) -> Any:
    """Credentials that can sign (a service-account key) or call IAM signBlob (ADC).

    Raises:
        AuthenticationError: nothing configured and no Application Default Credentials.
    """
    if settings.google_credentials is not None:
        return settings.google_credentials
    if settings.service_account_info is not None:
        from google.oauth2 import service_account  # noqa: PLC0415

        try:
            return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                dict(settings.service_account_info), scopes=[CLOUD_PLATFORM_SCOPE]
            )
        except (ValueError, KeyError) as exc:
            raise AuthenticationError(
                f"the service-account key is not usable ({type(exc).__name__}); "
                "check metadata['service_account_info'] / ['service_account_file']",
                provider="gcp",
            ) from None
    import google.auth  # noqa: PLC0415
    from google.auth.exceptions import DefaultCredentialsError  # noqa: PLC0415

    try:
        creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except DefaultCredentialsError as exc:
        raise AuthenticationError(
            "no Google credentials found: set metadata['service_account_file'] or "
            "['service_account_info'], GOOGLE_APPLICATION_CREDENTIALS, or run "
            "'gcloud auth application-default login'",
            provider="gcp",
        ) from exc
    return creds


def id_token_provider(settings: GcpSettings, endpoint: str | None) -> Callable[[str], str | None]:
    """``audience -> ID token`` for invoking functions: none against an anonymous
    endpoint; minted from the service-account key (cached per audience until it expires),
    else fetched through google-auth (metadata server, ADC of a service account)."""
    if settings.is_anonymous(endpoint):
        return lambda audience: None
    info = settings.service_account_info
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    request = auth_request()

    def provide(audience: str) -> str | None:
        from google.oauth2 import id_token, service_account  # noqa: PLC0415

        if info is None:
            token: str = id_token.fetch_id_token(request, audience)  # type: ignore[no-untyped-call]
            return token
        with lock:
            creds = cache.get(audience)
            if creds is None:
                creds = cache[audience] = (
                    service_account.IDTokenCredentials.from_service_account_info(  # type: ignore[no-untyped-call]
                        dict(info), target_audience=audience
                    )
                )
            if not creds.valid:
                creds.refresh(request)
            return str(creds.token)

    return provide
