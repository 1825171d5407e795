"""API tokens: random secrets with a role, stored as SHA-256 hashes (the token itself is shown once).

Roles are ordered: viewer (reports and runs) < operator (also start, cancel and rerun runs) < admin (also
tokens). A token is sent as `Authorization: Bearer TOKEN`; the dashboard keeps it in an HttpOnly cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from orchestrator.ledger.db import reading
from orchestrator.web.tables import api_tokens

ROLES = {"viewer": 1, "operator": 2, "admin": 3}
PREFIX = "rtk_"
_TOUCH_EVERY = dt.timedelta(minutes=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
    return role


def allows(role: str, needed: str) -> bool:
    return ROLES.get(role, 0) >= ROLES[needed]


def create_token(engine: Engine, *, role: str, name: str | None = None) -> tuple[int, str]:
    """A new token (id, secret). Only its hash is kept: the secret cannot be shown again."""
    check_role(role)
    token = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(insert(api_tokens).values(
            name=name or f"{role} token", role=role, token_hash=digest(token), prefix=token[:10],
            created_at=_now())).inserted_primary_key[0]
    return int(token_id), token


def list_tokens(engine: Engine, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    query = select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.prefix,
                   api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.revoked_at)
    if not include_revoked:
        query = query.where(api_tokens.c.revoked_at.is_(None))
    with reading(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(api_tokens.c.id))]


def revoke_token(engine: Engine, which: str | int) -> bool:
    """Revoke by id, by name or by the token's first characters; False when nothing matched."""
    text = str(which)
    match = [api_tokens.c.name == text, api_tokens.c.prefix == text[:10]]
    if text.isdigit():
        match.append(api_tokens.c.id == int(text))
    with engine.begin() as conn:
        result = conn.execute(update(api_tokens).where(or_(*match), api_tokens.c.revoked_at.is_(None))
                              .values(revoked_at=_now()))
    return result.rowcount > 0


def verify(engine: Engine, token: str | None) -> dict[str, Any] | None:
    """The token's row when it is known and not revoked, else None."""
    if not token or len(token) > 200:
        return None
    with reading(engine) as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    if last is None or _now() - last > _TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=_now()))
    return {"id": row.id, "name": row.name, "role": row.role}
