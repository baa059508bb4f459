"""Service-account keys generated on the spot, for signing offline."""

from __future__ import annotations

from typing import Any

__all__ = ["make_service_account_info"]


def make_service_account_info(
    project: str = "cc-contract", email: str = "signer@cc-contract.iam.gserviceaccount.com"
) -> dict[str, Any]:
    """A fresh service-account key (RSA 2048, generated locally) in Google's JSON shape.

    Usable for signing offline; its ``token_uri`` is Google's (point it at a
    ``GcpFake``'s ``/token`` for real OAuth flows against the fake).
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "cc-test-key",
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
