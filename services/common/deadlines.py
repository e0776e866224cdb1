"""A deadline as operators write it in their rules: so many hours, or so many working days."""

from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.working_days import add_working_days


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError("give exactly one of hours or working_days")
        return self

    def due(self, start: datetime) -> datetime:
        if self.hours is not None:
            return start + timedelta(hours=self.hours)
        assert self.working_days is not None
        return add_working_days(start, self.working_days)
