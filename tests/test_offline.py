"""Offline (issue 7): the whole workflow builds with the network unavailable and opens no socket.

Two independent proofs, each a full build of the tiny fixture review:
- a ``sitecustomize.py`` socket guard on PYTHONPATH, loaded by every Python process of the
  workflow (Snakemake, each ``reviewflow`` stage, papermill and its kernels): it records any
  non-loopback connect, send or name lookup to a file and fails it. Loopback and AF_UNIX are
  allowed because Jupyter kernels talk to papermill over ZMQ on 127.0.0.1;
- ``unshare -n``: the build runs in a fresh network namespace with only loopback up, which
  also covers non-Python tools (pandoc, Typst, Quarto). Skipped where unavailable.

The builds are cached for the session: test_determinism.py compares these same two builds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ENGINE_SNAKEFILE, copy_workflow

from reviewflow import manifest

# Under pytest-xdist one worker runs this module and test_determinism.py, which compares
# these same cached builds, so each is made once.
pytestmark = pytest.mark.xdist_group("offline-builds")

GUARD_ENV = "REVIEWFLOW_SOCKET_GUARD_LOG"

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Test-only socket guard: record and refuse every non-loopback network attempt."""
    import ipaddress
    import os
    import socket
    import sys

    _LOG = os.environ.get("REVIEWFLOW_SOCKET_GUARD_LOG")
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
    try:
        _LOCAL_NAMES.add(socket.gethostname())
    except OSError:
        pass

    def _is_loopback(host):
        host = str(host).split("%")[0].lower()
        return (
            host in _LOCAL_NAMES
            or host.startswith("127.")
            or host in ("::1", "0:0:0:0:0:0:0:1")
            or host.startswith("::ffff:127.")
        )

    def _allowed(sock, address):
        family = getattr(sock, "family", None)
        if family not in (socket.AF_INET, socket.AF_INET6):
            return True  # AF_UNIX, AF_NETLINK: local to this machine
        host = address[0] if isinstance(address, tuple) and address else address
        return _is_loopback(host)

    # The whole command line ("python -m ipykernel_launcher ..."); sys.argv is not set yet.
    _CMD = " ".join(getattr(sys, "orig_argv", sys.argv))[:300]

    def _record(kind, address):
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {_CMD!r} {kind} {address!r}\\n")

    def _address(args, index):
        if index < 0:  # sendto(data[, flags], address): the address comes last
            return args[-1] if len(args) >= 2 else None
        return args[index] if len(args) > index else None

    def _guard(kind, method, address_index):
        def guarded(self, *args, **kwargs):
            address = _address(args, address_index)
            if address is not None and not _allowed(self, address):
                _record(kind, address)
                raise PermissionError(f"network blocked by test socket guard: {address!r}")
            return method(self, *args, **kwargs)
        return guarded

    if _LOG:
        with open(_LOG + ".loaded", "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {_CMD!r}\\n")
        socket.socket.connect = _guard("connect", socket.socket.connect, 0)
        socket.socket.connect_ex = _guard("connect", socket.socket.connect_ex, 0)
        socket.socket.sendto = _guard("sendto", socket.socket.sendto, -1)
        _getaddrinfo = socket.getaddrinfo

        def _is_name(host):
            try:
                ipaddress.ip_address(host.split("%")[0])
            except ValueError:
                return True
            return False  # a literal address needs no lookup; connect() is guarded

        def getaddrinfo(host, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name is not None and _is_name(str(name)) and not _is_loopback(name):
                _record("resolve", name)
                raise socket.gaierror(socket.EAI_NONAME, "name lookup blocked by test guard")
            return _getaddrinfo(host, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
    '''
)


@dataclass
class Build:
    """One whole-workflow build of the fixture review under a network restriction."""

    project: Path
    proc: subprocess.CompletedProcess
    attempts: Path  # the guard's record of blocked network attempts
    loaded: Path  # one line per Python process that loaded the guard

    def assert_succeeded(self) -> None:
        assert self.proc.returncode == 0, (
            f"build failed ({self.proc.returncode}):\n{self.proc.stdout[-4000:]}\n"
            f"{self.proc.stderr[-8000:]}"
        )


def install_guard(folder: Path) -> dict[str, str]:
    """Write the guard into ``folder``; return the environment that activates it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    attempts = folder / "attempts.log"
    attempts.write_text("", encoding="utf-8")
    pythonpath = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": pythonpath, GUARD_ENV: str(attempts)}


def unshare_prefix() -> list[str] | None:
    """A command prefix running in a new network namespace with loopback up, or None."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return None
    if shutil.which("ip"):
        up = "ip link set lo up"
    elif shutil.which("ifconfig"):
        up = "ifconfig lo up"
    else:
        return None
    prefix = ["unshare", "--net", "sh", "-c", f'{up} && exec "$@"', "sh"]
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return prefix if probe.returncode == 0 else None


def snakemake_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment conftest.run_snakemake uses: this interpreter's bin first on PATH."""
    env = {**os.environ, **extra}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


_BUILDS: dict[str, Build] = {}


def build_once(variant: str, factory: pytest.TempPathFactory) -> Build:
    """Build the fixture review once per session per variant ("guard" or "unshare").

    Run the way `make paper` does (`--rerun-incomplete`). Both variants load the guard; the
    "unshare" variant also has no network at all. Failures are cached too, so a broken
    workflow costs one build, not one per test.
    """
    if variant in _BUILDS:
        return _BUILDS[variant]
    prefix: list[str] = []
    if variant == "unshare":
        prefix = unshare_prefix() or []
        if not prefix:
            pytest.skip("`unshare --net` is not available here")
    base = factory.mktemp(f"offline-{variant}")
    project = copy_workflow(base / "project")
    raw = project / "data" / "raw"
    if not (raw / "MANIFEST.sha256").exists():  # test_manifest.py insists the fixture has one
        manifest.update(raw)
    env = snakemake_env(install_guard(base / "guard"))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ENGINE_SNAKEFILE), "--cores", "2"]
    cmd.append("--rerun-incomplete")
    proc = subprocess.run([*prefix, *cmd], cwd=project, env=env, capture_output=True, text=True)
    attempts = base / "guard" / "attempts.log"
    _BUILDS[variant] = Build(project, proc, attempts, Path(str(attempts) + ".loaded"))
    return _BUILDS[variant]


# --- the guard and the namespace themselves (fast) ------------------------------------------

PROBE = """
import socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
socket.create_connection(srv.getsockname(), timeout=5).close()   # loopback: allowed
a, b = socket.socketpair(socket.AF_UNIX); a.sendall(b"x"); assert b.recv(1) == b"x"
try:
    socket.create_connection(("192.0.2.1", 80), timeout=5)           # TEST-NET-1
except OSError as exc:
    print("blocked:", type(exc).__name__, exc.errno)
else:
    sys.exit("connected to a non-loopback address")
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"x", ("192.0.2.1", 53))
except OSError as exc:
    print("udp blocked:", type(exc).__name__, exc.errno)
else:
    sys.exit("sent a datagram to a non-loopback address")
"""


def test_socket_guard_blocks_and_records_only_non_loopback(tmp_path: Path) -> None:
    env = {**os.environ, **install_guard(tmp_path / "guard")}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "blocked: PermissionError" in proc.stdout
    assert "udp blocked: PermissionError" in proc.stdout
    attempts = (tmp_path / "guard" / "attempts.log").read_text(encoding="utf-8").splitlines()
    assert len(attempts) == 2
    assert "connect ('192.0.2.1', 80)" in attempts[0]
    assert "sendto ('192.0.2.1', 53)" in attempts[1]
    assert len((tmp_path / "guard" / "attempts.log.loaded").read_text().splitlines()) == 1

    lookup = "import socket; socket.getaddrinfo('pypi.org', 443)"
    proc = subprocess.run([sys.executable, "-c", lookup], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "name lookup blocked" in proc.stderr
    assert "resolve 'pypi.org'" in (tmp_path / "guard" / "attempts.log").read_text()


def test_unshare_namespace_has_only_loopback() -> None:
    prefix = unshare_prefix()
    if prefix is None:
        pytest.skip("`unshare --net` is not available here")
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    # No guard here: the kernel itself refuses, the network is unreachable.
    assert re.search(r"^blocked: OSError 101\b", proc.stdout, re.M), proc.stdout
    assert re.search(r"^udp blocked: OSError 101\b", proc.stdout, re.M), proc.stdout


# --- whole builds (slow) -------------------------------------------------------------------------


def assert_no_network_attempts(build: Build) -> None:
    build.assert_succeeded()
    attempts = build.attempts.read_text(encoding="utf-8")
    assert attempts == "", f"network attempts during the build:\n{attempts}"
    # The guard really was active in the workflow's Python processes: Snakemake itself,
    # every stage, and the notebooks' Jupyter kernels.
    loaded = build.loaded.read_text(encoding="utf-8")
    assert "--rerun-incomplete" in loaded, loaded
    for stage in ("manifest", "import", "dedup", "prisma", "provenance", "render"):
        pattern = rf"bin/reviewflow (?:--log \S+ )?{stage}\b"  # rules log with --log
        assert re.search(pattern, loaded), f"{stage} not guarded:\n{loaded}"
    assert "ipykernel" in loaded, f"notebook kernels not guarded:\n{loaded}"


@pytest.mark.slow
def test_build_opens_no_socket(tmp_path_factory: pytest.TempPathFactory) -> None:
    assert_no_network_attempts(build_once("guard", tmp_path_factory))


@pytest.mark.slow
def test_build_succeeds_without_a_network(tmp_path_factory: pytest.TempPathFactory) -> None:
    build = build_once("unshare", tmp_path_factory)
    assert_no_network_attempts(build)
    out = build.project / "manuscript" / "_output"
    assert (out / "index.pdf").read_bytes().startswith(b"%PDF")
    assert (build.project / "data" / "processed" / "provenance.json").is_file()


# Elements that would make a browser fetch something when the page is opened.
_REMOTE = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"\b(?:src|href|data)\s*=\s*[\"']?(?:https?:)?//",
    re.I,
)
_CSS_REMOTE = re.compile(r"(?:@import\s+|url\(\s*)[\"']?(?:https?:)?//", re.I)


@pytest.mark.slow
def test_html_is_self_contained(tmp_path_factory: pytest.TempPathFactory) -> None:
    build = build_once("guard", tmp_path_factory)
    build.assert_succeeded()
    html = (build.project / "manuscript" / "_output" / "index.html").read_text(encoding="utf-8")
    assert _REMOTE.findall(html) == []
    assert _CSS_REMOTE.findall(html) == []
    # No sibling resource folders: everything is inside the one file.
    assert not (build.project / "manuscript" / "_output" / "index_files").exists()


@pytest.mark.slow
def test_notebooks_and_figures_reference_nothing_remote(tmp_path_factory) -> None:
    """Executed notebooks and figures load no scripts, styles or fonts from the web."""
    build = build_once("guard", tmp_path_factory)
    build.assert_succeeded()
    processed = build.project / "data" / "processed"
    checked = 0
    for path in sorted(processed.rglob("*")):
        if path.suffix in (".ipynb", ".html", ".svg", ".css"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert _REMOTE.findall(text) == [], path
            assert _CSS_REMOTE.findall(text) == [], path
            checked += 1
    assert checked >= 3  # the two executed notebooks and the PRISMA figure at least
