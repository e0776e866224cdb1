from plumbing.serve import probe_app, serve
from plumbing.settings import ServiceSettings, load
from plumbing.telemetry import configure_logging
from services.intake.bootstrap import HTTP_PORT, bootstrap

if __name__ == "__main__":
    configure_logging()
    settings = load(ServiceSettings)
    serve(probe_app(bootstrap(settings)), settings, HTTP_PORT)
