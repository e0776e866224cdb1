"""What every event payload shares: a CloudEvents type carrying the major version, and a minor version.

Evolution rules (docs in contracts/README.md, checked by tests/unit/test_contracts.py):
a minor version may only add optional fields; anything else is a new major type (".v2") published
side by side with the old one while consumers migrate.
"""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    # Consumers ignore fields they do not know yet, so a producer may move to a newer minor version first.
    model_config = ConfigDict(extra="ignore", frozen=True)

    ce_type: ClassVar[str]
    minor_version: ClassVar[int] = 0

    @classmethod
    def schema_version(cls) -> str:
        major = cls.ce_type.rsplit(".v", 1)[1]
        return f"{major}.{cls.minor_version}"

    def subject(self) -> str:
        """The aggregate id: CloudEvents subject and Kafka record key.

        One aggregate's events share a partition, so they stay in order.
        """
        raise NotImplementedError
