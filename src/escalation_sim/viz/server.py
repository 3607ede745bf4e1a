"""``escalation-sim viz``: serve the browser view on this machine only.

The page is served by ``solara run`` in a child process, bound to 127.0.0.1, in production mode
(no reloader), with Solara's telemetry and its check for a newer version switched off: the server
calls no one, and the page loads nothing from outside (``solara-assets`` ships the front-end).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from escalation_sim.errors import ConfigError

# socket and subprocess are imported where they are used: every --help imports this module (for
# add_viz), and the two cost it about 7 ms.
if TYPE_CHECKING:
    import subprocess

#: The page, as a module ``solara run`` can import.
APP = "escalation_sim.viz.page"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def server_command(port: int) -> list[str]:
    """The ``solara run`` command line that serves the page on ``HOST:port``."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        HOST,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server: ``base`` (default ``os.environ``) with telemetry off.

    Also silences Solara's warning, on every page load, that a session cookie for a host other
    than ``localhost`` over http falls back to ``SameSite=Lax``: that fallback is what we want.
    """
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env


def port_is_free(port: int) -> bool:
    """Whether ``HOST:port`` can be bound now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on ``HOST`` that nothing listens on now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(
    port: int | None = None, log: str | Path | None = None, timeout: float = 90.0
) -> Iterator[str]:
    """Serve the page in a child process for the duration of a ``with`` block; yield its URL.

    Used by the browser test and ``scripts/viz_screenshot.py``. The server runs in its own
    process group, which is stopped on the way out whatever happens inside the block.

    Args:
        port: Port to serve on; a free one if None.
        log: File for the server's output (discarded if None).
        timeout: Seconds to wait for the page to answer.

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout``; the message ends
            with its output when ``log`` is given.
    """
    import subprocess

    port = free_port() if port is None else port
    url = f"http://{HOST}:{port}/"
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(log, "wb")) if log else subprocess.DEVNULL
        proc = subprocess.Popen(
            server_command(port),
            env=server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(_stop, proc)
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}{_tail(log)}")
            try:
                import urllib.request  # here, not at the top: every --help imports this module

                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server did not answer at {url} in {timeout:.0f} s{_tail(log)}"
                )
            time.sleep(0.25)
        yield url


def _stop(proc: subprocess.Popen, group: bool = True, grace: float = 10.0) -> None:
    """Stop the server (its process group if ``group``): SIGTERM, SIGKILL after ``grace`` s."""
    import subprocess

    if proc.poll() is not None:
        return

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    send(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(log: str | Path | None, chars: int = 2000) -> str:
    if not log or not Path(log).exists():
        return ""
    return "; its output ends:\n" + Path(log).read_text(errors="replace")[-chars:]


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def add_viz(sub: argparse._SubParsersAction) -> None:
    """``escalation-sim viz``: serve the browser view."""
    p = sub.add_parser(
        "viz",
        help="watch the model in the browser (Mesa's SolaraViz), served on 127.0.0.1",
        description="Serve the browser view of the model on http://127.0.0.1:PORT/ until "
        "interrupted: a map of the theatre, live plots of the main outcomes, and controls for "
        "the scenario, the seed, the border_hardening and syria_collapse levers, the collapse "
        "week and every mechanism switch. Works with no internet.",
    )
    p.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    p.set_defaults(func=cmd_viz)


def cmd_viz(args: argparse.Namespace) -> int:
    """Serve the page until the server stops or the user interrupts."""
    import subprocess

    if not port_is_free(args.port):
        raise ConfigError(
            "--port", None, f"{HOST}:{args.port} is already in use; choose another with --port N"
        )
    print(
        f"escalation-sim viz: open http://{HOST}:{args.port}/ in a browser; Ctrl+C stops it",
        file=sys.stderr,
        flush=True,
    )
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        with subprocess.Popen(server_command(args.port), env=server_env()) as proc:
            try:
                return proc.wait()
            except (KeyboardInterrupt, SystemExit):
                _stop(proc, group=False)  # never leave the server behind, nor hang on it
                raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
