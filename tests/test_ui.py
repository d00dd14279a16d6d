"""The Dagster UI as the data team uses it: `dagster dev`, a real headless Chromium, a run launched by a click.

What it does, as a person would: start the webserver and daemon for this project on a free loopback port
(tiny demo extracts in a temporary data folder and Dagster instance), open the asset graph pages in Debian's
Chromium (driven over the DevTools protocol with the `websockets` client the webserver already depends on, so
no browser download and no extra Python package), check that raw, marts and publish assets are shown, click
"Materialize all" on the nightly_refresh job, wait for the run to succeed, and look at the published marts.
Screenshots go to `test-artifacts/` (gitignored).

Chromium comes from Debian (`make ui-test-deps`, which the fixture runs when /usr/bin/chromium is missing).
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.ui

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LOCATION = "tkpk"
JOB = "nightly_refresh"
RUN_TIMEOUT = float(os.environ.get("TKPK_UI_RUN_TIMEOUT", 900))
# Clean tiny demo extracts by default: this test is about the UI and a whole run, not about dirt handling.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM the process group we started (dagster dev only stops that way when in the background)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except ProcessLookupError:
            pass


class Browser:
    """Headless Chromium over the DevTools protocol: navigate, read the page, click, screenshot."""

    def __init__(self, profile: Path, log: Path, size: tuple[int, int] = (1920, 1300)) -> None:
        from websockets.sync.client import connect

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            # closed network: no update checks, sync, field trials or component downloads
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "about:blank",
        ]
        profile.mkdir(parents=True)
        self._log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [str(CHROMIUM), *flags], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert self.proc.poll() is None, f"chromium exited, see {log}"
            assert time.monotonic() < deadline, f"chromium did not start, see {log}"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self._id = 0
        self.call("Page.enable")

    def call(self, method: str, **params: object) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def js(self, expression: str) -> object:
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return r["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def text(self) -> str:
        return self.js("document.body ? document.body.innerText : ''") or ""

    def dismiss_popups(self) -> None:
        """The first visit shows a 'Join the Dagster community' dialog: skip it, as a user would."""
        self.js(
            "(() => { const b = [...document.querySelectorAll('button')].find(x => x.innerText.trim() === 'Skip');"
            " if (b) b.click(); })()"
        )

    def settle_popups(self, appear_within: float = 10) -> None:
        """The community dialog opens a moment after the first page: wait for it, skip it, see it gone."""
        deadline = time.monotonic() + appear_within
        while "Join the Dagster community" not in self.text():
            if time.monotonic() > deadline:
                return
            time.sleep(0.3)
        while "Join the Dagster community" in self.text():
            self.dismiss_popups()
            assert time.monotonic() < deadline + 30, "could not close the community dialog"
            time.sleep(0.3)

    def wait_for_text(self, needles: list[str], timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            self.dismiss_popups()
            text = self.text()
            if all(n in text for n in needles):
                return text
            if time.monotonic() > deadline:
                missing = [n for n in needles if n not in text]
                raise AssertionError(f"not on the page after {timeout} s: {missing}\n---\n{text[:3000]}")
            time.sleep(0.5)

    def click_button(self, label: str, timeout: float = 60) -> None:
        """A real mouse click (press and release at the button's centre) on an enabled button."""
        deadline = time.monotonic() + timeout
        find = (
            "JSON.stringify((() => { const b = [...document.querySelectorAll('button')]"
            f".find(x => x.innerText.trim() === {json.dumps(label)});"
            " if (!b || b.disabled) return null; const r = b.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })())"
        )
        while (pos := json.loads(self.js(find))) is None:
            assert time.monotonic() < deadline, f"no enabled button {label!r}"
            self.dismiss_popups()
            time.sleep(0.5)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=pos[0], y=pos[1], button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            stop_group(self.proc, grace=5)
            self._log.close()


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, installed by the project's own make target when missing."""
    if not os.access(CHROMIUM, os.X_OK):
        subprocess.run(["make", "--no-print-directory", "ui-test-deps"], cwd=REPO, check=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing and `make ui-test-deps` could not install it (needs root and apt).")
    return CHROMIUM


class UI:
    def __init__(self, base: str, data: Path, home: Path, log: Path) -> None:
        self.base, self.data, self.home, self.log = base, data, home, log

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(
            f"{self.base}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            out = json.load(r)
        assert "errors" not in out, out["errors"]
        return out["data"]


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    """`dagster dev` for this project, as `make ui` starts it, on its own data folder and instance."""
    from demo_data import generate

    root = tmp_path_factory.mktemp("ui")
    data, home = root / "data", root / "dagster_home"
    generate(out=data / "raw", scale=os.environ.get("TKPK_UI_SCALE", "tiny"), seed=2015, dirt_rate=0.0)
    (data / "marts").mkdir()
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {
        **os.environ,
        "TKPK_DATA_DIR": str(data),
        "DAGSTER_HOME": str(home),
        "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
    }
    env.pop("TKPK_WAREHOUSE_PATH", None)
    log = root / "dagster-dev.log"
    dagster = Path(sys.executable).parent / "dagster"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGTERM to the group stops it and its children
        )
    ui = UI(f"http://127.0.0.1:{port}", data, home, log)
    try:
        deadline = time.monotonic() + 240
        query = (
            "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
            "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
        )
        while True:
            assert proc.poll() is None, f"dagster dev exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"code location not loaded:\n{log.read_text()[-3000:]}"
            try:
                entries = ui.graphql(query)["workspaceOrError"]["locationEntries"]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
                continue
            loaded = [e for e in entries if e["name"] == LOCATION and e["loadStatus"] == "LOADED"]
            if loaded:
                err = loaded[0]["locationOrLoadError"]
                assert err["__typename"] == "RepositoryLocation", err
                break
            time.sleep(1)
        yield ui
    finally:
        stop_group(proc)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "ui-dagster-dev.log")


@pytest.fixture(scope="module")
def browser(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    root = tmp_path_factory.mktemp("chromium")
    b = Browser(root / "profile", ARTIFACTS / "ui-chromium.log")
    try:
        yield b
    finally:
        b.close()


def test_ui_shows_the_asset_graph_and_a_clicked_run_publishes(ui: UI, browser: Browser) -> None:
    t0 = time.monotonic()
    # The whole lineage: the four groups.
    browser.goto(f"{ui.base}/asset-groups")
    browser.wait_for_text(["raw", "staging", "marts", "publish"])
    browser.settle_popups()
    time.sleep(1)
    browser.screenshot(ARTIFACTS / "ui-lineage.png")

    # The raw group's graph: every landed table.
    browser.goto(f"{ui.base}/locations/{LOCATION}/asset-groups/raw")
    browser.wait_for_text(["bdt_households", "bdt_individuals", "ikd", "interventions", "population"])
    browser.screenshot(ARTIFACTS / "ui-asset-graph-raw.png")

    # The publish group's graph: both publish assets with the five marts they publish, upstream.
    marts = [
        "poverty_by_region",
        "decile_coverage",
        "sector_gaps",
        "village_priority",
        "intervention_summary",
    ]
    browser.goto(f"{ui.base}/locations/{LOCATION}/asset-groups/publish")
    browser.wait_for_text(["bi_marts", "restricted_lists", "target_households", *marts])
    browser.screenshot(ARTIFACTS / "ui-asset-graph-publish.png")

    # Schedule and sensor on by default (see pipelines/sensors.py), as the daemon sees them.
    repo = ui.graphql(
        '{ repositoryOrError(repositorySelector: {repositoryLocationName: "tkpk", repositoryName: "__repository__"})'
        " { ... on Repository { schedules { name scheduleState { status } } "
        "sensors { name sensorState { status } } } } }"
    )["repositoryOrError"]
    assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
        "nightly_refresh_0100_wib": "RUNNING"
    }
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {"raw_drop_zone": "RUNNING"}

    # Launch the whole job the way the data team does: the job page, "Materialize all".
    browser.goto(f"{ui.base}/locations/{LOCATION}/jobs/{JOB}")
    browser.wait_for_text([JOB, "Materialize all"])
    browser.click_button("Materialize all")
    runs_q = (
        "{ runsOrError(limit: 5) { ... on Runs { results { runId jobName status tags { key value } } } } }"
    )
    deadline = time.monotonic() + 60

    def from_ui(r: dict) -> bool:  # the sensor (on by default) may have queued a run of its own
        return {"key": "dagster/from_ui", "value": "true"} in r["tags"]

    while not (runs := [r for r in ui.graphql(runs_q)["runsOrError"]["results"] if from_ui(r)]):
        assert time.monotonic() < deadline, "the click launched no run"
        time.sleep(0.5)
    run = runs[0]
    assert run["jobName"] == JOB
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags.get("dagster/from_ui") == "true" and tags.get("tkpk/warehouse") == "writer"

    run_q = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
    deadline = time.monotonic() + RUN_TIMEOUT
    while (status := ui.graphql(run_q, {"id": run["runId"]})["runOrError"]["status"]) not in (
        "SUCCESS",
        "FAILURE",
        "CANCELED",
    ):
        assert time.monotonic() < deadline, f"run {run['runId']} still {status} after {RUN_TIMEOUT} s"
        time.sleep(2)
    browser.goto(f"{ui.base}/runs/{run['runId']}")
    time.sleep(3)
    browser.dismiss_popups()
    browser.screenshot(ARTIFACTS / "ui-run.png")
    assert status == "SUCCESS", f"run {run['runId']} ended {status}: see {ARTIFACTS / 'ui-run.png'}"

    # A run the sensor queued (on by default) must end before the warehouse is read here (one writer).
    busy_q = "{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED]}) { ... on Runs { results { runId } } } }"
    deadline = time.monotonic() + RUN_TIMEOUT
    while ui.graphql(busy_q)["runsOrError"]["results"]:
        assert time.monotonic() < deadline, "a run queued by the sensor did not end"
        time.sleep(2)

    # The run published: a whole, consistent release, and no personal data from the extracts in it.
    from pii_scan import scan_publication

    from pipelines.publishing.reader import check_pinned_parquet, check_serving

    marts_dir = ui.data / "marts"
    version, counts = check_serving(marts_dir)
    assert check_pinned_parquet(marts_dir) == (version, counts)
    assert set(counts) == set(marts) and all(n > 0 for n in counts.values())
    assert any((ui.data / "restricted").glob("*/target_households.parquet"))
    con = duckdb.connect(str(ui.data / "warehouse.duckdb"), read_only=True)
    try:
        needles = [r[0] for r in con.execute("select nama from raw.bdt_individuals").fetchall()]
        needles += [r[0] for r in con.execute("select nama_krt from raw.bdt_households").fetchall()]
        needles += [r[0] for r in con.execute("select alamat from raw.bdt_households").fetchall()]
    finally:
        con.close()
    assert scan_publication(marts_dir, needles) == []
    print(f"UI test: {time.monotonic() - t0:.0f} s after the code location loaded; published {version}")
