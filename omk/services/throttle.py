"""Login throttling (OWASP ASVS 5.0 V6.3): slow password guessing down, never lock anyone out.

Three counters, each a row of ``login_throttle``, limit the password checks of a login:

- one account from one address: after ``LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS`` failures,
  each further check waits twice as long as the one before (1 s, 2 s, 4 s … at most 15
  minutes). Forgotten after ``LOGIN_THROTTLE_WINDOW_MINUTES`` without a failure; a successful
  login from that address clears it;
- one account from every address: after ``LOGIN_FAILURES_PER_ACCOUNT`` failures within the
  window, every address waits in the same way, and the owner is e-mailed (once a day at most);
- one address for every account: after ``LOGIN_FAILURES_PER_ADDRESS`` failures within the
  window, that address waits in the same way.

Whoever has to wait gets 429 with ``Retry-After``; nobody is ever locked out for longer than
the longest wait. An attempt is counted *before* its password is checked: one upsert per
counter (``INSERT … ON CONFLICT DO UPDATE … WHERE`` the counter's wait is over), all three in
one transaction that is rolled back when one of them must wait. The database decides, so
concurrent attempts in any number of workers cannot check more passwords than the rule allows.
A successful login gives its count back; setting a new password clears the account's counters.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from omk.errors import OmkError
from omk.extensions import db
from omk.models.accounts import ANY, LoginThrottle
from omk.models.types import UTCDateTime, utcnow
from omk.services.transaction import unit_of_work

#: The first wait once a limit is reached; each further failure doubles it.
FIRST_DELAY = timedelta(seconds=1)
#: The longest wait (ASVS: slow down, do not lock out).
MAX_DELAY = timedelta(minutes=15)
#: The owner of an account under attack is e-mailed at most this often.
NOTIFY_EVERY = timedelta(days=1)
#: Counters untouched for this long are deleted (after a successful login).
FORGET_AFTER = timedelta(days=1)

#: The current time; tests replace it to walk through the schedule without sleeping.
clock: Callable[[], datetime] = utcnow


class LoginThrottled(OmkError):
    """Too many failed logins: the next password check has to wait ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def delay(failures: int, limit: int) -> timedelta:
    """How long the next check waits after ``failures`` counted failures, ``limit`` being free."""
    if failures < limit:
        return timedelta(0)
    wait: timedelta = FIRST_DELAY * 2 ** min(failures - limit, 30)
    return min(wait, MAX_DELAY)


@dataclass(frozen=True)
class _Counter:
    account_hash: str
    address: str
    limit: int
    # True: the window starts at the first failure (a count per hour);
    # False: it starts again at every failure (forgotten after a quiet window).
    fixed_window: bool


