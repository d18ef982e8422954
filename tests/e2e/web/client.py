"""A signed-in HTTP client for attack tests: a cookie jar, the form's CSRF token, and the
browser's Origin header on every POST (what a same-origin form sends). No redirects are
followed, so a test sees each answer as the server gave it."""

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    seconds: float


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())
        self.csrf = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, timeout: float = 60) -> Answer:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        h = dict(headers or {})
        if method == "POST" and "Origin" not in h and "X-No-Origin" not in h:
            h["Origin"] = self.url
        h.pop("X-No-Origin", None)
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        start = time.monotonic()
        try:
            with self.opener.open(req, timeout=timeout) as r:
                body = r.read().decode("utf-8", "replace")
                status, got = r.status, dict(r.headers.items())
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            status, got = e.code, dict(e.headers.items())
        answer = Answer(status, body, got, time.monotonic() - start)
        if m := re.search(r'name="_csrf" value="([^"]+)"', body):
            self.csrf = m.group(1)
        return answer

    def get(self, path: str, **kw: object) -> Answer:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, form: dict[str, str], **kw: object) -> Answer:
        return self.request("POST", path, form, **kw)  # type: ignore[arg-type]

    def sign_in(self, user: str, password: str) -> Answer:
        got = self.post("/login", {"username": user, "password": password})
        assert got.status == 303, (got.status, got.body[:300])
        self.get("/")  # a page with the CSRF token in it
        return got

    def sql(self, query: str, fmt: str = "table", timeout: float = 60) -> Answer:
        if not self.csrf:
            self.get("/sql")
        return self.post("/sql", {"_csrf": self.csrf, "query": query, "format": fmt},
                         timeout=timeout)
