"""Serving a consumer service: its runtime under uvicorn, with liveness and readiness probes."""

import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from plumbing.runtime import Runtime
from plumbing.settings import BusSettings


def probe_app(runtime: Runtime) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    app = FastAPI(title=f"hotline-{runtime.service}", lifespan=lifespan)
    add_probes(app, runtime)
    return app


def add_probes(app: FastAPI, runtime: Runtime) -> None:
    """/healthz: the process answers. /readyz: it reaches Kafka and its store (for Kubernetes probes)."""

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await runtime.ready()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def serve(app: FastAPI, settings: BusSettings, default_port: int) -> None:
    port = settings.hotline_http_port or default_port
    uvicorn.run(app, host=settings.hotline_http_host, port=port, log_config=None, access_log=False)
