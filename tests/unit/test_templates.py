"""What customers read comes from the operator's templates: one per moment, a work-order type's own where
it has one, rendered in a sandbox; a template that names a field its moment lacks, or reaches for
anything unsafe, stops notify's start naming it."""

import json
from pathlib import Path

import pytest

from services.notify.domain.messages import accepted, replied
from services.notify.domain.templates import DEFAULT_TEMPLATES, Templates
from tests.unit.test_notify import dispatched
from tests.unit.test_notify import replied as a_reply

SHIPPED = json.loads(DEFAULT_TEMPLATES.read_text(encoding="utf-8"))


def with_template(tmp_path: Path, moment: str, text: str, by_type: str | None = None) -> Path:
    table = json.loads(json.dumps(SHIPPED))
    if by_type:
        table["by_type"][by_type] = {moment: {"sms": text}}
    else:
        table["templates"][moment] = {"sms": text}
    path = tmp_path / "templates.json"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_fault_repair_is_acknowledged_with_its_types_own_words_and_others_with_the_common_ones():
    templates = Templates.load("【电力热线】")
    repair = dispatched()
    complaint = repair.model_copy(update={"type": "complaint"})
    assert accepted(repair, templates).text.startswith(
        f"【电力热线】您的报修已受理，工单号{repair.work_order_id}"
    )
    assert accepted(complaint, templates).text.startswith("【电力热线】您反映的问题已受理")
    assert "11月23日12:00前答复" in accepted(complaint, templates).text


def test_a_result_reads_the_departments_message():
    reply = a_reply()
    sms = replied(reply, Templates.load("【热线】"))
    assert (sms.template, sms.text) == (
        "workorder.resolved",
        f"【热线】您的工单{reply.work_order_id}已办结：{reply.message}",
    )


def test_an_operators_own_template_is_used_for_its_moment(tmp_path):
    path = with_template(
        tmp_path, "workorder.progress", "{{ signature }}工单{{ work_order_id }}：{{ message }}"
    )
    reply = a_reply(kind="interim")
    assert (
        replied(reply, Templates.load("【热线】", path)).text
        == f"【热线】工单{reply.work_order_id}：{reply.message}"
    )


@pytest.mark.parametrize(
    ("moment", "text", "by_type", "named"),
    [
        ("workorder.resolved", "{{ signature }}{{ mesage }}", None, "templates.workorder.resolved.sms"),
        ("workorder.accepted", "{{ due.month }月", None, "templates.workorder.accepted.sms"),
        ("workorder.progress", "{{ ''.__class__.__mro__ }}", None, "templates.workorder.progress.sms"),
        ("workorder.closed", "{{ signature }}", None, "templates.workorder.closed: no such moment"),
        ("workorder.accepted", "{{ answer }}", "complaint", "by_type.complaint.workorder.accepted.sms"),
        # Fields only some events give, reached for on those alone: tried on every answer reason and type.
        (
            "workorder.answered",
            "{% if reason == 'outage' %}{{ restoration }}{% endif %}",
            None,
            "templates.workorder.answered.sms",
        ),
        (
            "workorder.progress",
            "{% if type == 'fault_repair' %}{{ due }}{% endif %}",
            None,
            "templates.workorder.progress.sms",
        ),
        ("workorder.resolved", "{{ message[0] }}", None, "templates.workorder.resolved.sms"),  # an empty one
    ],
)
def test_a_broken_template_stops_the_start_naming_it(tmp_path, moment, text, by_type, named):
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        Templates.load("【热线】", with_template(tmp_path, moment, text, by_type))
