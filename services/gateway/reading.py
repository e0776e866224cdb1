"""Who may read a work order, and how much of it: the role and scope first, then the object itself.

What a reader may not see is answered as not found (OWASP API1): a work order of another province,
another department's, or (for the inspector) one that is not a report looks exactly like one that does
not exist, so ids cannot be probed.
"""

from contracts.events import WorkOrderType
from services.gateway.case_files import CaseFile
from services.gateway.principals import Caller, Forbidden, NotFound, Principal, Role, Scope

NOT_HERE = "no such work order here"  # one answer for all, so that ids cannot be probed
# Each role that reads work orders, and the scope its credential must carry to.
READ_SCOPES = {
    Role.AGENT: Scope.WORKORDERS_READ,
    Role.SUPERVISOR: Scope.WORKORDERS_READ,
    Role.INSPECTOR: Scope.WORKORDERS_READ,
    Role.DEPARTMENT: Scope.DISPATCHES_READ,
}


def reader(caller: Caller, what: str = "read work orders") -> Principal:
    """The caller's principal if its role reads work orders and its credential carries the scope."""
    principal = caller.principal
    scope = READ_SCOPES.get(principal.role)
    if scope is None:
        raise Forbidden(f"the {principal.role.value} role does not {what}")
    if scope not in caller.scopes:
        raise Forbidden(f"this credential does not carry the {scope.value} scope")
    return principal


def may_read_work_orders(caller: Caller, province: str) -> Principal:
    principal = reader(caller)
    if principal.province != province:
        raise NotFound(NOT_HERE)
    return principal


def case_for(principal: Principal, case: CaseFile | None) -> CaseFile:
    """The part of `case` the principal may read, or NotFound."""
    if case is None:
        raise NotFound(NOT_HERE)
    if principal.role is Role.DEPARTMENT:
        assert principal.department is not None  # a department principal names it
        if not case.sent_to(principal.department):
            raise NotFound(NOT_HERE)
        return case.for_department(principal.department)
    if principal.role is Role.INSPECTOR and case.facts.type is not WorkOrderType.REPORT:
        raise NotFound(NOT_HERE)
    return case


def may_unseal(caller: Caller) -> bool:
    return Scope.SEALED_READ in caller.scopes
