"""Supply areas: a province's table, checked at start, places a work order by its location or else by the
longest address prefix an area claims."""

import json
from pathlib import Path

import httpx
import pytest

from contracts.events import AreaKind, WorkOrderType
from contracts.ids import work_order_id_for
from deploy.local.credentials import local_keys
from services.intake.domain.areas import DEFAULT_AREAS, AreaTable, table_for
from services.intake.domain.work_order import WorkOrder
from tests.fakes import FakeClock, InMemoryStore, RecordingPublisher, envelope_of
from tests.unit.test_gateway import app_with
from tests.unit.test_intake import a_contact, intake

GD = AreaTable.load(DEFAULT_AREAS / "gd.json")


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("广州市天河区体育西路 1 号", "gz-tianhe"),
        ("广东省广州市番禺区市桥街 8 号", "gz-panyu"),  # the province written first
        ("广东 广州市 从化区 温泉镇", "gz-conghua"),  # spaces mean nothing
        ("天河区林和西路", "gz-tianhe"),  # without the city
        ("广州市白云区机场路", "gz-city"),  # no district of its own: the city's catch-all
        ("深圳市南山区科技园", None),  # not in this sample table
    ],
)
def test_an_address_lies_in_the_area_of_its_longest_claimed_prefix(address, code):
    area = GD.resolve(address, None, None)
    assert (area.code if area else None) == code


@pytest.mark.parametrize(
    ("latitude", "longitude", "code", "kind"),
    [
        (23.13, 113.33, "gz-tianhe", AreaKind.URBAN),
        (22.94, 113.38, "gz-panyu", AreaKind.SUBURBAN),
        (23.55, 113.58, "gz-conghua", AreaKind.REMOTE),
    ],
)
def test_a_location_lies_in_the_area_whose_polygon_holds_it(latitude, longitude, code, kind):
    area = GD.resolve(None, latitude, longitude)
    assert area is not None
    assert (area.code, area.kind) == (code, kind)


def test_a_location_wins_over_an_address_that_says_otherwise():
    area = GD.resolve("广州市天河区体育西路", 22.94, 113.38)  # typed an old address, standing in Panyu
    assert area is not None
    assert area.code == "gz-panyu"


def test_a_location_outside_every_polygon_falls_back_to_the_address():
    area = GD.resolve("广州市越秀区北京路", 31.23, 121.47)  # a Shanghai location
    assert area is not None
    assert area.code == "gz-yuexiu"


def test_a_province_without_a_table_places_nothing():
    assert table_for("xz", None).resolve("拉萨市城关区", 29.65, 91.13) is None


def test_an_area_table_with_problems_is_refused_with_every_problem_listed(tmp_path: Path):
    table = json.loads((DEFAULT_AREAS / "gd.json").read_text())
    table["areas"] += [
        {
            "code": "gz-tianhe",
            "name": "again",
            "city": "广州市",
            "kind": "urban",
            "address_prefixes": ["海珠区"],
        },
        {
            "code": "gz-haizhu",
            "name": "海珠",
            "city": "广州市",
            "kind": "urban",
            "address_prefixes": ["天河区"],
        },
        {"code": "gz-empty", "name": "nowhere", "city": "广州市", "kind": "urban"},
        {
            "code": "gz-bowtie",
            "name": "x",
            "city": "广州市",
            "kind": "urban",
            "polygons": [[[0, 0], [1, 1], [1, 0], [0, 1]]],
        },
    ]
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match=r"areas\.json") as refused:
        AreaTable.load(path)
    problems = str(refused.value)
    assert "area gz-tianhe is in the table twice" in problems
    assert "'天河区' is claimed by gz-tianhe and gz-haizhu" in problems
    assert "gz-empty: neither an address prefix nor a polygon" in problems
    assert "gz-bowtie: polygon 0 is not a simple closed shape" in problems


def test_an_unknown_kind_of_area_is_refused(tmp_path: Path):
    table = json.loads((DEFAULT_AREAS / "gd.json").read_text())
    table["areas"][0]["kind"] = "rural"
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match=r"areas\.0\.kind"):
        AreaTable.load(path)


