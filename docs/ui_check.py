"""Does the Dagster UI tell the truth after `aiw demo` (or any `aiw run`)?

Serves the code location with `dagster-webserver` on 127.0.0.1 over the
instance `aiw run` recorded in, asks its GraphQL API whether
marts/team_weekly_metrics is materialized with every check passed, and takes a
headless-Chromium screenshot of the asset's page.

    uv run python docs/ui_check.py [--warehouse data/warehouse.duckdb]
                                   [--landing data/landing] [--out data/ui_team_weekly_metrics.png]

Exit 0 when the page shows the asset materialized with its checks passed, 1
when not, 2 when no Chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from orchestration.instance import dagster_home_for  # noqa: E402

ASSET = ["marts", "team_weekly_metrics"]
START_TIMEOUT = 240  # the code location imports dbt, dagster-dbt and GE
SCREENSHOT_TIMEOUT = 120

DISMISS_DIALOG = """
for (const b of document.querySelectorAll('button')) {
  if (b.innerText.trim() === 'Skip') { b.click(); }
}
"""
# The status panel shows how many check results there are once they loaded.
CHECKS_RENDERED = re.compile(r"Latest check results\s+\d+")

QUERY = """
query($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    __typename
    ... on AssetNode {
      assetMaterializations(limit: 1) { runId timestamp }
      assetChecksOrError {
        __typename
        ... on AssetChecks {
          checks { name executionForLatestMaterialization { status } }
        }
      }
    }
  }
}
"""


def browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _wait_until_serving(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited: {log.read_text()[-2000:]}")
        try:
            # The code location is loaded once the asset graph answers.
            answer = _graphql(port, QUERY, {"key": {"path": ASSET}})
            if answer.get("data", {}).get("assetNodeOrError", {}).get("__typename") == "AssetNode":
                return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"dagster-webserver not serving after {START_TIMEOUT} s")


def asset_status(port: int) -> dict:
    """What the UI's API says about the asset: materialized? each check's status."""
    node = _graphql(port, QUERY, {"key": {"path": ASSET}})["data"]["assetNodeOrError"]
    checks = node["assetChecksOrError"].get("checks", [])
    return {
        "materialized": bool(node["assetMaterializations"]),
        "checks": {
            c["name"]: (c["executionForLatestMaterialization"] or {}).get("status") for c in checks
        },
    }


def screenshot(chromium: str, url: str, out: Path) -> str:
    """Open url in headless Chromium, wait (bounded) until the page has rendered
    the asset's status, save a PNG and return the page's text. Driven over the
    DevTools protocol: the UI keeps connections open, so Chromium's own
    --screenshot flag never sees the page settle."""
    import base64

    from websockets.sync.client import connect

    port = _free_port()
    browser_process = subprocess.Popen(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1600,1100",
            f"--remote-debugging-port={port}",
            "--remote-debugging-address=127.0.0.1",
            f"--user-data-dir={out.parent / '.chromium-profile'}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SCREENSHOT_TIMEOUT
        pages = []
        while not pages:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium's DevTools endpoint did not answer")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    pages = [p for p in json.loads(r.read()) if p.get("type") == "page"]
            except OSError:
                time.sleep(0.5)
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as ws:
            ids = iter(range(1, 1_000_000))

            def call(method: str, **params):
                message_id = next(ids)
                ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
                while True:
                    reply = json.loads(ws.recv(timeout=max(1.0, deadline - time.monotonic())))
                    if reply.get("id") == message_id:
                        return reply.get("result", {})

            call("Page.enable")
            call("Page.navigate", url=url)

            def page_text() -> str:
                reply = call("Runtime.evaluate", expression="document.body.innerText")
                return reply.get("result", {}).get("value", "")

            text = ""
            while time.monotonic() < deadline:
                time.sleep(1)
                # A first visit opens a "Join the Dagster community" dialog over the page.
                call("Runtime.evaluate", expression=DISMISS_DIALOG)
                text = page_text()
                # rendered once the latest materialization and the check results are listed
                if "Latest materialization" in text and CHECKS_RENDERED.search(text):
                    time.sleep(2)  # let the last panels finish drawing
                    text = page_text()
                    break
            data = call("Page.captureScreenshot", format="png")["data"]
            out.write_bytes(base64.b64decode(data))
            return text
    finally:
        _stop(browser_process)


def _stop(process: subprocess.Popen) -> None:
    """Ask `process` to end; kill it when it has not within 30 seconds."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def check_ui(landing: str, serving: Path, out: Path) -> dict:
    """Serve the UI, read the asset's status and screenshot its page."""
    chromium = browser()
    if chromium is None:
        raise FileNotFoundError("no chromium")
    home = dagster_home_for(serving)
    port = _free_port()
    out.parent.mkdir(parents=True, exist_ok=True)
    log = out.with_suffix(".webserver.log")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AIW_LANDING": str(landing),
        "AIW_WAREHOUSE": str(serving),
    }
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster_webserver",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-w",
                str(REPO_ROOT / "workspace.yaml"),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(port, server, log)
            status = asset_status(port)
            url = f"http://127.0.0.1:{port}/assets/{'/'.join(ASSET)}"
            dom = screenshot(chromium, url, out)
        finally:
            _stop(server)
    out.with_suffix(".txt").write_text(dom)
    return {**status, "screenshot": str(out), "url": url, "dom": dom}


def verdict(result: dict) -> list[str]:
    """What is wrong with the page (nothing when it tells the truth)."""
    problems = []
    if not result["materialized"]:
        problems.append("the asset is not materialized")
    if not result["checks"]:
        problems.append("the asset shows no checks")
    failing = {name: s for name, s in result["checks"].items() if s != "SUCCEEDED"}
    if failing:
        problems.append(f"checks not passed: {failing}")
    if "Latest materialization" not in result["dom"]:
        problems.append("the page does not show a latest materialization")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default="data/warehouse.duckdb")
    parser.add_argument("--landing", default="data/landing")
    parser.add_argument("--out", default="data/ui_team_weekly_metrics.png")
    args = parser.parse_args(argv)
    try:
        result = check_ui(args.landing, Path(args.warehouse).resolve(), Path(args.out).resolve())
    except FileNotFoundError:
        print("ui_check: no chromium found (apt-get install chromium)", file=sys.stderr)
        return 2
    problems = verdict(result)
    passed = sum(1 for s in result["checks"].values() if s == "SUCCEEDED")
    print(
        f"{'/'.join(ASSET)}: materialized={result['materialized']}, "
        f"checks passed {passed}/{len(result['checks'])}; screenshot {result['screenshot']}"
    )
    for problem in problems:
        print(f"  problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
