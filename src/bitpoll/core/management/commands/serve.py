"""`bitpoll serve`: the production server."""

from __future__ import annotations

import logging
import os
import queue
import signal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication

from bitpoll import __version__
from bitpoll.core import staticstamp
from bitpoll.core.memory import limit_malloc_arenas
from bitpoll.core.sqlite.base import checkpoint_in_background

log = logging.getLogger("bitpoll.serve")


class Command(BaseCommand):
    help = (
        "Serve Bitpoll with gunicorn on BITPOLL_BIND, or on the socket systemd passes "
        "(LISTEN_FDS). Pending migrations are applied first unless --no-migrate is given, and "
        "static files are collected when they do not match the installed code. SIGHUP replaces "
        "the workers gracefully; SIGTERM lets requests in flight finish, then exits."
    )
    # Checks run in `bitpoll check --deploy`; skipping them here keeps restarts fast.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Do not apply pending migrations before serving.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            migrate_if_needed(self)
        collect_static_if_needed(self)
        # Connections opened above must not be shared by the forked workers.
        connections.close_all()
        limit_malloc_arenas()
        socket_activated = os.environ.get("LISTEN_PID") == str(os.getpid())
        where = "the socket passed by systemd" if socket_activated else settings.BIND.gunicorn()
        self.stderr.write(
            f"Bitpoll {__version__}: data in {settings.DATA_DIR}, database "
            f"{settings.DATABASES['default']['NAME']}; serving on {where}; open "
            f"{public_url(socket_activated)}"
        )
        BitpollServer(gunicorn_options()).run()


def public_url(socket_activated: bool) -> str:
    bind = settings.BIND
    if socket_activated or bind.unix_path or settings.BASE_URL != "http://localhost:8000":
        return settings.BASE_URL + "/"
    host = f"[{bind.host}]" if ":" in bind.host else bind.host
    return f"http://{host}:{bind.port}/"


def migrate_if_needed(command: BaseCommand) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        command.stderr.write(f"Applying {len(plan)} pending migration(s)...")
        call_command("migrate", interactive=False, verbosity=0)


def collect_static_if_needed(command: BaseCommand) -> None:
    if staticstamp.is_current():
        return
    root = settings.STATIC_ROOT
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    if not os.access(root, os.W_OK):
        command.stderr.write(
            f"Static files in {root} do not match this version and the directory is read-only; "
            "run `bitpoll collectstatic` where it is writable."
        )
        return
    command.stderr.write(f"Collecting static files into {root}...")
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)


def gunicorn_options() -> dict[str, Any]:
    level = settings.LOG_LEVEL
    formatter = settings.LOG_FORMAT
    options: dict[str, Any] = {
        "bind": [settings.BIND.gunicorn()],
        "workers": settings.WORKERS,
        # Synchronous workers finish the request they accepted before they exit, so restarts
        # on a socket held by systemd drop nothing; slow clients are nginx's job.
        "worker_class": "sync",
        "preload_app": True,
        "timeout": 30,
        "graceful_timeout": 25,
        "keepalive": 5,
        "umask": 0o077,
        "proc_name": "bitpoll",
        "forwarded_allow_ips": "*" if settings.BEHIND_PROXY else "127.0.0.1,::1",
        "limit_request_line": 8190,
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"',
        "logconfig_dict": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": settings.LOGGING["formatters"],
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": formatter,
                }
            },
            "root": {"handlers": ["stderr"], "level": level.upper()},
            "loggers": {
                "gunicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
                "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": True},
            },
        },
        # Newer gunicorn opens a control socket in $HOME; the service has no use for it.
        "control_socket_disable": True,
        "post_fork": _post_fork,
    }
    if settings.BIND.unix_path:
        options["umask"] = 0o007  # the reverse proxy's group must be able to connect
    return options


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def _post_fork(server: Any, worker: Any) -> None:
    """Prepare a new worker, in the worker, before gunicorn's init_process.

    Until init_process installs the worker's signal handlers, the master's (inherited through
    the fork) only queue signals, into the child's copy of the master's queue: a SIGTERM sent
    to a worker forked a moment before was lost, and that worker served on until the graceful
    timeout killed it in the middle of a request (caught by the held-socket restart test).
    Here a stop that arrives in that window, or already did, makes the worker exit before it
    accepts anything.
    """

    def stop(signum: int, frame: object) -> None:
        worker.alive = False

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    if any(signum in STOP_SIGNALS for signum in _drain(getattr(server, "SIG_QUEUE", None))):
        worker.alive = False
    # Workers never fork, so they may run SQLite's checkpoints on a thread of their own.
    checkpoint_in_background()


def _drain(queued: Any) -> list[object]:
    """The signals in the master's queue as this child inherited it (older gunicorns: a list)."""
    if isinstance(queued, list):
        return list(queued)
    found: list[object] = []
    while queued is not None:
        try:
            found.append(queued.get_nowait())
        except queue.Empty:
            break
    return found


class BitpollServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        known = self.cfg.settings
        for key, value in self.options.items():
            if key in known:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application
        from django.urls import get_resolver

        application = get_wsgi_application()
        get_resolver().url_patterns  # noqa: B018 - import every view once, before forking
        from bitpoll.polls.pagecache import warm_up

        warm_up()  # the workers share its compiled templates instead of each redoing them
        connections.close_all()
        return application
