"""What the operator's SMSC received, read from fakesmsc's log from where the test started watching."""

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from tests.support.running import eventually

# fakesmsc logs each message it receives as `Got message N: <from to type text>`; UCS-2 text comes
# URL-encoded as big-endian UTF-16 bytes, with "+" for a space byte. A message longer than one SMS arrives
# as several `udh ... data` lines, one per part.
_RECEIVED = re.compile(r"Got message \d+: <(?P<sender>\S+) (?P<to>\S+) (?P<kind>\S+) (?P<text>.*)>$")


@dataclass(frozen=True)
class ReceivedSms:
    sender: str
    to: str
    text: str


def parse(line: str) -> ReceivedSms | None:
    match = _RECEIVED.search(line)
    if match is None:
        return None
    raw = match["text"]
    if match["kind"] == "ucs-2":
        text = unquote_to_bytes(raw.replace("+", "%20")).decode("utf-16-be", errors="replace")
    else:
        text = raw
    return ReceivedSms(match["sender"], match["to"], text)


class SmsInbox:
    def __init__(self, log: Path | None) -> None:
        if log is None:
            raise AssertionError("FAKESMSC_LOG is not set: the SMS tests need the local Kannel with fakesmsc")
        self._log = log
        self._start = log.stat().st_size if log.exists() else 0

    def received(self) -> list[ReceivedSms]:
        if not self._log.exists():
            return []
        with self._log.open("rb") as log:
            log.seek(self._start)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        return [sms for sms in map(parse, lines) if sms is not None]

    async def find(self, *fragments: str, timeout: float = 60.0) -> ReceivedSms:
        """The first message received whose text contains every fragment."""

        async def probe() -> ReceivedSms | None:
            return next((sms for sms in self.received() if all(f in sms.text for f in fragments)), None)

        return await eventually(probe, timeout=timeout)
