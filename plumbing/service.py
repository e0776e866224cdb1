"""What a service's bootstrap builds: its runtime, the HTTP app that serves it, and its handlers."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import FastAPI

from plumbing.runtime import Runtime

H = TypeVar("H")


@dataclass(frozen=True)
class Service(Generic[H]):
    runtime: Runtime
    # The gateway's API, or the probes of a consumer service; either runs the runtime in its lifespan.
    app: FastAPI
    # What the consumers call, exposed so unit tests drive a bootstrapped service without a broker.
    handlers: H
