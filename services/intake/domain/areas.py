"""Supply and service areas, as each province's operator draws them (data, checked when intake starts),
and which one a location or an address lies in.

A location is placed by the areas' polygons (through shapely's STRtree, not a scan of them); an address
by the longest address prefix an area claims ("广州市天河区体育西路" before "广州市天河区"), one dictionary
lookup per character of the longest prefix, whatever the table's size.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from shapely import STRtree
from shapely.errors import ShapelyError
from shapely.geometry import Point, Polygon

from contracts.events import Area, AreaKind
from services.common.rule_files import read_table

DEFAULT_AREAS = Path(__file__).parents[1] / "areas"
# (longitude, latitude) corners, WGS 84. The bounds catch a table written (latitude, longitude), as many
# Chinese sources are: its "latitudes" of 113 are refused instead of drawing shapes nothing lies in.
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Ring = list[tuple[Longitude, Latitude]]


class AreaEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1)
    city: str = Field(min_length=1)
    district: str | None = None
    kind: AreaKind
    address_prefixes: list[str] = Field(default=[])
    polygons: list[Ring] = Field(default=[])

    def as_area(self) -> Area:
        return Area(code=self.code, name=self.name, city=self.city, district=self.district, kind=self.kind)


class AreaFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    province: str
    # Written before an address by some callers and by no prefix of the table ("广东省").
    address_leaders: list[str] = Field(default=[])
    areas: list[AreaEntry] = Field(min_length=1)


def _normalised(address: str) -> str:
    return "".join(address.split())  # spaces, full-width ones too, mean nothing in a Chinese address


@dataclass(frozen=True)
class AreaTable:
    province: str | None
    _by_prefix: dict[str, Area]
    _longest: int
    _leaders: tuple[str, ...]
    _tree: STRtree | None
    _shapes: tuple[tuple[Polygon, Area], ...]

    @classmethod
    def empty(cls) -> "AreaTable":
        return cls(None, {}, 0, (), None, ())

    @classmethod
    def load(cls, path: Path, province: str | None = None) -> "AreaTable":
        """The table in a file (of `province`, where given), or ValueError listing every problem in it."""
        document = read_table(AreaFile, path, "an area table")
        by_prefix: dict[str, Area] = {}
        shapes: list[tuple[Polygon, Area]] = []
        problems = []
        if province is not None and document.province != province:
            problems.append(f"the table is {document.province}'s, this subsystem {province}'s")
        problems += [
            f"address leader {leader!r} is blank"
            for leader in document.address_leaders
            if not _normalised(leader)
        ]
        codes = [entry.code for entry in document.areas]
        problems += [
            f"area {code} is in the table twice" for code in sorted(set(codes)) if codes.count(code) > 1
        ]
        for entry in document.areas:
            if not entry.address_prefixes and not entry.polygons:
                problems.append(
                    f"area {entry.code}: neither an address prefix nor a polygon places anything in it"
                )
            for raw in dict.fromkeys(entry.address_prefixes):
                prefix = _normalised(raw)
                if not prefix:
                    problems.append(f"area {entry.code}: an address prefix is blank")
                    continue
                if prefix in by_prefix:
                    problems.append(
                        f"address prefix {raw!r} is claimed by {by_prefix[prefix].code} and {entry.code}"
                    )
                by_prefix[prefix] = entry.as_area()
            for index, ring in enumerate(entry.polygons):
                try:
                    polygon = Polygon(ring) if len(ring) >= 3 else None
                except ShapelyError:
                    polygon = None
                if polygon is None or not polygon.is_valid or polygon.area == 0:
                    problems.append(f"area {entry.code}: polygon {index} is not a simple closed shape")
                else:
                    shapes.append((polygon, entry.as_area()))
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        tree = STRtree([shape for shape, _ in shapes]) if shapes else None
        longest = max((len(prefix) for prefix in by_prefix), default=0)
        leaders = tuple(
            sorted((_normalised(leader) for leader in document.address_leaders), key=len, reverse=True)
        )
        return cls(document.province, by_prefix, longest, leaders, tree, tuple(shapes))

    def resolve(self, address: str | None, latitude: float | None, longitude: float | None) -> Area | None:
        """The area of the location if one contains it, else of the address; None if neither is known."""
        if latitude is not None and longitude is not None and self._tree is not None:
            found = self._tree.query(Point(longitude, latitude), predicate="intersects")
            if len(found):
                # Where areas overlap, the smaller is the more precise.
                # Where areas overlap, the smaller is the more precise (then the code: the same every time).
                smallest: tuple[Polygon, Area] = min(
                    (self._shapes[int(i)] for i in found),
                    key=lambda shape: (float(shape[0].area), shape[1].code),
                )
                return smallest[1]
        if address is None:
            return None
        text = _normalised(address)
        # As written, and without each leader it starts with: the reading that places the most of the
        # address wins ("吉林省长春市…" is Changchun, not the catch-all of a city named "吉林").
        readings = [(0, text)] + [
            (len(lead), text[len(lead) :]) for lead in self._leaders if text.startswith(lead)
        ]
        best: tuple[int, Area] | None = None
        for offset, reading in readings:
            placed = self._prefix_of(reading)
            if placed is not None and (best is None or offset + placed[0] > best[0]):
                best = (offset + placed[0], placed[1])
        return best[1] if best else None

    def _prefix_of(self, text: str) -> tuple[int, Area] | None:
        for length in range(min(len(text), self._longest), 0, -1):
            area = self._by_prefix.get(text[:length])
            if area is not None:
                return length, area
        return None


def table_for(province: str, path: Path | None) -> AreaTable:
    """The province's table: `path`, else the one shipped for the province, else an empty one."""
    if path is not None:
        return AreaTable.load(path, province)
    shipped = DEFAULT_AREAS / f"{province}.json"
    return AreaTable.load(shipped, province) if shipped.exists() else AreaTable.empty()
