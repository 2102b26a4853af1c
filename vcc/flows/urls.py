"""Database URLs as vcc shows them: credentials never written in a file, never shown.

A credential may sit in a URL's user information (``user:secret@host``) or in its query string
(``?password=secret``, ``?sslpassword=``, ``?token=``...). ``credentials_in`` names the parts of
a URL that hold one (configuration refuses such a URL written in its file); ``mask_url`` is the
one way a URL is shown, in messages, logs, the manifest and the warehouse, with every credential
as ``***``; ``mask_secrets`` does the same to a driver's message that may quote them.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

MASK = "***"
# Query parameters that hold a credential, by any driver's name for one (case-insensitive).
CREDENTIAL_PARAMETER = re.compile(
    r"pass|pwd|token|secret|credential|api_?key|access_?key|private_?key", re.IGNORECASE
)


def _parse(url: str | sa.URL) -> sa.URL | None:
    if isinstance(url, sa.URL):
        return url
    try:
        return sa.make_url(url)
    except (sa_exc.ArgumentError, ValueError, TypeError):
        return None


def credentials_in(url: str | sa.URL) -> list[str]:
    """Where ``url`` holds a credential: ``"password"`` for one in its user information, and
    ``"query parameter <name>"`` for each credential in its query string."""
    parsed = _parse(url)
    if parsed is None:
        return []
    found = ["password"] if parsed.password else []
    found += [
        f"query parameter {name}" for name in parsed.query if CREDENTIAL_PARAMETER.search(name)
    ]
    return found


def secrets_of(url: str | sa.URL) -> list[str]:
    """The credential values ``url`` holds, longest first (to mask each whole)."""
    parsed = _parse(url)
    if parsed is None:
        return []
    values = [str(parsed.password)] if parsed.password else []
    for name, value in parsed.query.items():
        if CREDENTIAL_PARAMETER.search(name):
            values += [value] if isinstance(value, str) else list(value)
    return sorted({value for value in values if value}, key=len, reverse=True)


def mask_url(url: str | sa.URL) -> str:
    """``url`` as it may be shown: every credential (password, credential query parameters)
    as ``***``. A URL that cannot be parsed is shown by its scheme alone."""
    parsed = _parse(url)
    if parsed is None:
        text = str(url)
        return text.split(":", 1)[0] + ":…" if ":" in text else "(not a URL)"
    query = {
        name: (MASK if CREDENTIAL_PARAMETER.search(name) else value)
        for name, value in parsed.query.items()
    }
    masked = parsed.set(password=MASK if parsed.password else None, query=query)
    return masked.render_as_string(hide_password=False).replace("%2A%2A%2A", MASK)


def mask_secrets(text: str, url: str | sa.URL) -> str:
    """``text`` (say a driver's error message) with every credential of ``url`` masked."""
    for secret in secrets_of(url):
        text = text.replace(secret, MASK)
    return text
