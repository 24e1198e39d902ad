"""Scrapyd end to end, as docs/scheduling.md tells a user to run it.

A real ``scrapyd`` on 127.0.0.1 (its own config and folders under tmp_path), newsbot
deployed to it once with the real ``scrapyd-deploy``, then gginews jobs against local
fixture sites, scheduled and watched through Scrapyd's JSON API. A good job's records,
crawl report, job log, feed and WARC (warcio check) are read back; a failing job (exit 4)
must show where the docs say to look, since Scrapyd's API does not report exit statuses.

The repo is never touched: the project files are copied to tmp_path and deployed from
there, and the deploy target (this test's port) comes from a user-level scrapy.cfg
($XDG_CONFIG_HOME), on top of the repo's own ``[deploy]`` section (``project = newsbot``).

The venv also has newsbot installed (editable), so a job that ran proves nothing about the
egg by itself. The copy's ``newsbot.__version__`` is therefore set to a marker that only
the deployed egg carries, and the WARC's warcinfo record (``software: newsbot/<version>``)
must show it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from warcio.archiveiterator import ArchiveIterator

from newsbot.schema import validate_record
from newsbot.testing.localsite import LocalSite
from tests.conftest import REPO

BIN = Path(sys.executable).parent
EXPECTED_TITLES = {
    "71401": "하남시, 청렴 실천 다짐대회 열어…부서별 실천과제 공유",
    "71402": "광주시의회, 내년도 예산안 심사 일정 확정",
    "71403": "이천시, 공공기관 청렴도 향상 위한 외부 자문단 위촉",
    "71404": "성남시, 청탁금지법 자가진단 시스템 도입",
    "71405": "용인시, 민원 처리 기간 단축 성과 발표",
}
# What scrapyd-deploy needs to build the egg (setup.py bdist_egg reads pyproject.toml,
# which names README.md as the long description).
PROJECT_FILES = ["scrapy.cfg", "setup.py", "pyproject.toml", "README.md"]
JOB_TIMEOUT = 45  # seconds; the job itself takes a few


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Scrapyd:
    """A real scrapyd process and its JSON API (http://127.0.0.1:<port>/)."""

    def __init__(self, home: Path, env: dict):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.dirs = {name: home / name for name in ("eggs", "logs", "items", "dbs")}
        for path in self.dirs.values():
            path.mkdir(parents=True)
        # Scrapyd reads ./scrapyd.conf from its working directory.
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {self.dirs['eggs']}\n"
            f"logs_dir = {self.dirs['logs']}\n"
            f"items_dir = {self.dirs['items']}\n"
            f"dbs_dir = {self.dirs['dbs']}\n"
            "poll_interval = 0.2\n"  # default 5 s: start the job at once
            "max_proc = 1\n",
            encoding="utf-8",
        )
        self.log_path = home / "scrapyd.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([str(BIN / "scrapyd")], cwd=self.home, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"scrapyd exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"scrapyd did not answer on {self.url} in {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def get(self, endpoint: str, **params: str) -> dict:
        url = self.url + endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(self.url + endpoint, data=data, timeout=30) as response:
            return json.load(response)

    def wait_finished(self, job: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.get("listjobs.json", project="newsbot")
            for finished in jobs["finished"]:
                if finished["id"] == job:
                    return finished
            time.sleep(0.2)
        raise AssertionError(f"job {job} not finished in {timeout} s: {jobs}\n{self.log()[-3000:]}")


def copy_project(dest: Path, marker: str) -> Path:
    """The repo's deployable files, with a version marker only the deployed egg carries."""
    dest.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "newsbot", dest / "newsbot", ignore=shutil.ignore_patterns("__pycache__"))
    init = dest / "newsbot" / "__init__.py"
    source = init.read_text(encoding="utf-8")
    assert '__version__ = "0.1.0"' in source
    init.write_text(source.replace('__version__ = "0.1.0"', f'__version__ = "{marker}"'), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A running scrapyd with newsbot deployed to it by scrapyd-deploy: (scrapyd, version, marker)."""
    base = tmp_path_factory.mktemp("scrapyd")
    home = base / "home"  # no ~/.scrapyd.conf, ~/.scrapy.cfg or ~/.netrc of the machine's
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    server = Scrapyd(base / "scrapyd", env)
    try:
        server.start()
        version = str(int(time.time()))  # what scrapyd-deploy picks by default (Scrapyd keeps it as is)
        marker = f"0.1.0+egg{version}"  # newsbot.__version__ in the deployed egg only
        project = copy_project(base / "project", marker)
        # The repo's scrapy.cfg ([deploy] project = newsbot) plus a user-level target for this port.
        (home / ".config").mkdir()
        (home / ".config" / "scrapy.cfg").write_text(f"[deploy:under-test]\nurl = {server.url}\n", encoding="utf-8")
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "under-test", "--version", version],
                                cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        answer = json.loads(deploy.stdout)
        assert answer["status"] == "ok" and answer["project"] == "newsbot" and answer["version"] == version
        yield server, version, marker
    finally:
        server.stop()  # always, whatever the tests did


def schedule(server: Scrapyd, version: str, output_dir: Path, base_url: str) -> str:
    """schedule.json as docs/scheduling.md shows it with curl -d; returns the job id."""
    job = server.post("schedule.json", [
        ("project", "newsbot"), ("spider", "gginews"), ("_version", version),
        ("setting", f"OUTPUT_DIR={output_dir}"),
        ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=0"),
        ("base_url", base_url),  # any field that is not Scrapyd's own is a spider argument (-a)
    ])
    assert job["status"] == "ok", job
    return job["jobid"]


def test_deployed_egg_carries_newsbot_code_data_and_settings_entry_point(deployed):
    scrapyd, version, _ = deployed
    assert scrapyd.get("listprojects.json")["projects"] == ["newsbot"]
    assert scrapyd.get("listversions.json", project="newsbot")["versions"] == [version]
    spiders = scrapyd.get("listspiders.json", project="newsbot", _version=version)["spiders"]
    assert spiders == sorted(SpiderLoader.from_settings(get_project_settings()).list())  # the repo's spiders
    assert "gginews" in spiders

    # The stored egg is what a job imports: newsbot's package data and the settings entry point.
    (egg_path,) = (scrapyd.dirs["eggs"] / "newsbot").glob("*.egg")
    package_data = {str(path.relative_to(REPO)) for folder in ("data", "schema")
                    for path in (REPO / "newsbot" / folder).iterdir()
                    if path.is_file() and path.suffix != ".pyc"}
    with zipfile.ZipFile(egg_path) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert package_data and package_data <= names, package_data - names
    assert {"newsbot/settings.py", "newsbot/spiders/registry.py", "newsbot/data/outlets.toml", "newsbot/commands/crawl.py"} <= names
    assert not any(name.startswith("tests/") for name in names)
    assert "[scrapy]\nsettings = newsbot.settings" in entry_points


def test_scheduled_gginews_job_writes_records_report_and_a_valid_warc(deployed, gginews_site, tmp_path):
    scrapyd, version, marker = deployed
    output_dir = tmp_path / "output"
    job_id = schedule(scrapyd, version, output_dir, gginews_site.base_url)
    finished = scrapyd.wait_finished(job_id, JOB_TIMEOUT)

    # -- Scrapyd's side: its own log says how the process ended; the job's log and feed
    scrapyd_log = scrapyd.log()
    assert f"Process finished: project='newsbot' spider='gginews' job='{job_id}'" in scrapyd_log, scrapyd_log[-3000:]
    assert not [line for line in scrapyd_log.splitlines() if job_id in line and "Process died" in line]
    job_log = (scrapyd.dirs["logs"] / "newsbot" / "gginews" / f"{job_id}.log").read_text(encoding="utf-8")
    assert "Crawl report for gginews (incremental, finished" in job_log
    assert finished["log_url"] == f"/logs/newsbot/gginews/{job_id}.log"
    feed = scrapyd.dirs["items"] / "newsbot" / "gginews" / f"{job_id}.jl"
    feed_ids = sorted(json.loads(line)["article_id"] for line in feed.read_text(encoding="utf-8").splitlines())
    assert feed_ids == sorted(EXPECTED_TITLES)

    # -- newsbot's side, all under the absolute OUTPUT_DIR (nothing in Scrapyd's folder)
    assert not (scrapyd.home / "output").exists()
    records = [json.loads(line) for path in sorted((output_dir / "gginews" / "jsonl").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        validate_record(record)
    assert sorted(r["article_id"] for r in records) == sorted(EXPECTED_TITLES)  # none missing, none twice
    assert {r["article_id"]: r["title"] for r in records} == EXPECTED_TITLES
    first = next(r for r in records if r["article_id"] == "71401")
    assert first["canonical_url"] == f"{gginews_site.base_url}/news/view.php?idx=71401"
    assert first["author"] == "김하늘" and first["published_at"] == "2024-08-06T07:38:57+09:00"

    (report_path,) = (output_dir / "gginews" / "reports").glob("gginews-*.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["exit_status"] == 0 and report["problems"] == []
    assert report["finish_reason"] == "finished" and report["new"] == 5

    (warc,) = (output_dir / "gginews" / "warc").glob("*.warc.gz")
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "digest fail" not in check.stdout
    with warc.open("rb") as fh:
        records_by_type: dict[str, list] = {}
        software = None
        for record in ArchiveIterator(fh):
            records_by_type.setdefault(record.rec_type, []).append(record.rec_headers.get_header("WARC-Target-URI"))
            if record.rec_type == "warcinfo":
                software = next(line for line in record.content_stream().read().decode().splitlines()
                                if line.startswith("software:"))
    # the code that ran is the deployed egg's, not the editable install in this venv
    assert software == f"software: newsbot/{marker}"
    responses = set(records_by_type["response"])
    assert {r["url"] for r in records} <= responses


def test_failing_job_shows_in_scrapyd_log_and_report_not_in_listjobs(deployed, tmp_path):
    """docs/scheduling.md: Scrapyd hides exit statuses; its log and newsbot's report show them."""
    scrapyd, version, _ = deployed
    output_dir = tmp_path / "output"
    with LocalSite({}) as empty_site:  # every page 404: no list, no article
        job_id = schedule(scrapyd, version, output_dir, empty_site.base_url)
        finished = scrapyd.wait_finished(job_id, JOB_TIMEOUT)
    assert finished["spider"] == "gginews"  # listed as finished, nothing says it failed
    assert f"Process died: exitstatus=4 project='newsbot' spider='gginews' job='{job_id}'" in scrapyd.log()
    (report_path,) = (output_dir / "gginews" / "reports").glob("gginews-*.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["exit_status"] == 4
    assert [p["cause"] for p in report["problems"]] == ["no_articles"]
    failed = subprocess.run(["grep", "-rl", '"exit_status": [1-9]', str(output_dir), "--include=*.json"],
                            capture_output=True, text=True)
    assert failed.stdout.splitlines() == [str(report_path)]
