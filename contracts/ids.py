"""Identifiers other services rely on: how one aggregate's id is derived from what caused it.

Derived ids make redelivery harmless: the same contact always maps to the same work order, the same
work order to the same first dispatch, so a second delivery finds the first one's record, not a new one.
"""

from uuid import NAMESPACE_URL, uuid5


def work_order_id_for(contact_id: str) -> str:
    """The work order intake opens for a contact."""
    return "WO-" + uuid5(NAMESPACE_URL, f"hotline:contact:{contact_id}").hex[:20].upper()


REPLY_CODE_DIGITS = 4


def reply_code_for(work_order_id: str) -> str:
    """The extension notify texts a work order's news from (after the hotline's number, 10690000 + 4821):
    a customer's answer comes back to it, and names the work order among the customer's own (a clash of
    two of one customer's open work orders is one in ten thousand; intake then links the newest)."""
    digest = uuid5(NAMESPACE_URL, f"hotline:reply:{work_order_id}").int
    return str(digest % 10**REPLY_CODE_DIGITS).zfill(REPLY_CODE_DIGITS)


def dispatch_id_for(work_order_id: str, attempt: int = 1) -> str:
    """Forms spawned by one acceptance stay linked: the dispatch id carries the work order id."""
    return f"{work_order_id}-D{attempt}"


def follow_up_id_for(work_order_id: str, dispatch_id: str | None = None) -> str:
    """One follow-up visit per resolution of a work order: the first form's is the work order's own
    (as it always was), a later form's (after a reopening or a re-dispatch) is that form's."""
    if dispatch_id is None or dispatch_id == dispatch_id_for(work_order_id):
        return f"FU-{work_order_id}"
    return f"FU-{dispatch_id}"


def incident_id_for(opening_contact_id: str) -> str:
    """The incident a fault report opens: a redelivered report finds the one it opened."""
    return "INC-" + uuid5(NAMESPACE_URL, f"hotline:incident:{opening_contact_id}").hex[:20].upper()


def fault_cluster_id_for(province: str, area_code: str, category: str) -> str:
    """Where one area's fault reports of one category gather: one per province, area and category."""
    return f"{province}/{area_code}/{category}"
