"""The local SMSC's log read as a phone shows it: a long text sent in parts is one message again."""

from urllib.parse import quote_from_bytes

from deploy.local.watch import assembled


def logged(number: int, to: str, kind: str, text: str) -> str:
    return f"2026-12-03 06:00:02 [1] [0] DEBUG: Got message {number}: <12345 {to} {kind} {text}>"


def ucs2(text: str) -> str:
    return quote_from_bytes(text.encode("utf-16-be"))


def test_a_text_sent_in_two_parts_reads_as_one_once_both_are_in():
    first = logged(1, "+8613991012349", "udh", f"%05%00%03%16%02%01 data {ucs2('您的工单已')}")
    second = logged(2, "+8613991012349", "udh", f"%05%00%03%16%02%02 data {ucs2('办结。')}")
    assert assembled([first]) == []
    [message] = assembled([first, second])
    assert (message.to, message.text) == ("+8613991012349", "您的工单已办结。")


def test_a_short_text_reads_as_it_came_and_other_lines_are_ignored():
    lines = [logged(3, "+8613926012345", "ucs-2", ucs2("已受理")), "2026-12-03 INFO: Starting to service"]
    [message] = assembled(lines)
    assert message.text == "已受理"
