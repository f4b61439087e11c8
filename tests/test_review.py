"""``labtools review OUT``: the page where a person grades written answers (labtools/grading/review.py).

The gradebook here is written by hand (``results/<id>.json``, as ``labtools grade`` writes them,
with a written question's MANUAL status and answer text), and the lab's rubric is a stand-in, so
these tests do not depend on a lab's questions. The HTTP tests talk to a server in a thread; the
browser test (headless Chromium, as tests/test_browser.py) grades by keyboard and by mouse.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_browser import CHROMEDRIVER, CHROMIUM, headless_chromium
from test_browser import _wait as browser_wait

from labtools.grading import review
from labtools.grading.manual import read_manual
from labtools.grading.review import ReviewServer

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>window.__pwned = 1; alert('xss')</script>"


def _hostile(canary_port: int) -> str:
    return (
        f"Rank is the number of axes. {SCRIPT}\n"
        f'<img src="http://127.0.0.1:{canary_port}/remote.png" onerror="alert(2)">\n'
        f"![remote](http://127.0.0.1:{canary_port}/markdown.png) & <b>bold</b>"
    )


RUBRIC9 = [("says rank is the number of axes", 2.0), ("gives an example of each", 1.0), ("writes clearly", 0.5)]
RUBRIC10 = [("names the dtype", 1.0), ("explains the cast", 1.0)]


def _fake_lab():
    def written(title, rubric, model=""):
        criteria = [SimpleNamespace(text=t, points=p) for t, p in rubric]
        return SimpleNamespace(title=title, points=sum(p for _, p in rubric), rubric=criteria, model=lambda: model)

    return SimpleNamespace(
        questions={
            "q1": SimpleNamespace(title="A 2x3 matrix", points=1),
            "q2": SimpleNamespace(title="A 4-d batch", points=1),
            "q9": written("Rank and shape", RUBRIC9, "Rank counts the axes: (3,) is rank 1, (2, 3) rank 2."),
            "q10": written("Dtypes", RUBRIC10),
        }
    )


def _q(title, status, points, top, message="", answer=None):
    q = {"title": title, "status": status, "points": points, "max": top, "message": message}
    if answer is not None:
        q["answer"] = answer
    return q


def make_gradebook(out: Path, canary_port: int = 9) -> Path:
    """OUT with results/ for five rows of lab 01: written q9 (3.5 points) and q10 (2 points)."""
    (out / "results").mkdir(parents=True)
    subs = out.parent / "submissions"
    subs.mkdir(exist_ok=True)
    answers = {
        "s01": "The rank is the number of axes; a vector (3,) has rank 1, a matrix (2, 3) rank 2.",
        "s02": _hostile(canary_port),
        "s03": "",
        "s04": "Rank = how many indices you need.",
    }
    for rid in ("s01", "s02", "s03", "s04", "s05"):
        path = subs / f"{rid}.ipynb"
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {
                    "cell_type": "code",
                    "id": "q2-answer",
                    "metadata": {},
                    "outputs": [],
                    "execution_count": None,
                    "source": f"images = tf.zeros([2, 28, 28])  # {rid}: {SCRIPT}",
                },
            ],
        }
        path.write_text(json.dumps(nb), encoding="utf-8")
        result = {
            "id": rid,
            "file": str(path),
            "lab": "01",
            "sha256": "",
            "status": "ok",
            "notes": [],
            "questions": {},
            "total": 0.0,
            "max": 7.5,
            "pending": 0.0,
        }
        if rid == "s05":
            result.update(status="unreadable", notes=["the file is empty"])
        else:
            text = answers[rid]
            status = "MANUAL" if text else "NOT ATTEMPTED"
            result["questions"] = {
                "q1": _q("A 2x3 matrix", "PASS", 1.0, 1.0),
                "q2": _q("A 4-d batch", "FAIL", 0.0, 1.0, "images should have rank 4, not 3"),
                "q9": _q("Rank and shape", status, 0.0, 3.5, answer=text),
                "q10": _q("Dtypes", status, 0.0, 2.0, answer=text and f"{rid} on dtypes"),
            }
            result["total"] = 1.0
            result["pending"] = 5.5 if text else 0.0
        (out / "results" / f"{rid}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return out


@pytest.fixture
def fake_lab(monkeypatch):
    monkeypatch.setattr(review, "_lab", lambda number: _fake_lab())


@pytest.fixture
def out(tmp_path, fake_lab):
    return make_gradebook(tmp_path / "out")


class Running:
    """A review server in a thread."""

    def __init__(self, out: Path, grader: str = "ta1"):
        self.server = ReviewServer(out, 0, grader)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.port
        self.cookie = f"{self.server.cookie}={self.server.token}"

    def request(self, method, path, body=None, headers=None, cookie=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}"}
        if cookie:
            sent["Cookie"] = self.cookie
        if body is not None:
            sent["Content-Type"] = "application/json"
            sent["Origin"] = f"http://127.0.0.1:{self.port}"
            body = body if isinstance(body, (bytes, str)) else json.dumps(body)
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response, data

    def grade(self, row, question, points, comment="", base=None, force=False, **headers):
        body = {"row": row, "question": question, "points": points, "comment": comment, "base": base, "force": force}
        response, data = self.request("POST", "/api/grade", body, headers)
        return response.status, json.loads(data)

    def state(self):
        response, data = self.request("GET", "/api/state")
        assert response.status == 200
        return json.loads(data)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def running(out):
    server = Running(out)
    yield server
    server.close()


def _manual_rows(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "manual.csv").read_text(encoding="utf-8"))))


# -- the gate: token, host, origin -------------------------------------------------------------


def test_token_is_required_and_the_printed_address_sets_a_cookie(running):
    for path in ("/", "/api/state", "/review.js", "/api/code?row=s02&question=q2", "/?token=wrong"):
        response, data = running.request("GET", path, cookie=False)
        assert response.status == 403, path
        assert b"Rank is" not in data and b"s01" not in data
    response, _ = running.request("GET", "/api/state", headers={"Cookie": f"{running.server.cookie}=wrong"})
    assert response.status == 403
    status, _ = running.grade("s01", "q9", 1, Cookie=None)
    assert status == 403 and not (running.server.out / "manual.csv").exists()
    response, _ = running.request("GET", f"/?token={running.server.token}", cookie=False)
    assert response.status == 303 and response.getheader("Location") == "/"
    cookie = response.getheader("Set-Cookie")
    assert cookie.startswith(f"{running.cookie};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    response, page = running.request("GET", "/")
    assert response.status == 200 and b'<script src="/review.js"' in page
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "img-src 'self' data:;" in policy
    assert "unsafe" not in policy and "http" not in policy
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert b"<script>" not in page  # no inline script: the policy would block it anyway


def test_other_hosts_and_origins_are_refused(running):
    token = running.server.token
    for headers in (
        {"Host": f"evil.example:{running.port}"},  # DNS rebinding: the page never answers another name
        {"Host": "127.0.0.1:1"},
        {"Origin": "http://evil.example"},
        {"Origin": f"http://127.0.0.1:{running.port + 1}"},
    ):
        response, data = running.request("GET", f"/api/state?token={token}", headers=headers)
        assert response.status == 403, headers
        assert b"s01" not in data
    status, data = running.grade("s01", "q9", 1, Origin="http://evil.example")
    assert status == 403 and "refused" in data["error"]
    status, _ = running.grade("s01", "q9", 1, Origin=None, **{"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    response, _ = running.request(
        "POST", "/api/grade", b'{"row": "s01"}', headers={"Content-Type": "text/plain"}
    )  # a plain form post from anywhere would be text/plain or form-encoded
    assert response.status == 415
    assert not (running.server.out / "manual.csv").exists()


# -- what the page shows ---------------------------------------------------------------------------


def test_a_hostile_answer_comes_back_as_escaped_text(tmp_path, fake_lab):
    out = make_gradebook(tmp_path / "out", canary_port=4321)
    server = Running(out)
    try:
        response, data = server.request("GET", "/api/state")
    finally:
        server.close()
    assert response.status == 200 and response.getheader("Content-Type").startswith("application/json")
    for markup in (b"<script", b"<img", b"<b>", b"</"):
        assert markup not in data
    rows = {row["id"]: row for row in json.loads(data)["rows"]}
    assert rows["s02"]["answers"]["q9"]["text"] == _hostile(4321)  # the text itself, whole, for textContent
    script = (ROOT / "labtools" / "data" / "review.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, f"review.js uses {sink}"


def test_state_lists_written_questions_rows_and_rubric(running):
    data = running.state()
    assert data["lab"] == "01" and data["grader"] == "ta1" and data["report"] is False
    assert [q["id"] for q in data["written"]] == ["q9", "q10"]
    assert [q["id"] for q in data["auto"]] == ["q1", "q2"]
    q9 = data["written"][0]
    assert q9["max"] == 3.5 and [(c["text"], c["points"]) for c in q9["rubric"]] == RUBRIC9
    assert q9["model"].startswith("Rank counts")
    rows = {row["id"]: row for row in data["rows"]}
    assert set(rows) == {"s01", "s02", "s03", "s04", "s05"}
    assert rows["s03"]["answers"]["q9"]["status"] == "NOT ATTEMPTED" and rows["s05"]["answers"] == {}
    assert rows["s02"]["auto"]["q2"] == {"status": "FAIL", "points": 0.0}


def test_without_a_rubric_the_written_questions_come_from_the_results(tmp_path, monkeypatch):
    monkeypatch.setattr(review, "_lab", lambda number: None)
    out = make_gradebook(tmp_path / "out")
    data = review.state(out, "ta")
    assert [(q["id"], q["max"], q["rubric"]) for q in data["written"]] == [("q9", 3.5, []), ("q10", 2.0, [])]


def test_the_real_lab_01_rubric_when_it_is_there():
    from labtools.labs import load_lab

    lab = load_lab("01")
    declared = [qid for qid, q in lab.questions.items() if getattr(q, "rubric", None)]
    if not declared:
        pytest.skip("lab 01 declares no written question yet")
    results = {"s1": {"id": "s1", "lab": "01", "questions": {}}}
    written, _ = review.questions_info(results, lab)
    qid = declared[0]
    assert written[qid]["rubric"] and sum(c["points"] for c in written[qid]["rubric"]) == written[qid]["max"]


def test_student_code_for_a_second_look_at_a_fail(running):
    response, data = running.request("GET", "/api/code?row=s02&question=q2")
    assert response.status == 200 and b"<script" not in data
    code = json.loads(data)
    assert code["status"] == "FAIL" and code["message"] == "images should have rank 4, not 3"
    assert code["cells"] == [{"id": "q2-answer", "source": f"images = tf.zeros([2, 28, 28])  # s02: {SCRIPT}"}]
    response, data = running.request("GET", "/api/code?row=s99&question=q2")
    assert response.status == 404 and "s99" in json.loads(data)["error"]
    (running.server.out.parent / "submissions" / "s01.ipynb").write_text("{}")  # changed since, unreadable
    code = json.loads(running.request("GET", "/api/code?row=s01&question=q2")[1])
    assert code["cells"] == [] and any("nbformat" in note or "Jupyter" in note for note in code["notes"])


def test_report_link_serves_the_class_report_without_scripts(running):
    (running.server.out / "report.html").write_text("<h1>Class report</h1><script>alert(1)</script>")
    assert running.state()["report"] is True
    response, data = running.request("GET", "/report.html")
    assert response.status == 200 and data.startswith(b"<h1>Class report")
    policy = response.getheader("Content-Security-Policy")
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy


# -- saving ----------------------------------------------------------------------------------------


def test_saving_validates_and_appends_to_manual_csv(running):
    out = running.server.out
    for body, why in (
        (("s99", "q9", 1), "not in this gradebook"),
        (("s01", "q1", 1), "not a written question"),
        (("s01", "q7", 1), "not a written question"),
        (("s05", "q9", 1), "no written answer"),
        (("s01", "q9", 4), "outside 0..3.5"),
        (("s01", "q9", -0.5), "outside 0..3.5"),
        (("s01", "q9", "2"), "must be a number"),
        (("s01", "q9", True), "must be a number"),
        (("s01", "q9", None), "must be a number"),
    ):
        status, data = running.grade(*body)
        assert status == 400 and why in data["error"], (body, data)
    response, data = running.request("POST", "/api/grade", b'{"row": "s01", "question": "q9", "points": NaN}')
    assert response.status == 400
    status, data = running.grade("s01", "q9", 2, "x" * 5001)
    assert status == 400 and "comment" in data["error"]
    assert not (out / "manual.csv").exists()

    status, data = running.grade("s01", "q9", 2.5, "Clear; give an example.\r\nNext time: shapes.")
    assert status == 200 and data["grade"]["points"] == 2.5 and data["grade"]["grader"] == "ta1"
    status, _ = running.grade("s03", "q9", 0, "no answer")  # NOT ATTEMPTED may be graded too
    assert status == 200
    rows = _manual_rows(out)
    assert [(r["row"], r["question"], r["points"], r["grader"]) for r in rows] == [
        ("s01", "q9", "2.5", "ta1"),
        ("s03", "q9", "0", "ta1"),
    ]
    assert rows[0]["comment"] == "Clear; give an example.\nNext time: shapes." and rows[0]["time"]
    shown = {row["id"]: row["grades"] for row in running.state()["rows"]}
    assert shown["s01"]["q9"]["points"] == 2.5 and shown["s02"] == {}


def test_a_grade_given_meanwhile_is_not_replaced_unseen(running):
    status, first = running.grade("s01", "q9", 1, "first")
    assert status == 200
    status, data = running.grade("s01", "q9", 3, "second, from a page that had not seen the first")  # base: None
    assert status == 409 and "ta1 graded this" in data["error"] and data["grade"]["points"] == 1
    status, _ = running.grade("s01", "q9", 3, "after seeing it", base=data["grade"])
    assert status == 200
    status, data = running.grade("s01", "q9", 2, "knowingly", base=None, force=True)
    assert status == 200
    assert [r["points"] for r in _manual_rows(running.server.out)] == ["1", "3", "2"]
    assert running.state()["rows"][0]["grades"]["q9"]["comment"] == "knowingly"


def test_two_servers_saving_at_once_lose_nothing(out):
    servers = [Running(out, "ta1"), Running(out, "ta2")]
    rows = ["s01", "s02", "s03", "s04"]
    errors: list = []

    def grade_all(server, qid, rounds):
        for k in range(rounds):
            for rid in rows:
                status, data = server.grade(rid, qid, 0.5 * (k % 3), f"{qid} round {k}", force=True)
                if status != 200:
                    errors.append(data)

    threads = [
        threading.Thread(target=grade_all, args=(servers[0], "q9", 5)),
        threading.Thread(target=grade_all, args=(servers[1], "q10", 5)),
        threading.Thread(target=grade_all, args=(servers[0], "q10", 5)),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        lines = _manual_rows(out)
        assert len(lines) == 3 * 5 * len(rows)
        assert {(r["grader"], r["question"]) for r in lines} == {("ta1", "q9"), ("ta2", "q10"), ("ta1", "q10")}
        results = review.load_results(out)
        grades, problems = read_manual(out, results, {"q9": 3.5, "q10": 2.0})
        assert problems == [] and len(grades) == 2 * len(rows)
        for server in servers:  # each page shows both TAs' grades
            shown = {row["id"]: row["grades"] for row in server.state()["rows"]}
            assert all(set(shown[rid]) == {"q9", "q10"} for rid in rows)
    finally:
        for server in servers:
            server.close()


def test_cli_refuses_a_folder_without_results(tmp_path, capsys):
    from labtools.cli import main

    assert main(["review", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("labtools review:") and "results/" in err and "\n" not in err


def test_cli_prints_the_address_and_serves_until_ctrl_c(out):
    import os
    import signal
    import subprocess
    import sys
    from urllib.parse import urlsplit

    proc = subprocess.Popen(
        [sys.executable, "-m", "labtools", "review", str(out), "--grader", "ta-cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[1].startswith("open http://127.0.0.1:") and "?token=" in lines[1], lines
        assert "ta-cli" in lines[0] and "manual.csv" in lines[2]
        url = urlsplit(lines[1].split()[-1])
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("GET", f"/?{url.query}")
        response = conn.getresponse()
        response.read()
        assert response.status == 303
        conn.request("GET", "/api/state", headers={"Cookie": response.getheader("Set-Cookie").split(";")[0]})
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["grader"] == "ta-cli"
        conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    assert proc.stderr.read() == ""


# -- in a real browser ----------------------------------------------------------------------------

ARTIFACTS = ROOT / "_ci_artifacts" / "review"


class Canary(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Canary.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def _wait(predicate, what: str, seconds: float = 30):
    """Poll until ``predicate()`` is true; only a hang (test_browser.HANG_S) fails."""
    return browser_wait(predicate, seconds, what, every=0.1)


def chrome():
    return headless_chromium("1400,900", browser_log=True)


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromium-driver are not installed")
def test_grading_in_the_browser_by_keyboard_and_mouse(tmp_path, fake_lab):
    pytest.importorskip("selenium", reason="selenium is not installed")
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    canary = ThreadingHTTPServer(("127.0.0.1", 0), Canary)
    threading.Thread(target=canary.serve_forever, daemon=True).start()
    Canary.hits = []
    out = make_gradebook(tmp_path / "out", canary_port=canary.server_address[1])
    server = Running(out, "ta-browser")
    driver = chrome()
    keys = lambda *k: ActionChains(driver).send_keys(*k).perform()  # noqa: E731 - to whatever has the focus
    css = lambda selector: driver.find_elements(By.CSS_SELECTOR, selector)  # noqa: E731

    def badges():
        return {
            b.find_elements(By.TAG_NAME, "span")[0].text: b.find_elements(By.TAG_NAME, "span")[1].text
            for b in css("nav#rows button")
        }

    def no_alert():
        try:
            driver.switch_to.alert.dismiss()
        except NoAlertPresentException:
            return True
        return False

    try:
        driver.get(server.server.url)
        assert driver.current_url.endswith(f"127.0.0.1:{server.port}/")  # the token left the address bar
        _wait(lambda: len(css("nav#rows button")) == 4, "the rows")  # s05 (unreadable) has no answer
        assert driver.find_element(By.ID, "row-id").text == "s01"
        assert css("ol#rubric li")[0].text.split() == [
            "1",
            "says",
            "rank",
            "is",
            "the",
            "number",
            "of",
            "axes",
            "2",
            "pt",
        ]

        # by keyboard: criteria 1 and 3 (2 + 0.5), a comment, Enter saves and goes on
        keys("1", "3")
        assert driver.find_element(By.ID, "points").get_attribute("value") == "2.5"
        keys("c")
        keys("Clear answer.")
        keys(Keys.ENTER)
        _wait(lambda: badges()["s01"] == "2.5 / 3.5", "s01 saved")
        assert driver.find_element(By.ID, "row-id").text == "s02"

        # s02's answer: shown as text, nothing run, nothing fetched
        shown = driver.find_element(By.ID, "answer").text
        assert SCRIPT in shown and "<img src=" in shown and "<b>bold</b>" in shown
        assert not css("#answer script, #answer img, #answer b")
        assert no_alert() and driver.execute_script("return window.__pwned") is None
        keys("2", Keys.ENTER)
        _wait(lambda: badges()["s02"] == "1 / 3.5", "s02 saved")
        keys("j")  # s03 has no answer: skipped
        _wait(lambda: driver.find_element(By.ID, "row-id").text == "s04", "s04")

        # by mouse: tick criterion 1, then change the points by hand, Save
        driver.find_element(By.CSS_SELECTOR, "ol#rubric li:nth-child(1) label").click()
        points = driver.find_element(By.ID, "points")
        assert points.get_attribute("value") == "2"
        points.click()
        points.send_keys(Keys.CONTROL, "a")
        points.send_keys("1.5")
        driver.find_element(By.ID, "comment").send_keys("Partly: say what an axis is.")
        driver.find_element(By.ID, "save").click()
        _wait(lambda: badges()["s04"] == "1.5 / 3.5", "s04 saved")

        # a second look at s02's code question
        css("nav#rows button")[1].click()
        _wait(lambda: driver.find_element(By.ID, "row-id").text == "s02", "s02")
        next(b for b in css("#code-buttons button") if b.text.startswith("q2 FAIL")).click()
        _wait(lambda: css("#code pre"), "the code")
        assert driver.find_element(By.CSS_SELECTOR, "#code pre").text.startswith("images = tf.zeros")
        assert "images should have rank 4" in driver.find_element(By.ID, "code").text
        assert not css("#code script") and no_alert()

        # the next question with ], graded by keyboard
        driver.find_element(By.TAG_NAME, "body").click()
        keys("]")
        _wait(lambda: driver.find_element(By.ID, "question-title").text.startswith("q10"), "q10")
        keys("1", "2", Keys.ENTER)
        _wait(lambda: badges()["s01"] == "2 / 2", "q10 s01 saved")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "graded.png"))

        # a reload shows what was saved, the criteria ticked again
        driver.refresh()
        _wait(lambda: len(css("nav#rows button")) == 4, "the rows after a reload")
        assert badges() == {"s01": "2.5 / 3.5", "s02": "1 / 3.5", "s03": "no answer", "s04": "1.5 / 3.5"}
        assert [box.is_selected() for box in css("ol#rubric input")] == [True, False, True]
        assert driver.find_element(By.ID, "comment").get_attribute("value") == "Clear answer."

        # the policy stops what the page itself never does: an inline script, a remote image
        driver.execute_script(
            "const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
            "document.body.append(s);"
            "const i = document.createElement('img'); i.src = arguments[0]; document.body.append(i);",
            f"http://127.0.0.1:{canary.server_address[1]}/injected.png",
        )
        time.sleep(1)
        assert driver.execute_script("return window.__inline") is None
        assert Canary.hits == [], f"requests left the page: {Canary.hits}"
        assert no_alert()
        logs = " ".join(entry["message"] for entry in driver.get_log("browser"))
        assert "Content Security Policy" in logs
    finally:
        driver.quit()
        server.close()
        canary.shutdown()

    lines = _manual_rows(out)
    assert [(r["row"], r["question"], r["points"], r["comment"], r["grader"]) for r in lines] == [
        ("s01", "q9", "2.5", "Clear answer.", "ta-browser"),
        ("s02", "q9", "1", "", "ta-browser"),
        ("s04", "q9", "1.5", "Partly: say what an axis is.", "ta-browser"),
        ("s01", "q10", "2", "", "ta-browser"),
    ]
