"""What the customer reads, as data an operator keeps (services/notify/templates.json, or TEMPLATES_PATH):
one template per moment of a work order's life and channel, a work-order type's own where it has one,
rendered in Jinja2's sandbox (a template reads the fields it is given, and calls nothing unsafe).

Every template is compiled and tried on sample fields when notify starts: a misspelt field or a broken
tag stops the start naming the template, rather than a customer's text failing later.
"""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import WorkOrderType
from services.common.rule_files import read_table
from services.common.working_days import CHINA_TIME

DEFAULT_TEMPLATES = Path(__file__).parent.parent / "templates.json"
CHANNELS = ("sms",)
_SAMPLE_DUE = datetime(2026, 1, 1, 12, 0, tzinfo=CHINA_TIME)
# Each moment and the fields it gives, beyond signature, work_order_id and type (with sample values).
MOMENTS: dict[str, dict[str, Any]] = {
    "workorder.accepted": {"due": _SAMPLE_DUE},
    "workorder.progress": {"message": "已派员处理"},
    "workorder.resolved": {"message": "已修复"},
    "workorder.answered": {"answer": "您所在区域计划停电，预计17:00恢复", "reason": "known_outage"},
    "contact.linked.incident": {},
    "contact.linked.repeat": {},
}


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    templates: dict[str, dict[str, str]]
    by_type: dict[WorkOrderType, dict[str, dict[str, str]]] = {}


class Templates:
    def __init__(self, file: TemplateFile, signature: str) -> None:
        self._signature = signature
        environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        problems: list[str] = []
        self._compiled: dict[tuple[str, str, str | None], Template] = {}
        for moment in MOMENTS:
            if not all(channel in file.templates.get(moment, {}) for channel in CHANNELS):
                problems.append(
                    f"templates.{moment}: missing (every moment has one for {', '.join(CHANNELS)})"
                )
        places = [(None, file.templates)] + [(kind.value, moments) for kind, moments in file.by_type.items()]
        for work_order_type, moments in places:
            for moment, channels in moments.items():
                where = f"by_type.{work_order_type}.{moment}" if work_order_type else f"templates.{moment}"
                if moment not in MOMENTS:
                    problems.append(f"{where}: no such moment (known: {', '.join(MOMENTS)})")
                    continue
                for channel, source in channels.items():
                    try:
                        compiled = environment.from_string(source)
                        sample = self._fields("WO-SAMPLE", work_order_type or "query", MOMENTS[moment])
                        compiled.render(sample)
                    except TemplateError as error:
                        problems.append(f"{where}.{channel}: {error}")
                        continue
                    self._compiled[(moment, channel, work_order_type)] = compiled
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def load(cls, signature: str, path: Path = DEFAULT_TEMPLATES) -> "Templates":
        return cls(read_table(TemplateFile, path, "a template file"), signature)

    def render(
        self,
        moment: str,
        work_order_id: str,
        work_order_type: str,
        fields: Mapping[str, Any],
        channel: str = "sms",
    ) -> str:
        """The text of `moment` for that work order; `fields` as MOMENTS lists them."""
        compiled = self._compiled
        template = compiled.get((moment, channel, work_order_type)) or compiled[(moment, channel, None)]
        return template.render(self._fields(work_order_id, work_order_type, fields))

    def _fields(self, work_order_id: str, work_order_type: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        given = {"signature": self._signature, "work_order_id": work_order_id, "type": work_order_type}
        return given | dict(fields)
