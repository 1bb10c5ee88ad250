# Helpers for the Bitpoll VM tests; sqlite.nix and postgresql.nix put this file
# before their script. A browser is simulated with curl inside the VM: forms are read from
# the HTML and submitted with the values a browser would send, so the tests
# follow the real pages instead of hard-coding field names.
import html.parser
import re
import shlex
import urllib.parse


class FormParser(html.parser.HTMLParser):
    """Collect every <form>: its action, method and the fields it submits."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": {},
                "radios": {},
            }
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind == "radio":
                self._form["radios"].setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form["fields"][name] = a.get("value", "on")
            elif kind == "checkbox":
                if "checked" in a:
                    self._form["fields"][name] = a.get("value", "on")
            else:
                self._form["fields"][name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            fields = self._form["fields"]
            if self._select not in fields or "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def forms_in(body):
    parser = FormParser()
    parser.feed(body)
    return parser.forms


def form_with(body, field):
    """The first POST form that has `field`."""
    for form in forms_in(body):
        if form["method"] == "post" and (field in form["fields"] or field in form["radios"]):
            return form
    raise AssertionError(f"no POST form with a {field!r} field in:\n{body[:2000]}")


class Client:
    """A cookie-keeping HTTP client running curl on a test node."""

    def __init__(self, node, base, name="client"):
        self.node = node
        self.base = base.rstrip("/")
        self.jar = f"/tmp/{name}.cookies"
        self.body_file = f"/tmp/{name}.body"

    def request(self, path, data=None):
        url = path if path.startswith("http") else self.base + path
        cmd = [
            "curl",
            "-sS",
            "--max-time",
            "60",
            "-c",
            self.jar,
            "-b",
            self.jar,
            "-o",
            self.body_file,
            "-w",
            "%{http_code} %{redirect_url}",
        ]
        if data is not None:
            cmd += ["--data-binary", urllib.parse.urlencode(data)]
            cmd += ["-H", "Content-Type: application/x-www-form-urlencoded"]
            cmd += ["-H", f"Referer: {url}"]
        cmd.append(url)
        status_line = self.node.succeed(" ".join(shlex.quote(c) for c in cmd))
        status, _, location = status_line.strip().partition(" ")
        body = self.node.succeed(f"cat {self.body_file}")
        return int(status), location, body

    def get(self, path):
        return self.request(path)

    def submit(self, page_path, form, **values):
        fields = dict(form["fields"])
        fields.update(values)
        action = form["action"] or page_path
        return self.request(urllib.parse.urljoin(self.base + page_path, action), fields)


def create_poll(client, title, options):
    """Create a free-text poll through /new/; return (public path, admin path)."""
    status, _, body = client.get("/new/")
    assert status == 200, status
    form = form_with(body, "title")
    status, location, body = client.submit(
        "/new/", form, title=title, kind="text", options="\n".join(options)
    )
    assert status == 302, f"poll not created ({status}):\n{body[:3000]}"
    admin_path = urllib.parse.urlsplit(location).path
    slug = admin_path.strip("/").split("/")[0]
    return f"/{slug}/", admin_path


def answer_poll(client, poll_path, name):
    """Answer every option of the poll with its first choice (yes)."""
    status, _, body = client.get(poll_path)
    assert status == 200, status
    form = form_with(body, "name")
    values = {radio: choices[0] for radio, choices in form["radios"].items()}
    assert values, "the answer form has no options"
    status, _, body = client.submit(poll_path, form, name=name, **values)
    assert status == 302, f"answer not saved ({status}):\n{body[:3000]}"


def hashed_static_path(body):
    """A static file URL with Django's content hash in its name, from a page."""
    match = re.search(r'/static/[^"\']+\.[0-9a-f]{12}\.(?:css|js)', body)
    assert match, "no hashed static file referenced by the page"
    return match.group(0)