async def test_a_work_order_carries_the_area_its_address_lies_in():
    store: InMemoryStore[WorkOrder] = InMemoryStore()
    contact = a_contact(address="广州市番禺区市桥街 8 号", requested_type=WorkOrderType.FAULT_REPAIR)
    await intake(store, FakeClock()).contacts_received([envelope_of(contact)])
    order = store[work_order_id_for(contact.contact_id)]
    assert order.area is not None
    assert (order.area.code, order.area.kind) == ("gz-panyu", AreaKind.SUBURBAN)
    [(_, created)] = store.bus.published
    assert created.data.area.code == "gz-panyu"


async def test_a_web_contact_sends_its_location_whole_or_not_at_all():
    publisher = RecordingPublisher()
    web = {"Authorization": f"Bearer {local_keys()['gd.channel.web']}"}
    contact = {"phone": "13926012345", "description": "停电", "type": "fault_repair"}
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        located = await client.post(
            "/v1/contacts/web", json=contact | {"latitude": 23.13, "longitude": 113.33}, headers=web
        )
        half = await client.post("/v1/contacts/web", json=contact | {"latitude": 23.13}, headers=web)
    assert (located.status_code, half.status_code) == (202, 422)
    [event] = publisher.published
    assert (event.latitude, event.longitude) == (23.13, 113.33)


def a_table(tmp_path: Path, **changes: object) -> Path:
    table = json.loads((DEFAULT_AREAS / "gd.json").read_text()) | changes
    path = tmp_path / "areas.json"
    path.write_text(json.dumps(table, ensure_ascii=False))
    return path


def test_the_reading_of_an_address_that_places_most_of_it_wins_over_a_short_catch_all(tmp_path: Path):
    jilin = {
        "province": "jl",
        "address_leaders": ["吉林省", "吉林"],
        "areas": [
            {
                "code": "jl-city",
                "name": "吉林市区",
                "city": "吉林市",
                "kind": "urban",
                "address_prefixes": ["吉林"],
            },
            {
                "code": "cc-chaoyang",
                "name": "朝阳",
                "city": "长春市",
                "kind": "urban",
                "address_prefixes": ["长春市朝阳区"],
            },
        ],
    }
    table = AreaTable.load(a_table(tmp_path, **jilin), "jl")
    assert [table.resolve(a, None, None).code for a in ("吉林省长春市朝阳区人民大街", "吉林市船营区")] == [  # type: ignore[union-attr]
        "cc-chaoyang",
        "jl-city",
    ]


def test_a_point_on_the_edge_of_two_areas_lies_in_the_smaller(tmp_path: Path):
    area = GD.resolve(None, 23.13, 113.30)  # the Tianhe and Yuexiu boxes share this edge
    assert area is not None
    assert area.code == "gz-yuexiu"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"province": "bj"}, "the table is bj's, this subsystem gd's"),
        ({"areas": []}, "areas"),
        ({"address_leaders": ["　"]}, "is blank"),
    ],
)
def test_a_table_of_another_province_or_with_nothing_in_it_is_refused(tmp_path: Path, changes, problem):
    with pytest.raises(ValueError, match=r"areas\.json") as refused:
        AreaTable.load(a_table(tmp_path, **changes), "gd")
    assert problem in str(refused.value)


def test_corners_written_latitude_first_are_refused(tmp_path: Path):
    table = json.loads((DEFAULT_AREAS / "gd.json").read_text())
    table["areas"][0]["polygons"] = [[[23.10, 113.30], [23.10, 113.45], [23.25, 113.45]]]
    with pytest.raises(ValueError, match=r"areas\.0\.polygons\.0\.0\.1"):
        AreaTable.load(a_table(tmp_path, areas=table["areas"]))


def test_a_blank_address_prefix_is_refused(tmp_path: Path):
    table = json.loads((DEFAULT_AREAS / "gd.json").read_text())
    table["areas"][0]["address_prefixes"].append(" ")
    with pytest.raises(ValueError, match="gz-tianhe: an address prefix is blank"):
        AreaTable.load(a_table(tmp_path, areas=table["areas"]))
