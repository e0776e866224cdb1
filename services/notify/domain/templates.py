"""What the customer reads, as data an operator keeps (services/notify/templates.json, or TEMPLATES_PATH):
one template per moment of a work order's life and channel, a work-order type's own where it has one,
rendered in Jinja2's sandbox (a template reads the fields it is given, and calls nothing unsafe).

Every template is compiled and tried on sample fields when notify starts: a misspelt field or a broken
tag stops the start naming the template, rather than a customer's text failing later.
"""

from collections.abc import Mapping
from datetime import datetime
from itertools import product
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import AnswerReason, WorkOrderType
from services.common.rule_files import read_table
from services.common.working_days import CHINA_TIME

DEFAULT_TEMPLATES = Path(__file__).parent.parent / "templates.json"
CHANNELS = ("sms",)
_SAMPLE_DUE = datetime(2026, 1, 1, 12, 0, tzinfo=CHINA_TIME)
# Each moment and the fields it gives, beyond signature, work_order_id and type: the samples every
# template is tried on, for every work-order type, at start (each value a field can take that changes
# what a template may do: every answer reason, an empty message).
MOMENTS: dict[str, list[dict[str, Any]]] = {
    "workorder.accepted": [{"due": _SAMPLE_DUE}],
    "workorder.progress": [{"message": "已派员处理"}, {"message": ""}],
    "workorder.resolved": [{"message": "已修复"}, {"message": ""}],
    "workorder.answered": [
        {"answer": "您所在区域计划停电，预计17:00恢复", "reason": reason.value} for reason in AnswerReason
    ],
    "contact.linked.incident": [{}],
    "contact.linked.repeat": [{}],
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
                    types = [work_order_type] if work_order_type else [kind.value for kind in WorkOrderType]
                    try:
                        compiled = environment.from_string(source)
                        for kind, sample in product(types, MOMENTS[moment]):
                            compiled.render(self._fields("WO-SAMPLE", kind, sample))
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
