from plumbing.serve import probe_app, serve
from plumbing.settings import load
from plumbing.telemetry import configure_logging
from services.dispatch.bootstrap import HTTP_PORT, bootstrap
from services.dispatch.settings import DispatchSettings

if __name__ == "__main__":
    configure_logging()
    settings = load(DispatchSettings)
    serve(probe_app(bootstrap(settings)), settings, HTTP_PORT)
