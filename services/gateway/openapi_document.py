"""`python -m services.gateway.openapi_document --out openapi.json` (`make openapi`): the gateway's OpenAPI
document as the running gateway serves it at /openapi.json, written without starting it. The app is built
as a local gateway would be; nothing connects to Kafka or the store to describe it."""

import argparse
import contextlib
import json
import sys
from pathlib import Path

from plumbing.documents import write_document
from services.gateway.bootstrap import bootstrap
from services.gateway.settings import GatewaySettings


def document() -> dict[str, object]:
    """Every setting that shapes the document is given, so the environment changes nothing in it."""
    settings = GatewaySettings(
        kafka_bootstrap_servers="127.0.0.1:9092",
        mongodb_uri="mongodb://127.0.0.1:27017/",
        hotline_tier="province",
        hotline_province="gd",
        hotline_environment="local",
        gateway_principals_path=None,
    )
    with contextlib.redirect_stdout(sys.stderr):  # the gateway's start-up warnings are not the document
        return bootstrap(settings).app.openapi()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway.openapi_document")
    parser.add_argument("--out", type=Path, help="the file to write (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    write_document(text, args.out)


if __name__ == "__main__":
    main()
