from plumbing.serve import probe_app, serve
from plumbing.settings import load
from plumbing.telemetry import configure_logging
from services.qa.bootstrap import HTTP_PORT, bootstrap
from services.qa.settings import QaSettings

if __name__ == "__main__":
    configure_logging()
    settings = load(QaSettings)
    serve(probe_app(bootstrap(settings)), settings, HTTP_PORT)
