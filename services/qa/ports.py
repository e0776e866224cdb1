"""What qa's handlers need: a unit of work over its follow-ups."""

from collections.abc import Callable

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.qa.domain.follow_up import FollowUp


class QaUnit(UnitOfWork):
    def __init__(self, source: str, follow_ups: Repository[FollowUp]) -> None:
        super().__init__(source, [follow_ups])
        self.follow_ups = follow_ups


UnitFactory = Callable[[], QaUnit]
