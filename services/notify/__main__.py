from plumbing.serve import probe_app, serve
from plumbing.settings import load
from plumbing.telemetry import configure_logging
from services.notify.bootstrap import HTTP_PORT, bootstrap
from services.notify.settings import NotifySettings

if __name__ == "__main__":
    configure_logging()
    settings = load(NotifySettings)
    serve(probe_app(bootstrap(settings)), settings, HTTP_PORT)
