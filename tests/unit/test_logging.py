import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from plumbing.telemetry import configure_logging, get_logger


def test_log_lines_are_json_carrying_the_current_trace_id(capsys):
    configure_logging()
    try:
        with TracerProvider().get_tracer("test").start_as_current_span("handling") as span:
            get_logger("intake").info("work order stored", work_order_id="WO-1")
            logging.getLogger("aiokafka").warning("a library speaks")
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    trace_id = format(span.get_span_context().trace_id, "032x")
    ours, library = lines
    assert ours["event"] == "work order stored"
    assert ours["service"] == "intake"
    assert ours["work_order_id"] == "WO-1"
    assert ours["trace_id"] == trace_id
    assert library["logger"] == "aiokafka"
    assert library["trace_id"] == trace_id
