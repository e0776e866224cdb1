import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from plumbing.logs import OncePerInterval, configure_logging, get_logger


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


def test_a_library_repeating_one_error_is_logged_once_per_interval_with_a_count_of_the_rest():
    now = [0.0]
    limiter = OncePerInterval(interval=10.0, clock=lambda: now[0])

    def record(message: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
        return logging.LogRecord("aiokafka", level, __file__, 1, message, args, None)

    passed = [
        limiter.filter(entry)
        for entry in [record("Unable connect to node with id %s", n) for n in range(500)]
    ]
    assert passed.count(True) == 1, "one line for 500 tries within the interval"
    assert limiter.filter(record("Unable to update metadata")), "another kind of error is its own line"
    assert limiter.filter(record("retrying %s", 1, level=logging.INFO)), "info lines are not limited"
    ours = [record("x") for _ in range(3)]
    for line in ours:
        line.msg = {"event": "dead-lettered a record", "offset": 7}
    assert all(limiter.filter(line) for line in ours), "our own lines each name their record: all pass"

    now[0] = 10.0
    next_one = record("Unable connect to node with id %s", 1)
    assert limiter.filter(next_one)
    assert next_one.getMessage() == "Unable connect to node with id 1 (and 499 more like it in the last 10 s)"
