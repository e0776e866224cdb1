from plumbing.serve import serve
from plumbing.settings import BusSettings, load
from plumbing.telemetry import configure_logging
from services.gateway.bootstrap import HTTP_PORT, bootstrap

if __name__ == "__main__":
    configure_logging()
    settings = load(BusSettings)
    _, app = bootstrap(settings)
    serve(app, settings, HTTP_PORT)
