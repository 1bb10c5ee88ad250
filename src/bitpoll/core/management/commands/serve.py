"""`bitpoll serve`: the production server."""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import queue
import signal
import time
from pathlib import Path
from typing import Any, NoReturn

from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from bitpoll import __version__
from bitpoll.core import staticstamp
from bitpoll.core.memory import freeze_heap, limit_malloc_arenas
from bitpoll.core.sqlite.base import checkpoint_in_background
from bitpoll.ops import schema

log = logging.getLogger("bitpoll.serve")


class Command(BaseCommand):
    help = (
        "Serve Bitpoll with gunicorn on BITPOLL_BIND, or on the socket systemd passes "
        "(LISTEN_FDS). Pending migrations are applied first unless --no-migrate is given, and "
        "static files are collected when they do not match the installed code. SIGHUP replaces "
        "the workers gracefully; SIGTERM lets requests in flight finish, then exits. "
        "With mail configured it also runs `bitpoll send-mail --loop` as a child process "
        "(unless BITPOLL_MAIL_SENDER=external). "
        "Bitpoll's checks run first: an error (data directory, database, debug mode on a "
        "public address) stops it with one line and exit code 2."
    )
    # Django's own checks run in `bitpoll check --deploy`; serve runs Bitpoll's (see
    # stop_on_failed_checks), which keeps restarts fast and every problem to one line.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Do not apply pending migrations before serving.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Everything is logged rather than written, so that with BITPOLL_LOG_FORMAT=json
        # every line is JSON, the first one included.
        stop_on_failed_checks()
        hold_serve_lock()
        if options["no_migrate"]:
            refuse_newer_schema()
        else:
            migrate_if_needed()
        collect_static_if_needed()
        # Connections opened above must not be shared by the forked workers.
        connections.close_all()
        limit_malloc_arenas()
        socket_activated = os.environ.get("LISTEN_PID") == str(os.getpid())
        where = "the socket passed by systemd" if socket_activated else settings.BIND.gunicorn()
        log.info(
            "Bitpoll %s: data in %s, database %s; serving on %s; open %s",
            __version__,
            settings.DATA_DIR,
            settings.DATABASES["default"]["NAME"],
            where,
            public_url(socket_activated),
        )
        BitpollServer(gunicorn_options()).run()


def fail(message: str, *args: object) -> NoReturn:
    """Log one line and exit with status 2, the way a configuration error does."""
    log.error(message, *args)
    raise SystemExit(2)


def one_line(message: checks.CheckMessage) -> str:
    line = f"{message.id}: {message.msg}"
    return f"{line} Hint: {message.hint}" if message.hint else line


def stop_on_failed_checks() -> None:
    """Run Bitpoll's checks (not the deployment ones): warnings are logged, errors stop serve."""
    found = checks.run_checks(tags=["bitpoll"], include_deployment_checks=False)
    errors = [m for m in found if m.level >= checks.ERROR]
    for message in found:
        if message.level < checks.ERROR and not message.is_silenced():
            log.warning("%s", one_line(message))
    for message in errors[:-1]:
        log.error("%s", one_line(message))
    if errors:
        fail("%s", one_line(errors[-1]))


# The descriptor of the lock file, held by the master for its whole life (never by workers:
# see _post_fork). flock() locks go away with the process, so a crash leaves no stale lock.
_serve_lock: int | None = None


def serve_lock_path() -> Path | None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "bitpoll.core.sqlite":
        return None
    return Path(f"{database['NAME']}-serve.lock")


def hold_serve_lock() -> None:
    """Refuse to serve an SQLite database that another `bitpoll serve` is serving.

    The master holds an exclusive flock() on `<database>-serve.lock` until it exits. A SIGHUP
    reload keeps the master, so it keeps the lock; a restart (systemd, socket activated or not)
    starts the new server after the old master has exited, so the lock is free by then.
    """
    global _serve_lock
    path = serve_lock_path()
    if path is None or _serve_lock is not None:
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        fail("cannot open the lock file %s (%s)", path, exc.strerror)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        fail(
            "another `bitpoll serve` (pid %s) is already serving the database %s: stop it "
            "first, or give this server its own BITPOLL_DATA_DIR",
            holder,
            settings.DATABASES["default"]["NAME"],
        )
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _serve_lock = fd


def public_url(socket_activated: bool) -> str:
    bind = settings.BIND
    if socket_activated or bind.unix_path or settings.BASE_URL != "http://localhost:8000":
        return settings.BASE_URL + "/"
    host = f"[{bind.host}]" if ":" in bind.host else bind.host
    return f"http://{host}:{bind.port}/"


def migrate_if_needed() -> None:
    # Hosts that start together against one PostgreSQL database queue on its advisory lock:
    # the first migrates, the others then find nothing pending (bitpoll.ops.schema).
    try:
        if schema.all_migrations_recorded():
            return
        gc.enable()  # off for a fast start (bitpoll.__main__); migrations may make much garbage
        connection = connections[DEFAULT_DB_ALIAS]
        with schema.migration_lock(connection):
            try:
                plan = schema.checked_plan(connection)
            except schema.SchemaError as exc:
                fail("%s", str(exc))
            if plan:
                log.info("Applying %d pending migration(s)...", len(plan))
                call_command("migrate", interactive=False, verbosity=0)
    except CommandError as exc:
        fail("%s", str(exc).strip().splitlines()[0])
    except (DatabaseError, OSError) as exc:
        text = str(exc).strip()
        fail(
            "cannot apply the migrations: %s. Check that the database user owns the database; "
            "`bitpoll migrate` shows the details.",
            text.splitlines()[0] if text else type(exc).__name__,
        )


