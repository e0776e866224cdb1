"""What the demo sends: a billing export of two customers, then three contacts (two from their numbers;
the complaint without the business it is about, so it waits for its owner to supply it)."""

from datetime import UTC, datetime

from services.gateway.customer_import import COLUMNS

SAMPLES = [
    {
        "phone": "13926012345",
        "customer_name": "陈女士",
        "type": "fault_repair",
        "category": "no_power",
        "address": "广州市天河区体育西路 1 号",
        "description": "家里整栋楼停电，冰箱里有药品",
    },
    {
        "phone": "13800138000",
        "customer_name": "王先生",
        "type": "complaint",
        "description": "本月电费比上月高出三倍，怀疑抄表错误",
    },
    {
        "phone": "020 8765 4321",
        "customer_name": "某某物业",
        "type": "query",
        "category": "payment",
        "description": "想查询小区公共用电的缴费记录",
    },
]


def customer_export() -> str:
    """陈女士 is a long-standing, high-spending customer (the high tier); 某某物业 a business on the red
    list. 王先生 is not in the directory: his work order is served as a normal customer's."""
    changed = datetime.now(UTC).isoformat()
    return "\n".join(
        [
            ",".join(COLUMNS),
            f"4401000001,陈女士,13926012345,resident,广州市天河区,420,2015-06-01,860,no,no,{changed}",
            f"4401000002,某某物业,02087654321,business,,2600,2012-01-01,900,yes,no,{changed}",
        ]
    )
