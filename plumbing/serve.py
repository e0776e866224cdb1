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

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await runtime.ready()
        return JSONResponse(
            {"ready": all(checks.values()), "checks": checks},
            status_code=200 if all(checks.values()) else 503,
        )

    return app


def serve(app: FastAPI, settings: BusSettings, default_port: int) -> None:
    port = settings.hotline_http_port or default_port
    uvicorn.run(app, host=settings.hotline_http_host, port=port, log_config=None, access_log=False)
