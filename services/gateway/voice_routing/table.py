"""The province's voice routing table, as data: a group of agents per city, the public group that takes
everything, and how many agents each has on shift (a group with every agent busy is full)."""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.provinces import is_province_code

TABLES = Path(__file__).parent / "tables"


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    group_id: str = Field(min_length=1, max_length=64)
    agents: int = Field(ge=0, description="Agents on shift: busy with as many calls, the group is full.")


class CityGroup(Group):
    city: str = Field(min_length=1, description="As libphonenumber's geocoder names it, in English.")


class VoiceRoutingTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    province: str
    public: Group
    cities: list[CityGroup]

    @model_validator(mode="after")
    def _consistent(self) -> "VoiceRoutingTable":
        problems = []
        if not is_province_code(self.province):
            problems.append(f"{self.province!r} is not a province code")
        cities = [group.city.lower() for group in self.cities]
        problems += [
            f"the city {city!r} has two groups" for city in sorted(set(cities)) if cities.count(city) > 1
        ]
        ids = [self.public.group_id, *(group.group_id for group in self.cities)]
        problems += [f"the group id {i!r} is used twice" for i in sorted(set(ids)) if ids.count(i) > 1]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def load(cls, path: Path) -> "VoiceRoutingTable":
        return cls.model_validate(json.loads(path.read_text()))

    @classmethod
    def for_province(cls, province: str, path: Path | None = None) -> "VoiceRoutingTable":
        """The given file, else the one shipped for the province, else every call to one public group
        (a province that has not set its table up yet still answers its calls)."""
        shipped = TABLES / f"{province}.json"
        if path is not None:
            table = cls.load(path)
        elif shipped.exists():
            table = cls.load(shipped)
        else:
            return cls(province=province, public=Group(group_id=f"{province}-public", agents=0), cities=[])
        if table.province != province:
            raise ValueError(f"the voice routing table is {table.province}'s, this subsystem {province}'s")
        return table

    def group_of(self, city: str | None) -> CityGroup | None:
        """The group of a city as the geocoder names it; a district it names with its city
        ("Shunde/Foshan") is the city's."""
        names = {part.strip().lower() for part in (city or "").split("/")} - {""}
        return next((group for group in self.cities if group.city.lower() in names), None)

    def agents(self) -> dict[str, int]:
        return {self.public.group_id: self.public.agents} | {g.group_id: g.agents for g in self.cities}
