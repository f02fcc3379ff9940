"""The rendered HTML in a real browser: headless Chromium over the DevTools protocol (issue 12).

Opens the paper, asserts that no request failed, nothing was fetched from the network and
the console shows no error, and saves screenshots of the first screen and of the PRISMA
figure beside the test's output. Skips cleanly without Chromium (Debian package
``chromium``; ``.ci/run`` installs it when it can). test_render_quarto.py reuses ``browse``
for the Quarto HTML.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import results_args

from reviewflow import render, results

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
LOCAL = ("file:", "data:", "about:", "blob:")
WINDOW = (1280, 900)


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    pytest.skip("Chromium is not installed (Debian package chromium)")


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page (tornado's websocket)."""

    def __init__(self, conn, session: str) -> None:
        self.conn, self.session = conn, session
        self.events: list[dict] = []
        self._ids = itertools.count(1)

    @classmethod
    async def open(cls, url: str) -> DevTools:
        from tornado.websocket import websocket_connect

        conn = await websocket_connect(url, max_message_size=256 * 1024 * 1024)
        browser = cls(conn, "")
        target = await browser.send("Target.createTarget", url="about:blank")
        attached = await browser.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        return cls(conn, attached["sessionId"])

    async def send(self, method: str, **params) -> dict:
        msg_id = next(self._ids) + (1 << 20 if self.session else 0)
        msg = {"id": msg_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        await self.conn.write_message(json.dumps(msg))
        while True:
            reply = json.loads(await self.conn.read_message())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    async def wait_for(self, method: str, timeout: float = 60) -> None:
        async def read() -> None:
            if any(e.get("method") == method for e in self.events):
                return
            while True:
                event = json.loads(await self.conn.read_message())
                self.events.append(event)
                if event.get("method") == method:
                    return

        await asyncio.wait_for(read(), timeout)


async def _browse(ws_url: str, page: Path, shots: Path) -> dict:
    tab = await DevTools.open(ws_url)
    for domain in ("Page", "Runtime", "Network", "Log"):
        await tab.send(f"{domain}.enable")
    width, height = WINDOW
    await tab.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=False,
    )
    await tab.send("Page.navigate", url=page.resolve().as_uri())
    await tab.wait_for("Page.loadEventFired")
    await tab.send("Runtime.evaluate", expression="document.fonts.ready", awaitPromise=True)
    first = await tab.send("Page.captureScreenshot", format="png")
    (shots / "first_screen.png").write_bytes(base64.b64decode(first["data"]))
    found = await tab.send(
        "Runtime.evaluate",
        returnByValue=True,
        expression="""(() => {
            const el = document.getElementById('fig-prisma');
            if (!el) return null;
            const img = el.querySelector('img') || el;
            const r = img.getBoundingClientRect();
            return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
                    loaded: img.tagName !== 'IMG' || (img.complete && img.naturalWidth > 0)};
        })()""",
    )
    box = found["result"].get("value")
    if box and box["width"] and box["height"]:
        clip = {k: box[k] for k in ("x", "y", "width", "height")} | {"scale": 1}
        shot = await tab.send(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        (shots / "prisma_figure.png").write_bytes(base64.b64decode(shot["data"]))
    await asyncio.sleep(0.5)  # late console messages and requests
    await tab.send("Runtime.evaluate", expression="1")  # drains what arrived meanwhile
    return {"events": tab.events, "prisma": box}


def browse(page: Path, shots: Path) -> dict:
    """Open ``page`` in headless Chromium; what went wrong, and where the screenshots are."""
    shots.mkdir(parents=True, exist_ok=True)
    cmd = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-port=0",
        f"--user-data-dir={shots / 'profile'}",
        "about:blank",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if m := LISTENING.search(line):
                break
        else:
            pytest.fail("Chromium did not start its DevTools endpoint")
        seen = asyncio.run(_browse(m.group(1), page, shots))
    finally:
        proc.kill()
        proc.wait()
    shutil.rmtree(shots / "profile", ignore_errors=True)
    return report(seen)


def report(seen: dict) -> dict:
    """Failed requests, network requests and console errors among the DevTools events."""
    failed, remote, errors = [], [], []
    for e in seen["events"]:
        method, params = e.get("method"), e.get("params", {})
        if method == "Network.loadingFailed":
            failed.append(params.get("errorText", "?"))
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(LOCAL):
                remote.append(url)
        elif method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"])
    return {"failed": failed, "remote": remote, "errors": errors, "prisma": seen["prisma"]}


def assert_clean_in_browser(page: Path, shots: Path) -> None:
    seen = browse(page, shots)
    assert seen["failed"] == [], "failed requests"
    assert seen["remote"] == [], "requests to the network"
    assert seen["errors"] == [], "console errors"
    assert seen["prisma"] and seen["prisma"]["loaded"], "the PRISMA figure is not shown"
    for name in ("first_screen.png", "prisma_figure.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG"), name


FIXTURE = Path(__file__).parent / "data" / "manuscript"
REPO = Path(__file__).resolve().parents[1]


def test_pandoc_html_in_chromium(tmp_path: Path):
    chromium()
    shutil.copytree(FIXTURE / "data", tmp_path / "data")
    shutil.copytree(
        REPO / "src" / "reviewflow" / "template" / "manuscript", tmp_path / "manuscript"
    )
    results.run(results_args(tmp_path, tmp_path / "data" / "processed" / "manuscript"))
    out = render.render(tmp_path / "manuscript", "pandoc")
    assert_clean_in_browser(out / "index.html", tmp_path / "screenshots")


def test_a_cdn_script_is_caught(tmp_path: Path):
    """The browser check can fail: a page that loads from a CDN and logs an error."""
    chromium()
    page = tmp_path / "index.html"
    page.write_text(
        "<html><body><figure id='fig-prisma'><img src='missing.png'></figure>"
        "<script src='https://cdn.example.invalid/x.js'></script>"
        "<script>console.error('boom')</script></body></html>"
    )
    seen = browse(page, tmp_path / "shots")
    assert seen["failed"] and seen["errors"]
    assert seen["remote"] == ["https://cdn.example.invalid/x.js"]
    assert not seen["prisma"]["loaded"]
