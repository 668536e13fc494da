"""A phone running ODK Collect, for the tests: the real form engine, our server over OpenRosa.

``CollectPhone`` does what Collect does with a server URL (a Collect key): reads the form
list, downloads each form and its media into a folder, fills a form with JavaRosa — the
engine inside Collect, from the jar pyxform ships (tests/odk/FillForm.java) — and sends the
instance as Collect does (multipart ``xml_submission_file`` plus the photos, with
``X-OpenRosa-Version: 1.0``). Answers are given as fieldsync answers (``sync.sample_visits``)
and turned into what a person would enter in Collect.

Java comes from Debian (``default-jdk-headless``: ODK Validate needs the runtime, the
harness a compiler), installed by tests/debian.py when missing.
"""

import fcntl
import hashlib
import subprocess
import tempfile
import uuid
from pathlib import Path
from xml.etree import ElementTree

from sync.odk.xforms import VALIDATE_JAR
from tests.debian import ensure

HERE = Path(__file__).parent
NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def java_tools() -> tuple[Path, Path]:
    return ensure("java", "default-jdk-headless"), ensure("javac", "default-jdk-headless")


def harness() -> Path:
    """The compiled harness (once per machine and source version; workers share it)."""
    java, javac = java_tools()
    source = HERE / "FillForm.java"
    version = hashlib.sha256(source.read_bytes() + VALIDATE_JAR.read_bytes()[:4096]).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"fieldsync-fillform-{version}"
    with open(Path(tempfile.gettempdir()) / "fieldsync-fillform.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "FillForm.class").exists():
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(javac), "-nowarn", "-cp", str(VALIDATE_JAR), "-d", str(folder), str(source)],
                           check=True, capture_output=True, timeout=300)
    return folder


class FormRefused(Exception):
    """JavaRosa would not take an answer, or the form is not complete."""


def _value(question: dict, value) -> str:
    if question["type"] == "yes_no":
        return "yes" if value else "no"
    if question["type"] == "select_multiple":
        return " ".join(value)
    if question["type"] == "location":
        return f"{value['lat']} {value['lon']} 0 {value.get('accuracy', 5)}"
    return str(value)


class HttpClient:
    """The phone's network: ``urllib`` to a real server."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def get(self, url: str, headers=None) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, headers={**OPENROSA, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, url: str, parts: list[tuple[str, str, bytes, str]]) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        boundary = uuid.uuid4().hex
        body = b""
        for field, filename, data, media_type in parts:
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\""
                     f"\r\nContent-Type: {media_type}\r\n\r\n").encode() + data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            **OPENROSA, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class FlaskClient:
    """The phone's network: the app's test client (same requests, no sockets)."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, headers=None) -> tuple[int, bytes]:
        response = self.client.get(url.replace("http://localhost", ""), headers={**OPENROSA, **(headers or {})})
        return response.status_code, response.data

    def post(self, url: str, parts) -> tuple[int, bytes]:
        import io

        data = {}
        for field, filename, payload, media_type in parts:
            data.setdefault(field, []).append((io.BytesIO(payload), filename, media_type))
        response = self.client.post(url.replace("http://localhost", ""), data=data, headers=OPENROSA,
                                    content_type="multipart/form-data")
        return response.status_code, response.data