def refuse_newer_schema() -> None:
    """Stop with one line when the database has migrations this code does not have."""
    try:
        schema.check_not_newer()
    except schema.SchemaError as exc:
        fail("%s", str(exc))
    except DatabaseError:
        pass  # the database check reports an unreachable database in one line


def collect_static_if_needed() -> None:
    if staticstamp.is_current():
        return
    root = settings.STATIC_ROOT
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    if not os.access(root, os.W_OK):
        log.warning(
            "Static files in %s do not match this version and the directory is read-only; "
            "run `bitpoll collectstatic` where it is writable.",
            root,
        )
        return
    gc.enable()  # as in migrate_if_needed
    log.info("Collecting static files into %s...", root)
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
        # Behind the proxy (which alone can reach BITPOLL_BIND then), its X-Forwarded-Proto is
        # trusted; otherwise from no one, not even loopback or a unix socket (gunicorn trusts
        # unix socket peers whatever forwarded_allow_ips says, hence the empty header list).
        # X-Forwarded-For is read by bitpoll.core.middleware.client_address.
        "forwarded_allow_ips": "*" if settings.BEHIND_PROXY else "",
        "secure_scheme_headers": ({"X-FORWARDED-PROTO": "https"} if settings.BEHIND_PROXY else {}),
        "forwarder_headers": "",
        "limit_request_line": 8190,
        "access_log_format": '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"',
        "logconfig_dict": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": settings.LOGGING["formatters"],
            "filters": settings.LOGGING["filters"],
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
                # Access lines are INFO: BITPOLL_LOG_LEVEL=warning leaves them out.
                "gunicorn.access": {"handlers": [], "level": level.upper(), "propagate": True},
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
    # Only the master holds the serve lock: a worker outliving a killed master must not.
    if _serve_lock is not None:
        os.close(_serve_lock)
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

    def run(self) -> None:
        # gunicorn's own run(), with the arbiter that also keeps the mail sender going.
        try:
            BitpollArbiter(self).run()
        except RuntimeError as exc:
            fail("%s", exc)

    def load(self) -> Any:
        from django.urls import get_resolver

        from bitpoll.core.handler import get_wsgi_application

        application = get_wsgi_application()
        get_resolver().url_patterns  # noqa: B018 - import every view once, before forking
        from bitpoll.polls.pagecache import warm_up

        warm_up()  # the workers share its compiled templates instead of each redoing them
        from bitpoll.polls.warmup import warm_up_poll_page

        warm_up_poll_page()  # and the rest of a real poll page's first render
        connections.close_all()
        freeze_heap()
        return application


# --- The mail sender started by serve (BITPOLL_MAIL_SENDER=serve) ---

SENDER_RESTART_DELAY = 10.0  # seconds: a sender that keeps dying is not restarted in a loop


def sender_wanted() -> bool:
    return bool(settings.MAIL_ENABLED) and settings.MAIL_SENDER == "serve"


class BitpollArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, which also keeps one `send-mail --loop` process running.

    The sender is forked from the master like a worker (the master itself never touches the
    database: it only forks, watches and signals), started again when it dies (not sooner
    than SENDER_RESTART_DELAY after its last start), replaced on SIGHUP so that it runs the
    reloaded code, and stopped with the server: SIGTERM lets it finish the mail in hand,
    within the graceful timeout.
    """

    sender_pid = 0
    sender_started = 0.0

    def manage_workers(self) -> None:
        super().manage_workers()
        if sender_wanted():
            self.keep_sender()

    def keep_sender(self) -> None:
        if self.sender_pid and _alive(self.sender_pid):
            return
        now = time.monotonic()
        if self.sender_pid:
            if now - self.sender_started < SENDER_RESTART_DELAY:
                return
            log.warning("The mail sender (pid %s) has exited; starting it again.", self.sender_pid)
        self.sender_started = now
        pid = os.fork()
        if pid == 0:
            _run_sender(self)
        self.sender_pid = pid
        log.info("Mail sender started (pid %s): `bitpoll send-mail --loop`.", pid)

    def reload(self) -> None:
        super().reload()
        self.stop_sender(wait=False)  # manage_workers starts the new one once it has gone
        self.sender_started = 0.0

    def stop(self, graceful: bool = True) -> None:
        self.stop_sender(wait=False)
        super().stop(graceful)
        self.stop_sender(wait=True)

    def stop_sender(self, wait: bool) -> None:
        if not self.sender_pid or not _alive(self.sender_pid):
            return
        if not wait:
            _signal(self.sender_pid, signal.SIGTERM)
            return
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while _alive(self.sender_pid):
            if time.monotonic() > deadline:
                _signal(self.sender_pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Whether our child `pid` still runs (gunicorn may have reaped it already: then not)."""
    try:
        found, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return found == 0


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _run_sender(arbiter: Arbiter) -> NoReturn:
    """In the forked child: drop what belongs to the master, then run the send-mail loop."""
    code = 1
    try:
        try:
            signal.set_wakeup_fd(-1)
        except ValueError:
            pass
        for signum in (
            *STOP_SIGNALS,
            signal.SIGHUP,
            signal.SIGCHLD,
            signal.SIGTTIN,
            signal.SIGTTOU,
        ):
            signal.signal(signum, signal.SIG_DFL)
        for listener in arbiter.LISTENERS:
            listener.close()
        if _serve_lock is not None:
            os.close(_serve_lock)
        call_command("send-mail", loop=True)
        code = 0
    except BaseException:
        log.exception("The mail sender stopped with an error.")
    finally:
        os._exit(code)
