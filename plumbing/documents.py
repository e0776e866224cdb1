"""Where a generated document goes: a file, or standard output (`make asyncapi`, `make openapi`)."""

import sys
from pathlib import Path


def write_document(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
