"""Each work-order type's fields as intake's rules hold them (services/intake/work_order_fields.json):
announced when intake starts and again every hour, so the gateway can describe the types to channels
that ask what a contact of each type needs (Open311's service definitions) without reading intake's
files. Intake stays the one owner of the rules; the gateway keeps the latest announcement."""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Event
from contracts.events.vocabulary import WorkOrderType


class TypeFieldsAnnounced(BaseModel):
    """One type's rules: fields by name, the contact's own (address, category, location, ...) or the
    type's details (reported_party, ...)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: WorkOrderType
    required: list[str] = Field(default=[], description="What a contact of this type must give.")
    optional: list[str] = Field(default=[], description="What it may give.")
    categories: list[str] = Field(default=[], description="The categories it may name, in the rules' order.")


class WorkOrderFieldsInForceV1(Event):
    ce_type: ClassVar[str] = "hotline.intake.fields_in_force.v1"

    province: str
    types: list[TypeFieldsAnnounced] = Field(min_length=1, description="Every work-order type, once.")
    digest: str = Field(description="SHA-256 of the rules as read, to tell one version from another.")
    loaded_at: datetime = Field(description="When the announcing replica read the rules.")

    def subject(self) -> str:
        return self.province
