"""New API key ids and secrets."""

import secrets


def new_client_id() -> str:
    """Return a public key id (the OAuth client_id): a prefix and 96 random bits in hex."""
    return "sd_" + secrets.token_hex(12)


def new_api_secret() -> str:
    """Return a client secret of 256 random bits, URL-safe base64."""
    return secrets.token_urlsafe(32)
