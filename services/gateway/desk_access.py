"""Who may work the desk: agents their own list and the desk's queue and the work orders they own,
supervisors all of their province's. Checked against the role and scope first, then the object."""

from contracts.events.workorder_actions import DESK_QUEUE
from services.gateway.case_files import CaseFile
from services.gateway.principals import Caller, Forbidden, NotFound, Principal, Role, Scope, acting_as
from services.gateway.reading import NOT_HERE

DESK_ROLES = (Role.AGENT, Role.SUPERVISOR)
# The owner path segment that names the desk's queue of work orders nobody owns yet.
DESK_OWNER = "desk"


def may_list(caller: Caller, province: str, owner: str) -> tuple[Principal, str]:
    """The principal and the queue (`owner`, or the desk's for `desk`) it may list."""
    principal = acting_as(caller, DESK_ROLES, Scope.WORKORDERS_READ, "list work orders")
    if principal.province != province:
        raise Forbidden(f"this principal works {principal.province}'s desk only")
    queue = DESK_QUEUE if owner == DESK_OWNER else owner
    if principal.role is Role.AGENT and queue not in (principal.id, DESK_QUEUE):
        raise Forbidden("an agent lists its own work orders and the desk's queue only")
    return principal, queue


def may_work_on(caller: Caller, province: str, case: CaseFile | None) -> Principal:
    """The principal, if it may change this work order: its owner, any agent while the desk holds
    it, or a supervisor of its province; another province's or an unknown one is NotFound."""
    principal = acting_as(caller, DESK_ROLES, Scope.WORKORDERS_WRITE, "work on work orders")
    if principal.province != province or case is None or case.facts.province != province:
        raise NotFound(NOT_HERE)
    owner = case.facts.owner
    if principal.role is Role.AGENT and owner is not None and owner != principal.id:
        raise Forbidden(f"this work order is {owner}'s: they, or a supervisor, work on it")
    return principal
