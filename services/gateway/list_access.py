"""Who may read which lists: agents and supervisors any of their province's, a department only its own
dispatches' (the department filter is its own, whatever it asks), the discipline inspector reports only.
Checked against the role and scope first, then the filters."""

from services.gateway.case_files import CaseFile
from services.gateway.principals import Caller, Forbidden, Principal, Role
from services.gateway.reading import reader
from services.gateway.work_order_lists import ListFilter


def may_list(caller: Caller, province: str) -> Principal:
    principal = reader(caller, "list work orders")
    if principal.province != province:
        raise Forbidden(f"this principal lists {principal.province}'s work orders only")
    return principal


def narrowed_for(principal: Principal, wanted: ListFilter) -> ListFilter:
    """The list as the principal may read it: a department's own, an inspector's reports."""
    if principal.role is Role.DEPARTMENT:
        if wanted.department not in (None, principal.department):
            raise Forbidden(f"a department lists the work orders sent to it only ({principal.department})")
        if wanted.owner is not None:
            raise Forbidden("a department lists by its own name, not by an agent's")
        return ListFilter(wanted.view, wanted.status, principal.department, None, wanted.type)
    if principal.role is Role.INSPECTOR:
        if wanted.type not in (None, "report"):
            raise Forbidden("the discipline inspector lists reports only")
        return ListFilter(wanted.view, wanted.status, wanted.department, wanted.owner, "report")
    return wanted


def seen_by(principal: Principal, case: CaseFile) -> CaseFile:
    """A department sees its own dispatches and replies of a work order, not another's."""
    if principal.role is Role.DEPARTMENT:
        assert principal.department is not None
        return case.for_department(principal.department)
    return case
