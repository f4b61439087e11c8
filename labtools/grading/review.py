"""``labtools review OUT``: a page on this machine where an instructor or TA grades the written
questions of a graded folder, one question at a time across the class.

The server (standard library ``http.server``) listens on 127.0.0.1 only and answers only a
request that carries its token: in the URL it prints (``/?token=...``, which sets a cookie and
drops the token from the address bar) or in that cookie. A request whose Host or Origin is not
the server's own is refused (403), so another site the browser has open can neither read the
page (DNS rebinding) nor save a grade (cross-site request). Every response carries a strict
Content-Security-Policy: the page's own script and style only, images only from itself or
``data:``, no connection anywhere else, no frames; the page puts a student's text in the page as
text (never as HTML), so an answer holding ``<script>`` or a remote image does nothing.

The page reads everything from ``OUT`` at each request: ``results/<id>.json`` (the answers and
the auto-graded verdicts) and ``manual.csv`` (:mod:`.manual`, the grades given so far), so two
TAs grading at once, on one server or two, see each other's grades on their next load. Each save
is one line appended to ``manual.csv`` at once; a save that would replace a grade someone else
gave since the page loaded it is refused with a note, and a second save replaces it knowingly.
"""

from __future__ import annotations

import getpass
import hmac
import json
import math
import secrets
import sys
from datetime import datetime
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .files import printable
from .manual import GRADABLE, ManualGrade, append_manual, format_points, read_manual

MAX_BODY = 64 * 1024
MAX_COMMENT = 5000
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
# the class report (helper-written, holding students' text): shown as a static page, no script
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; sandbox"
STATIC = {
    "/": ("review.html", "text/html; charset=utf-8"),
    "/review.js": ("review.js", "text/javascript; charset=utf-8"),
    "/review.css": ("review.css", "text/css; charset=utf-8"),
}