def address_key(address: str) -> str:
    """The address as throttling counts it: an IPv6 address by its /64 network (one
    subscriber's share, which an attacker can rotate through freely), IPv4 as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:45]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _counters(account_hash: str, address: str) -> list[_Counter]:
    """The three counters of an attempt, always in this order (so row locks cannot deadlock)."""
    cfg = current_app.config
    address = address_key(address)
    return [
        _Counter(account_hash, address, cfg["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"], False),
        _Counter(account_hash, ANY, cfg["LOGIN_FAILURES_PER_ACCOUNT"], True),
        _Counter(ANY, address, cfg["LOGIN_FAILURES_PER_ADDRESS"], True),
    ]


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_THROTTLE_WINDOW_MINUTES"])


#: The doubling steps below the ceiling: waits of 1 s, 2 s … 512 s, then always MAX_DELAY.
_STEPS = [step for step in range(32) if FIRST_DELAY * 2**step < MAX_DELAY]


def _when(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


@cache
def _upsert(dialect: str, limit: int, fixed_window: bool) -> Any:
    """The counting upsert of one kind of counter, built once (times are bound parameters).

    Inserts the row with one failure, or adds one (starting afresh after the window) and sets
    the time of the next check, but only where the wait is over: ``now >= next_allowed_at``.
    """
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise RuntimeError(f"login throttling needs SQLite or PostgreSQL, not {dialect}")
    table = LoginThrottle.__table__  # Core, not the ORM's bulk insert
    row = table.c
    started = row.window_started_at if fixed_window else row.last_failure_at
    expired = started <= _when("forgotten_before")
    counted = case((expired, 1), else_=row.failures + 1)
    next_allowed = case(
        (counted < limit, null()),
        *[(counted == limit + step, _when(f"after_step_{step}")) for step in _STEPS],
        else_=_when("after_max"),
    )
    return (
        insert(table)
        .values(
            account_hash=bindparam("account_hash"),
            address=bindparam("address"),
            failures=1,
            window_started_at=_when("now"),
            last_failure_at=_when("now"),
            next_allowed_at=_when("first_next"),
        )
        .on_conflict_do_update(
            index_elements=[row.account_hash, row.address],
            set_={
                "failures": counted,
                "window_started_at": case((expired, _when("now")), else_=row.window_started_at),
                "last_failure_at": _when("now"),
                "next_allowed_at": next_allowed,
            },
            where=or_(row.next_allowed_at.is_(None), row.next_allowed_at <= _when("now")),
        )
        .returning(row.id)
    )


def _count(counter: _Counter, now: datetime) -> bool:
    """Count one attempt on ``counter`` if its wait is over (one atomic upsert); else False."""
    stmt = _upsert(db.session.get_bind().dialect.name, counter.limit, counter.fixed_window)
    first_wait = delay(1, counter.limit)
    params: dict[str, Any] = {
        "account_hash": counter.account_hash,
        "address": counter.address,
        "now": now,
        "forgotten_before": now - _window(),
        "first_next": now + first_wait if first_wait else None,
        "after_max": now + MAX_DELAY,
    }
    for step in _STEPS:
        params[f"after_step_{step}"] = now + FIRST_DELAY * 2**step
    return db.session.execute(stmt, params).first() is not None


def _keys(counters: list[_Counter]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(LoginThrottle.account_hash == c.account_hash, LoginThrottle.address == c.address)
            for c in counters
        )
    )


class _MustWait(Exception):
    pass


def reserve(account_hash: str, address: str) -> None:
    """Count an attempt against all three counters before its password is checked.

    Commits on its own. Raises :class:`LoginThrottled` (counting nothing) when one of the
    counters still has to wait; only then may the caller not check the password.
    """
    now = clock()
    counters = _counters(account_hash, address)
    try:
        with unit_of_work():
            for counter in counters:
                if not _count(counter, now):
                    raise _MustWait
    except _MustWait:
        until = db.session.scalar(
            select(LoginThrottle.next_allowed_at)
            .where(_keys(counters), LoginThrottle.next_allowed_at.is_not(None))
            .order_by(LoginThrottle.next_allowed_at.desc())
            .limit(1)
        )
        db.session.rollback()
        seconds = math.ceil((until - now).total_seconds()) if until is not None else 1
        raise LoginThrottled(
            "Zu viele Versuche. Bitte warten Sie etwas.",
            retry_after=max(seconds, 1),
        ) from None


def succeeded(account_hash: str, address: str) -> None:
    """In the caller's unit of work: a login succeeded. Clear its account and address counter
    and take its count back from the other two (it was counted as a failure in advance)."""
    db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.account_hash == account_hash,
            LoginThrottle.address == address_key(address),
        )
    )
    db.session.execute(
        update(LoginThrottle)
        .where(_keys(_counters(account_hash, address)[1:]), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )


def clear_account(account_hash: str) -> None:
    """In the caller's unit of work: forget every counter of an account (a new password)."""
    db.session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.account_hash == account_hash)
        .execution_options(synchronize_session=False)
    )


def claim_notice(account_hash: str) -> bool:
    """In the caller's unit of work: whether to e-mail the owner now that the account's limit
    over all addresses is reached (True once a day at most, for exactly one caller)."""
    now = clock()
    result = db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.account_hash == account_hash,
            LoginThrottle.address == ANY,
            LoginThrottle.failures >= current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
            or_(
                LoginThrottle.notified_at.is_(None),
                LoginThrottle.notified_at <= now - NOTIFY_EVERY,
            ),
        )
        .values(notified_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def forget_stale() -> int:
    """Delete counters untouched for a day (own unit of work; skips rows others hold)."""
    now = clock()
    stale = (
        select(LoginThrottle.id)
        .where(
            LoginThrottle.last_failure_at <= now - FORGET_AFTER,
            or_(LoginThrottle.next_allowed_at.is_(None), LoginThrottle.next_allowed_at <= now),
        )
        .with_for_update(skip_locked=True)
    )
    with unit_of_work():
        result = db.session.execute(
            delete(LoginThrottle)
            .where(LoginThrottle.id.in_(stale))
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def state(account_hash: str, address: str) -> dict[str, tuple[int, datetime | None]]:
    """The three counters of an account and address: failures and next allowed time (for tests
    and diagnostics)."""
    rows = db.session.execute(
        select(
            LoginThrottle.account_hash,
            LoginThrottle.address,
            LoginThrottle.failures,
            LoginThrottle.next_allowed_at,
        ).where(_keys(_counters(account_hash, address)))
    )
    key = address_key(address)
    names = {(account_hash, key): "pair", (account_hash, ANY): "account", (ANY, key): "address"}
    return {names[(r[0], r[1])]: (r[2], r[3]) for r in rows}
