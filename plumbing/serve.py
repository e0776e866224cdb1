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
        async with runtime.serving():
            yield

    app = FastAPI(title=f"hotline-{runtime.service}", lifespan=lifespan)
    add_probes(app, runtime)
    return app


def add_probes(app: FastAPI, runtime: Runtime) -> None:
    """/healthz: the process answers. /readyz: it reaches Kafka and its store, within a second, and says
    why not (for Kubernetes probes)."""

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", responses={503: {"description": "Not ready: the reason per check."}})
    async def readyz() -> JSONResponse:
        checks, reasons = await runtime.ready()
        if all(checks.values()):
            return JSONResponse({"ready": True, "checks": checks})
        return JSONResponse({"ready": False, "checks": checks, "reasons": reasons}, status_code=503)


def serve(app: FastAPI, settings: BusSettings, default_port: int) -> None:
    port = settings.hotline_http_port or default_port
    # Open requests get a few seconds to finish on SIGTERM; the runtime's own stop is bounded too, so the
    # process is gone within 10 s even with Kafka or the store down.
    uvicorn.run(
        app,
        host=settings.hotline_http_host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
        # A forwarded client address is taken only from proxies a service's settings name (the gateway's
        # GATEWAY_TRUSTED_PROXIES), never from uvicorn's default, any local process.
        proxy_headers=False,
    )