class CollectPhone:
    def __init__(self, client, server_url: str, folder: Path):
        self.client, self.server_url, self.folder = client, server_url.rstrip("/"), Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.forms: dict[str, dict] = {}

    # --- getting blank forms ----------------------------------------------------------------

    def form_list(self) -> list[dict]:
        status, body = self.client.get(f"{self.server_url}/formList")
        assert status == 200, (status, body[:300])
        root = ElementTree.fromstring(body)
        return [{child.tag.split("}")[1]: child.text for child in xform} for xform in root.findall("x:xform", NS)]

    def get_blank_forms(self) -> list[str]:
        for item in self.form_list():
            status, xml = self.client.get(item["downloadUrl"])
            assert status == 200, (status, xml[:300])
            media = self.folder / f"{item['formID']}-media"
            media.mkdir(exist_ok=True)
            (self.folder / f"{item['formID']}.xml").write_bytes(xml)
            self.forms[item["formID"]] = {**item, "media": media, "xml": xml}
            self.update_media(item["formID"])
        return list(self.forms)

    def manifest(self, form_id: str) -> list[dict]:
        status, body = self.client.get(self.forms[form_id]["manifestUrl"])
        assert status == 200, (status, body[:300])
        root = ElementTree.fromstring(body)
        files = []
        for item in root.findall("m:mediaFile", NS):
            files.append({"type": item.get("type"), **{c.tag.split("}")[1]: c.text for c in item}})
        return files

    def update_media(self, form_id: str) -> None:
        for item in self.manifest(form_id):
            status, data = self.client.get(item["downloadUrl"])
            assert status == 200, (status, data[:300])
            (self.forms[form_id]["media"] / item["filename"]).write_bytes(data)

    # --- filling and sending ----------------------------------------------------------------

    def fill(self, form_id: str, definition: dict, answers: dict, *, unit: str | None = None,
             new_unit: dict | None = None, unit_edits: dict | None = None, obstacles=(),
             photos: dict | None = None, revise: tuple[str, str] | None = None) -> bytes:
        """The instance XML of a filled form. ``unit``: a unit picked from the list; or
        ``new_unit`` (``name``, ``province_id``, ``park_id``, …); ``unit_edits`` changes of the
        picked unit's status, employees, phone, owner; ``photos``: question → file names;
        ``revise``: (returned visit id, what was corrected)."""
        lines = []

        def answer(path, value):
            lines.append(f"{path}\t{value}")

        visit = "/data/_fs_visit"
        if revise:
            answer(f"{visit}/_fs_revise", revise[0])
            answer(f"{visit}/_fs_revision_comment", revise[1])
        elif new_unit is not None:
            answer(f"{visit}/_fs_new_unit", "yes")
            names = {"name": "_fs_name", "province_id": "_fs_province", "park_id": "_fs_park",
                     "national_id": "_fs_national_id", "activity": "_fs_activity", "status": "_fs_status",
                     "employees": "_fs_employees", "phone": "_fs_phone", "owner": "_fs_owner"}
            for field, value in new_unit.items():
                answer(f"{visit}/{names[field]}", value)
        else:
            answer(f"{visit}/_fs_new_unit", "no")
            answer(f"{visit}/_fs_unit", unit)
            for field, value in (unit_edits or {}).items():
                answer(f"{visit}/_fs_{field}", value)
        for section in definition["sections"]:
            for q in section["questions"]:
                if q["type"] == "photo":
                    names = (photos or {}).get(q["key"], [])
                    lines.append(f"#repeat\t/data/{section['key']}/{q['key']}\t{len(names)}")
                    for i, name in enumerate(names, start=1):
                        answer(f"/data/{section['key']}/{q['key']}[{i}]/_fs_{q['key']}_file", name)
                elif q["key"] in answers and q["type"] != "note":
                    answer(f"/data/{section['key']}/{q['key']}", _value(q, answers[q["key"]]))
        lines.append(f"#repeat\t/data/_fs_obstacles\t{len(obstacles)}")
        for i, o in enumerate(obstacles, start=1):
            for field, name in (("area", "area"), ("group", "group"), ("severity", "severity"),
                                ("description", "description"), ("proposed_action", "action"),
                                ("responsible_body", "body")):
                if o.get(field):
                    answer(f"/data/_fs_obstacles[{i}]/_fs_obstacle_{name}", o[field])
        work = Path(tempfile.mkdtemp(dir=self.folder))
        (work / "answers.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        java, _ = java_tools()
        done = subprocess.run([str(java), "-cp", f"{harness()}:{VALIDATE_JAR}", "FillForm",
                               str(self.folder / f"{form_id}.xml"), str(self.forms[form_id]["media"]),
                               str(work / "answers.tsv"), str(work / "instance.xml")],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise FormRefused(done.stderr[-2000:])
        return (work / "instance.xml").read_bytes()

    def send(self, xml: bytes, files: dict[str, bytes] | None = None) -> tuple[int, str]:
        parts = [("xml_submission_file", "submission.xml", xml, "text/xml")]
        parts += [(name, name, data, "image/jpeg") for name, data in (files or {}).items()]
        status, body = self.client.post(f"{self.server_url}/submission", parts)
        return status, body.decode("utf-8", "replace")
