"""An application's lifecycle: its states, the actions that move it, and who may take each.

    requested --hold--> held --approve--> approved --energise--> energised
        |  \\             |  ^   \\             |
        |   approve      |  hold  reject       withdraw
        |   reject       |  (extends)          |
        |   withdraw     withdraw, expire      v
        v                v                  withdrawn
    rejected / withdrawn  rejected / withdrawn / expired

Held, approved and energised applications are *booked*: their MW count against the node's headroom and the
zone's deliverable surplus. Requested ones are not (nothing has been granted yet). The others are closed: no action
leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUESTED, HELD, APPROVED, ENERGISED = "requested", "held", "approved", "energised"
WITHDRAWN, REJECTED, EXPIRED = "withdrawn", "rejected", "expired"
STATES = (REQUESTED, HELD, APPROVED, ENERGISED, WITHDRAWN, REJECTED, EXPIRED)
BOOKED = frozenset({HELD, APPROVED, ENERGISED})
CLOSED = frozenset({ENERGISED, WITHDRAWN, REJECTED, EXPIRED})

STAFF, APPLICANT, PUBLIC, SYSTEM = "staff", "applicant", "public", "system"
ROLES = (STAFF, APPLICANT, PUBLIC, SYSTEM)


@dataclass(frozen=True)
class Action:
    """One action: the states it may start from, the state it leads to, and the roles that may take it."""

    name: str
    sources: frozenset[str | None]
    target: str
    roles: frozenset[str]
    books: bool  # whether capacity must be found for it (it leads to a booked state)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("apply", frozenset({None}), REQUESTED, frozenset({APPLICANT, STAFF}), False),
    Action("hold", frozenset({REQUESTED, HELD}), HELD, frozenset({STAFF}), True),
    Action("approve", frozenset({REQUESTED, HELD}), APPROVED, frozenset({STAFF}), True),
    Action("reject", frozenset({REQUESTED, HELD}), REJECTED, frozenset({STAFF}), False),
    Action("withdraw", frozenset({REQUESTED, HELD, APPROVED}), WITHDRAWN, frozenset({APPLICANT, STAFF}), False),
    Action("energise", frozenset({APPROVED}), ENERGISED, frozenset({STAFF}), False),
    Action("expire", frozenset({HELD}), EXPIRED, frozenset({STAFF, SYSTEM}), False),
)}


DONE = {"apply": "applied for", "hold": "held", "approve": "approved", "reject": "rejected", "withdraw": "withdrawn",
        "energise": "energised", "expire": "expired"}


def transition_problem(action: str, state: str | None, role: str) -> str | None:
    """Why ``role`` may not take ``action`` on an application in ``state`` (None: not yet applied), in words; None
    when it may."""
    a = ACTIONS.get(action)
    if a is None:
        return f"'{action}' is not an action (one of: {', '.join(ACTIONS)})"
    if role not in a.roles:
        article = "an" if role[0] in "aeiou" else "a"
        return f"{article} {role} may not {action} (only {' or '.join(sorted(a.roles))})"
    if state not in a.sources:
        now = "not applied for" if state is None else state
        allowed = ", ".join(sorted(s or "new" for s in a.sources))
        return f"an application that is {now} cannot be {DONE[action]} (only from: {allowed})"
    return None
