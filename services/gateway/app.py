"""The gateway's HTTP API: channels post contacts, departments post replies, billing keeps the customer
directory, readers read work orders as their role may, agents work their lists, customers ask after
their own, auditors read the trail; what is posted or read lands in the audit trail."""

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import SecretStr
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from plumbing.bus import EventPublisher
from plumbing.runtime import Runtime
from plumbing.serve import add_probes
from services.gateway.access import Access
from services.gateway.audit import AuditWriter
from services.gateway.audit_api import add_audit_api
from services.gateway.auth import AuthenticatedFirst, Authenticator, answer_unauthenticated
from services.gateway.case_files import CaseFiles
from services.gateway.customer_api import IMPORT_PATH, add_customer_api
from services.gateway.customer_lookups import add_customer_lookups
from services.gateway.desk_api import add_desk_api
from services.gateway.dispatch_api import add_dispatch_api
from services.gateway.dispatch_lookup import DispatchLookup
from services.gateway.fields_copy import FieldsCopy, InMemoryFieldsCopy
from services.gateway.idempotency import InMemoryKeyBook, KeyBook
from services.gateway.kannel_api import NO_KANNEL, KannelSettings, add_kannel_api
from services.gateway.limits import BodyLimit, RateLimit
from services.gateway.list_api import add_list_api
from services.gateway.oauth import add_token_endpoint
from services.gateway.open311_api import add_open311_api
from services.gateway.open311_formats import Open311Errors
from services.gateway.openapi import document_problems
from services.gateway.outage_api import add_outage_api
from services.gateway.outages import OutageBook
from services.gateway.ports import AuditTrail
from services.gateway.posts import add_posts
from services.gateway.principals import Caller
from services.gateway.privacy import FieldAccess
from services.gateway.problems import answer_problems
from services.gateway.routing_copy import RoutingCopy
from services.gateway.server_errors import ServerErrors
from services.gateway.service_passwords import ServicePasswords
from services.gateway.twilio_api import TwilioSettings, add_twilio_api
from services.gateway.twilio_signature import KeepPeer
from services.gateway.voice_api import add_voice_api
from services.gateway.voice_routing.api import DecisionTally, add_voice_routing_api
from services.gateway.voice_routing.callback_api import add_callback_api
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.work_order_api import add_work_order_api


@dataclass(frozen=True)
class Readers:
    """What the reading routes need: the case files, who sees which field, how many lookups a customer's
    work order takes, intake's field rules as last announced; and what voice routing keeps in memory."""

    cases: CaseFiles
    field_access: FieldAccess
    lookup_attempts_rate: str
    outages: OutageBook
    routing: RoutingCopy
    passwords: ServicePasswords
    voice: VoiceRouting
    fields: FieldsCopy = field(default_factory=InMemoryFieldsCopy)  # intake's rules, for Open311


def create_app(
    runtime: Runtime,
    publisher: EventPublisher,
    access: Access,
    trail: AuditTrail,
    readers: Readers,
    *,
    max_body_bytes: int = 65536,
    max_import_bytes: int = 8 * 1024 * 1024,
    dispatch_patience: float = 3.0,
    trusted_proxies: Sequence[str] = (),
    twilio_auth_token: SecretStr | None = None,
    kannel: KannelSettings = NO_KANNEL,
    keys: KeyBook | None = None,
) -> FastAPI:
    topics = runtime.settings.topics
    province = runtime.settings.hotline_province
    authenticator = Authenticator(access.principals, access.tokens, access.rate)
    Authenticated = Annotated[Caller, Depends(authenticator.dependency())]
    audit = AuditWriter(publisher, topics.audit, province)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.serving():
            yield

    app = FastAPI(title="Hotline gateway", version="1", lifespan=lifespan)
    app.router.route_class = AuthenticatedFirst
    app.state.authenticator = authenticator
    app.state.idempotency = keys or InMemoryKeyBook()  # the store's, but for tests and a lone local gateway
    app.state.log = runtime.log
    answer_unauthenticated(app)
    answer_problems(app, audit, runtime.log)
    limits = (access.rate, access.token_failures)
    add_token_endpoint(app, access.principals, access.tokens, limits, audit)
    larger = {IMPORT_PATH: max_import_bytes}
    app.add_middleware(ServerErrors, log=runtime.log)  # innermost: the ones outside see its 500 as any answer
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, larger=larger)
    app.add_middleware(Open311Errors)  # outside the body limit: its 413 is Open311's too
    if trusted_proxies:  # the client as the proxies saw it, for everything after (GATEWAY_TRUSTED_PROXIES)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))
    app.add_middleware(KeepPeer)  # outermost: the peer itself, for the Twilio URL's check
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracer_provider,
        meter_provider=runtime.telemetry.meter_provider,
        # A span per routing decision, a thousand a second, would drown the traces (they are counted).
        excluded_urls="healthz,readyz,v1/voice/routing-decisions",
    )
    lookup = DispatchLookup(readers.cases, patience=dispatch_patience)
    add_posts(app, Authenticated, publisher, audit, lookup, topics, province, access.seal)
    add_voice_api(
        app, Authenticated, publisher, audit, topics, province, access.seal, readers.voice.standings
    )
    tally = DecisionTally(audit, runtime.log)
    runtime.loops.append(tally.keep_recording)
    add_voice_routing_api(app, Authenticated, readers.voice, tally, province)
    add_callback_api(app, Authenticated, publisher, audit, topics, province, readers.voice.callbacks)
    twilio = TwilioSettings(twilio_auth_token, trusted_proxies)
    add_twilio_api(
        app, publisher, audit, topics, province, twilio, access.seal, runtime.log, readers.voice.standings
    )
    add_kannel_api(app, publisher, audit, topics, province, kannel, runtime.log)
    add_audit_api(app, Authenticated, trail, audit, province)
    add_customer_api(app, Authenticated, publisher, audit, topics.customers, province, readers.passwords)
    add_work_order_api(app, Authenticated, readers.cases, readers.field_access, audit, province, access.seal)
    publishing = (publisher, audit, topics.workorder_actions)
    add_desk_api(
        app, Authenticated, readers.cases, readers.field_access, publishing, access.principals, province
    )
    add_dispatch_api(
        app, Authenticated, (readers.cases, readers.routing), lookup, (publisher, audit, topics), province
    )
    add_outage_api(app, Authenticated, readers.outages, (publisher, audit, topics.outages), province)
    attempts = RateLimit(readers.lookup_attempts_rate)
    add_customer_lookups(app, Authenticated, readers.cases, audit, attempts, province, readers.passwords)
    add_list_api(app, Authenticated, readers.cases, readers.outages, readers.field_access, audit, province)
    add_open311_api(
        app, Authenticated, (publisher, audit, topics), (readers.cases, readers.fields), province, access.seal
    )
    add_probes(app, runtime)
    document_problems(app)
    return app