class Refused(Exception):
    """A save the server will not write; the message says why, in one line."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST, extra: dict | None = None):
        super().__init__(message)
        self.status = status
        self.extra = extra or {}


# -- what the page shows, read from OUT --------------------------------------------------------


def load_results(out: Path) -> dict[str, dict]:
    """Row id -> result dict, from ``out/results/*.json`` (unreadable files skipped), sorted by id."""
    found = {}
    for path in sorted((out / "results").glob("*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(result, dict) and result.get("id") == path.stem:
            found[path.stem] = result
    return found


def _lab_number(results: dict[str, dict]) -> str:
    labs = [str(r.get("lab", "")) for r in results.values() if r.get("lab")]
    return max(set(labs), key=labs.count) if labs else ""


def _lab(number: str) -> Any:
    if not number:
        return None
    try:
        from ..labs import load_lab

        return load_lab(number)
    except Exception:  # an unknown lab, or one whose module does not load: the results still show
        return None


def _written_ids(results: dict[str, dict], lab: Any) -> list[str]:
    """The written questions: those the lab declares with a rubric, and those the results show as
    written (MANUAL or GRADED, or with an answer text)."""
    ids = []
    if lab is not None:
        ids = [qid for qid, q in lab.questions.items() if getattr(q, "rubric", None)]
    for result in results.values():
        for qid, q in (result.get("questions") or {}).items():
            if isinstance(q, dict) and (q.get("status") in ("MANUAL", "GRADED") or "answer" in q) and qid not in ids:
                ids.append(qid)
    return sorted(ids, key=_question_order)


def _question_order(qid: str) -> tuple[int, str]:
    digits = qid[1:]
    return (int(digits), qid) if digits.isdigit() else (10**9, qid)


def _number(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def questions_info(
    results: dict[str, dict], lab: Any, with_model: bool = True
) -> tuple[dict[str, dict], dict[str, dict]]:
    """(written, auto): each question's title and points; a written one's rubric and model answer."""
    written: dict[str, dict] = {}
    seen: dict[str, dict] = {}
    for result in results.values():
        for qid, q in (result.get("questions") or {}).items():
            if isinstance(q, dict):
                seen.setdefault(qid, q)
    for qid in _written_ids(results, lab):
        declared = lab.questions.get(qid) if lab is not None else None
        stored = seen.get(qid, {})
        rubric = [
            {"text": str(getattr(c, "text", c)), "points": _number(getattr(c, "points", 0))}
            for c in (getattr(declared, "rubric", None) or ())
        ]
        model = ""
        try:
            if with_model and declared is not None and hasattr(declared, "model"):
                model = str(declared.model())
        except Exception:  # the source is not there (an installed copy): no model answer shown
            model = ""
        written[qid] = {
            "id": qid,
            "title": str(getattr(declared, "title", "") or stored.get("title", qid)),
            "max": _number(getattr(declared, "points", None), _number(stored.get("max"))),
            "rubric": rubric,
            "model": model,
        }
    auto = {
        qid: {"id": qid, "title": str(q.get("title", qid)), "max": _number(q.get("max"))}
        for qid, q in sorted(seen.items(), key=lambda item: _question_order(item[0]))
        if qid not in written
    }
    return written, auto


def state(out: Path, grader: str) -> dict:
    """Everything the page shows, as JSON-ready data."""
    results = load_results(out)
    number = _lab_number(results)
    lab = _lab(number)
    written, auto = questions_info(results, lab)
    grades, problems = read_manual(out, results, {qid: q["max"] for qid, q in written.items()})
    rows = []
    for rid, result in results.items():
        questions = result.get("questions") or {}
        answers, verdicts = {}, {}
        for qid, q in questions.items():
            if not isinstance(q, dict):
                continue
            if qid in written:
                answers[qid] = {"status": str(q.get("status", "")), "text": str(q.get("answer", ""))}
            else:
                verdicts[qid] = {"status": str(q.get("status", "")), "points": _number(q.get("points"))}
        given = {qid: _grade_json(grades[(rid, qid)]) for qid in written if (rid, qid) in grades and qid in answers}
        rows.append(
            {
                "id": rid,
                "file": Path(str(result.get("file", ""))).name,
                "status": str(result.get("status", "")),
                "answers": answers,
                "auto": verdicts,
                "grades": given,
            }
        )
    title = ""
    if number:
        try:
            from ..labs import info

            title = info(number).title
        except KeyError:
            title = ""
    return {
        "lab": number,
        "title": title,
        "grader": grader,
        "written": list(written.values()),
        "auto": list(auto.values()),
        "rows": rows,
        "problems": problems,
        "report": (out / "report.html").is_file(),
    }


def _grade_json(grade: ManualGrade) -> dict:
    return {"points": grade.points, "comment": grade.comment, "grader": grade.grader, "time": grade.time}


def save(out: Path, body: Any, grader: str) -> dict:
    """Validate one grade from the page and append it to ``manual.csv``; returns it as saved.
    ``body``: {row, question, points, comment, base, force}; ``base`` is the grade the page
    showed (None when none), so a grade someone else gave meanwhile is not replaced unseen."""
    if not isinstance(body, dict):
        raise Refused("the request is not a JSON object")
    row, qid, points, comment = body.get("row"), body.get("question"), body.get("points"), body.get("comment", "")
    if not isinstance(row, str) or not isinstance(qid, str):
        raise Refused("row and question must be strings")
    results = load_results(out)
    if row not in results:
        raise Refused(f"row {printable(row, 60)!r} is not in this gradebook")
    written, _ = questions_info(results, _lab(_lab_number(results)), with_model=False)
    if qid not in written:
        raise Refused(f"{printable(qid, 20)!r} is not a written question of this lab")
    question = (results[row].get("questions") or {}).get(qid)
    if not isinstance(question, dict) or question.get("status") not in GRADABLE:
        raise Refused(f"row {row!r} has no written answer to {qid} to grade")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points):
        raise Refused("points must be a number")
    top = written[qid]["max"]
    if not 0 <= points <= top:
        raise Refused(f"points {format_points(points)} is outside 0..{format_points(top)} for {qid}")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise Refused(f"the comment must be text of at most {MAX_COMMENT} characters")
    comment = comment.replace("\r\n", "\n").strip()
    if not body.get("force"):
        grades, _ = read_manual(out, results, {q: w["max"] for q, w in written.items()})
        current = grades.get((row, qid))
        if (_grade_json(current) if current else None) != body.get("base"):
            raise Refused(
                _changed(current),
                HTTPStatus.CONFLICT,
                {"grade": _grade_json(current) if current else None},
            )
    grade = ManualGrade(row, qid, float(points), comment, grader, datetime.now().astimezone().isoformat("T", "seconds"))
    append_manual(out, grade)
    return _grade_json(grade)


def _changed(current: ManualGrade | None) -> str:
    if current is None:
        return "this grade was changed since the page loaded it; press Enter again to save yours"
    who = printable(current.grader or "someone", 40)
    return (
        f"{who} graded this at {printable(current.time, 30)} ({format_points(current.points)} points) since the"
        " page loaded it; press Enter again to replace that grade"
    )


def student_code(out: Path, row: str, qid: str) -> dict:
    """The student's code for an auto-graded question, with the verdict and hint."""
    from .submission import Unreadable, answer_ids, extract_answers, read_submission

    results = load_results(out)
    if row not in results:
        raise Refused(f"row {printable(row, 60)!r} is not in this gradebook", HTTPStatus.NOT_FOUND)
    result = results[row]
    question = (result.get("questions") or {}).get(qid)
    if not isinstance(question, dict):
        raise Refused(f"row {row!r} has no question {printable(qid, 20)!r}", HTTPStatus.NOT_FOUND)
    answer: dict[str, Any] = {
        "status": str(question.get("status", "")),
        "points": _number(question.get("points")),
        "max": _number(question.get("max")),
        "message": str(question.get("message", "")),
        "title": str(question.get("title", qid)),
        "cells": [],
        "notes": [],
    }
    path = Path(str(result.get("file", "")))
    if not path.is_absolute() and not path.exists() and (out.parent / path).exists():
        path = out.parent / path
    try:
        digest, nb = read_submission(path)
    except Unreadable as exc:
        answer["notes"].append(f"{printable(path)}: {exc}")
        return answer
    if result.get("sha256") and digest != result.get("sha256"):
        answer["notes"].append(f"{printable(path)} has changed since it was graded; this is the file as it is now")
    ids = [f"{qid}-answer"]
    try:
        from .runner import load_bundle

        ids = [a for a in answer_ids(load_bundle(str(result.get("lab", "")))["template"]) if a.split("-")[0] == qid]
    except (FileNotFoundError, KeyError, ValueError, OSError):
        pass
    found = extract_answers(nb, ids)
    answer["cells"] = [{"id": cid, "source": source} for cid, source in found.cells.items()]
    answer["notes"] += found.notes
    return answer


# -- the server ---------------------------------------------------------------------------------


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, out: Path, port: int = 0, grader: str = "", token: str | None = None):
        self.out = Path(out)
        self.grader = grader or _user()
        self.token = token or secrets.token_urlsafe(24)
        super().__init__(("127.0.0.1", port), ReviewHandler)
        self.port = self.server_address[1]
        self.cookie = f"labtools_review_{self.port}"  # cookies are per host, not per port
        self.origins = {f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"}
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


class ReviewHandler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "labtools-review"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the requests carry the token; nothing is logged

    # -- checks -------------------------------------------------------------------------------
    def _allowed(self) -> tuple[bool, bool]:
        """(own host and origin, token given)."""
        host = self.headers.get("Host", "")
        origin = self.headers.get("Origin")
        if host not in self.server.hosts or (origin is not None and origin not in self.server.origins):
            return False, False
        return True, self._token() is not None

    def _token(self) -> str | None:
        """The token when this request carries the right one (URL or cookie), else None."""
        token = self.server.token
        for given in parse_qs(urlsplit(self.path).query).get("token", []):
            if hmac.compare_digest(given.encode(), token.encode()):
                return given
        try:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = cookie.get(self.server.cookie)
        if morsel is not None and hmac.compare_digest(morsel.value.encode(), token.encode()):
            return morsel.value
        return None

    # -- responses ----------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        policy = (headers or {}).pop("Content-Security-Policy", CSP)
        self.send_header("Content-Security-Policy", policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        text = json.dumps(data, ensure_ascii=False)
        # no markup characters at all in a JSON response, even one a browser mistook for HTML
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        self._send(status, text.encode("utf-8", errors="backslashreplace"), "application/json; charset=utf-8")

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json(status, {"error": message})

    def _gate(self) -> bool:
        own, token = self._allowed()
        if not own:
            self._error(HTTPStatus.FORBIDDEN, "refused: this page answers only its own address (127.0.0.1)")
            return False
        if not token:
            self._error(HTTPStatus.FORBIDDEN, "refused: open the address `labtools review` printed (with its token)")
            return False
        return True

    # -- methods ------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._gate():
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/" and "token" in query:  # the printed address: a cookie, then the page without the token
            cookie = f"{self.server.cookie}={self.server.token}; HttpOnly; SameSite=Strict; Path=/"
            self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": "/", "Set-Cookie": cookie})
        elif url.path in STATIC:
            name, kind = STATIC[url.path]
            body = resources.files("labtools").joinpath("data").joinpath(name).read_bytes()
            self._send(HTTPStatus.OK, body, kind)
        elif url.path == "/api/state":
            self._json(HTTPStatus.OK, state(self.server.out, self.server.grader))
        elif url.path == "/api/code":
            try:
                code = student_code(self.server.out, query.get("row", [""])[0], query.get("question", [""])[0])
            except Refused as exc:
                self._error(exc.status, str(exc))
                return
            self._json(HTTPStatus.OK, code)
        elif url.path == "/report.html" and (self.server.out / "report.html").is_file():
            body = (self.server.out / "report.html").read_bytes()
            self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", {"Content-Security-Policy": REPORT_CSP})
        else:
            self._error(HTTPStatus.NOT_FOUND, "not found")

    def do_POST(self) -> None:
        if not self._gate():
            return
        if self.headers.get("Origin") is None and self.headers.get("Sec-Fetch-Site") not in (None, "same-origin"):
            self._error(HTTPStatus.FORBIDDEN, "refused: a save must come from this page")
            return
        if urlsplit(self.path).path != "/api/grade":
            self._error(HTTPStatus.NOT_FOUND, "not found")
            return
        if self.headers.get_content_type() != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "a save is JSON (Content-Type: application/json)")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._error(HTTPStatus.LENGTH_REQUIRED, "a save needs a Content-Length")
            return
        if not 0 <= length <= MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a save is at most {MAX_BODY} bytes")
            return
        try:
            body = json.loads(self.rfile.read(length).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            self._error(HTTPStatus.BAD_REQUEST, "the request is not JSON")
            return
        try:
            grade = save(self.server.out, body, self.server.grader)
        except Refused as exc:
            self._json(exc.status, {"error": str(exc), **exc.extra})
            return
        except OSError as exc:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"could not write manual.csv: {exc.strerror or exc}")
            return
        self._json(HTTPStatus.OK, {"grade": grade})


def serve(out: Path, port: int = 0, grader: str = "") -> int:
    """Run the page until Ctrl-C; prints its address (with the token) first."""
    server = ReviewServer(out, port, grader)
    print(f"grading written answers in {printable(out)} as {printable(server.grader or '(no name)')}")
    print(f"open {server.url}")
    print("grades are appended to " + printable(out / "manual.csv") + "; Ctrl-C stops the page")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
