"""Start-up checks for production mode (DEBUG=false): no placeholder secret, no API left open by accident.

Pure functions on values, so settings.py calls them at import and tests call them directly.
"""

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)

# Words that mark a value copied from an example rather than generated.
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "placeholder", "example", "insecure", "do-not-use")
GENERATE_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key_problem(value: str) -> str | None:
    """Why SECRET_KEY is not fit for production, or None."""
    if not value:
        return f"SECRET_KEY must be set when DEBUG is false ({GENERATE_HINT})"
    lowered = value.lower()
    if lowered.startswith(SECRET_KEY_INSECURE_PREFIX) or any(word in lowered for word in PLACEHOLDER_WORDS):
        return f"SECRET_KEY is a placeholder, not a secret ({GENERATE_HINT})"
    if len(value) < SECRET_KEY_MIN_LENGTH or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"SECRET_KEY is too weak: at least {SECRET_KEY_MIN_LENGTH} characters and "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} distinct ones ({GENERATE_HINT})"
        )
    return None


def api_keys_problem(api_keys: list[str], disabled: bool) -> str | None:
    """An open API in production must be a decision (API_KEYS_DISABLED=true), never a default."""
    if disabled:
        return None
    if not api_keys:
        return (
            "API_KEYS must be set when DEBUG is false (comma-separated keys clients send as x-api-key); "
            "set API_KEYS_DISABLED=true to serve without them (langgraph.json's auth or a proxy authenticates)"
        )
    weak = [key for key in api_keys if any(word in key.lower() for word in PLACEHOLDER_WORDS) or len(key) < 16]
    if weak:
        return "API_KEYS holds a placeholder or a key shorter than 16 characters"
    return None
