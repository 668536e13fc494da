"""XForms made by pyxform from the XLSForm of a template version; XLSX files; ODK Validate.

A form is made once per (template document, taxonomy) and kept: pyxform takes most of a
second for the diagnosis form, and Collect asks for the form list at every refresh.
"""

import hashlib
import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from sync.odk import xlsform

VALIDATE_JAR = Path(__import__("pyxform").__file__).parent / "validators" / "odk_validate" / "bin" / "ODK_Validate.jar"
SHEETS = ("survey", "choices", "settings", "entities")


@dataclass(frozen=True)
class XForm:
    form_id: str
    version: str
    title: str
    xml: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml.encode()).hexdigest()  # what OpenRosa's form list announces


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def workbook_data(sheets: dict[str, list[dict]]) -> dict:
    """The sheets as pyxform's in-memory workbook (rows and each sheet's header)."""
    data = {}
    for name, rows in sheets.items():
        data[name] = rows
        data[f"{name}_header"] = [dict.fromkeys(_columns(rows))]
    return data


@lru_cache(maxsize=32)
def _build(definition_text: str, taxonomy_text: str) -> XForm:
    definition, taxonomy = json.loads(definition_text), json.loads(taxonomy_text)
    sheets = xlsform.template_sheets(definition, taxonomy)
    result = convert(workbook_data(sheets), pretty_print=False)
    settings = sheets["settings"][0]
    return XForm(settings["form_id"], settings["version"], settings["form_title"], result.xform)


def build(definition: dict, taxonomy: dict) -> XForm:
    """The XForm of a template version with the taxonomy's obstacle choices (cached)."""
    return _build(json.dumps(definition, sort_keys=True, ensure_ascii=False),
                  json.dumps(taxonomy, sort_keys=True, ensure_ascii=False))


def to_xlsx(sheets: dict[str, list[dict]]) -> bytes:
    """An XLSForm file: one sheet per list, a header row of every column used."""
    book = Workbook()
    book.remove(book.active)
    for name in SHEETS:
        rows = sheets.get(name) or []
        sheet = book.create_sheet(name)
        columns = _columns(rows) or ["type", "name"]
        sheet.append(columns)
        for row in rows:
            # Written as text: an XLSForm cell is text to pyxform, and "=" must not become a formula.
            sheet.append(["" if row.get(c) is None else str(row[c]) for c in columns])
            for cell in sheet[sheet.max_row]:
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> dict[str, list[dict]]:
    """The sheets of an XLSForm file as rows of {column: text}; empty cells left out."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise xlsform.XLSFormError([("file", None, f"not an XLSX workbook ({error.__class__.__name__})")]) from error
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        header = [str(h).strip() if h is not None else None for h in rows[0]]
        sheets[sheet.title.strip().lower()] = [
            {h: (v if not isinstance(v, float) or not v.is_integer() else int(v))
             for h, v in zip(header, row, strict=False) if h and v not in (None, "")}
            for row in rows[1:]]
    return sheets


def template_from_xlsx(data: bytes, code: str | None = None, version: int | None = None) -> dict:
    """A template document from an XLSForm file (our export, or one written by hand in the
    subset a template holds); raises :class:`~sync.odk.xlsform.XLSFormError`."""
    return xlsform.template_from_sheets(read_xlsx(data), code, version)


def xlsx_of(definition: dict, taxonomy: dict) -> bytes:
    """The XLSForm file of a template version, as Collect's form is made of it."""
    return to_xlsx(xlsform.template_sheets(definition, taxonomy))


def validate(xforms: list[str]) -> tuple[bool, str]:
    """Run ODK Validate (JavaRosa, the engine inside Collect) over XForms in one JVM; returns
    (all valid, its report). Needs ``java`` (Debian's default-jre-headless)."""
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("ODK Validate needs Java: install Debian's default-jre-headless.")
    with tempfile.TemporaryDirectory(prefix="fieldsync-validate-") as folder:
        paths = []
        for i, xml in enumerate(xforms):
            path = Path(folder) / f"form{i}.xml"
            path.write_text(xml, encoding="utf-8")
            paths.append(str(path))
        done = subprocess.run([java, "-Djava.awt.headless=true", "-jar", str(VALIDATE_JAR), *paths],
                              capture_output=True, text=True, timeout=600)
    return done.returncode == 0, done.stdout + done.stderr
