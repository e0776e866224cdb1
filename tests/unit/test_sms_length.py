"""How long a text is as it is sent and billed: GSM-7 160 characters or parts of 153, UCS-2 70 or parts of
67, and each sent text says so."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.sms_length import sms_length
from tests.fakes import envelope_of
from tests.unit.test_notify import Notify, replied


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),  # an extension character counts twice
        ("€" * 81, "gsm7", 162, 2),
        ("a" * 159 + "€", "gsm7", 161, 2),
        ("a" * 152 + "€" + "a" * 152, "gsm7", 306, 2),  # split by units, as Kannel splits
        ("停电" * 35, "ucs2", 70, 1),  # one Chinese character makes the whole text UCS-2
        ("停电" * 35 + "a", "ucs2", 71, 2),
        ("你" * 134, "ucs2", 134, 2),
        ("你" * 135, "ucs2", 135, 3),
        ("😀" * 67, "ucs2", 134, 2),  # two units each
    ],
)
def test_the_networks_count_of_a_text(text, encoding, units, parts):
    length = sms_length(text)
    assert (length.encoding, length.units, length.parts) == (encoding, units, parts)


@given(st.text(max_size=400))
def test_a_long_text_takes_as_many_parts_as_its_units_fill(text):
    length = sms_length(text)
    single, part = (160, 153) if length.encoding == "gsm7" else (70, 67)
    if length.units <= single:
        assert length.parts == 1
    else:
        assert length.parts == -(-length.units // part)


async def test_each_sent_text_says_its_alphabet_and_how_many_messages_it_took():
    notify = Notify()
    await notify.handlers.work_orders_replied([envelope_of(replied())])
    [(_, sent)] = notify.store.bus.published
    assert (sent.data.encoding, sent.data.parts) == ("ucs2", 1)
