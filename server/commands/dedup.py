"""``fieldsync dedup``: find the records that are one real unit.

Batch mode (no server, no database)::

    fieldsync dedup INPUT.jsonl --out CLUSTERS.csv

reads one unit record per line and writes ``id,cluster``: every input id
exactly once, records judged the same unit sharing a cluster value (the id of
the cluster's first record). The input is read leniently, and the command exits 0
whenever it could write the CSV; what it set aside is said on standard error:

* a UTF-8 byte order mark, CRLF line ends, blank lines and a missing final newline are fine;
* an id may be a string or a number (``17`` and ``17.0`` are "17"); a line without a
  usable id (none, null, "", a list, a bool) cannot be in the output and is skipped;
* a line that is not valid JSON but begins with its id (``{"id": "u17", "name": "…`` cut
  short) is kept as a unit of its own with that id; other broken lines are skipped;
* an id seen again on a later line: the first line counts, the later ones are skipped
  (one id, one row of output);
* bytes that are not UTF-8 are read as U+FFFD.

Store mode::

    fieldsync dedup --rescan

runs the same engine over every live unit of the store (``sync.dedup_store.rescan``):
clusters are merged through the one merge function, likely pairs queued for supervisors.
"""

import csv
import gc
import json
import math
import re
import sys
import time
from contextlib import contextmanager

import click
import orjson

from server.cli import exit_now
from sync.dedup.batch import Reader, deduplicate


class _Input:
    """What reading a JSON Lines file kept and skipped (``accept`` decides, line by line)."""

    def __init__(self):
        self.ids: list[str] = []  # of the records kept, in input order
        self.invalid_lines: list[int] = []  # 1-based line numbers
        self.salvaged_lines: list[int] = []  # not JSON, but their id was read (kept alone)
        self.duplicate_ids = 0
        self._seen: set[str] = set()

    def accept(self, note: tuple[int, str, str | None]) -> bool:
        """Whether a line read by ``read_line`` is kept: one id is one unit, the first
        line of it counts."""
        number, kind, rid = note
        if kind == "blank":
            return False
        if kind == "salvaged":
            self.salvaged_lines.append(number)
        if rid is None:
            self.invalid_lines.append(number)
            return False
        if rid in self._seen:
            self.duplicate_ids += 1
            return False
        self._seen.add(rid)
        self.ids.append(rid)
        return True


def _record_id(value) -> str | None:
    """A record's id as text; None when there is no usable id."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            value = int(value)
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


# The id of a line that is not valid JSON, when it can still be read: the line was cut
# or damaged after its id ({"id": "u17", "name": "…), so the unit exists but says nothing else.
_SALVAGE_ID = re.compile(r'^\s*\{\s*"id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+(?:\.\d+)?))\s*(?:[,}]|$)')


def _salvaged(line: str) -> dict | None:
    match = _SALVAGE_ID.match(line)
    if not match:
        return None
    if match.group(1) is not None:
        try:
            return {"id": json.loads(f'"{match.group(1)}"')}
        except ValueError:
            return None
    return {"id": json.loads(match.group(2))}


# orjson reads a line three times faster than json, but reads an integer past 64 bits as
# a float (an id typed as a long number would change): such a line, and a line orjson
# refuses (NaN, a lone surrogate), is read by json. Only top-level values count: the
# matching reads nothing inside a list or an object.
_PAST_64_BITS = 2.0 ** 63


def _parse(line: str):
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if isinstance(record, dict) and any(type(value) is float and abs(value) >= _PAST_64_BITS
                                        for value in record.values()):
        return json.loads(line)
    return record


def read_line(item: tuple[int, bytes | str]) -> tuple[tuple[int, str, str | None], dict | None]:
    """One numbered line: ((number, kind, id), record with its id as text, or None).

    kind: "blank", "json", "salvaged" (not JSON, but it begins with a readable id:
    {"id": "u17", "name": "… cut short; kept as a record with only that id) or
    "invalid". Runs in the workers of a big batch; ``_Input.accept`` decides what stays.
    """
    number, raw = item
    line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    line = line.strip().lstrip("\ufeff")
    if not line:
        return (number, "blank", None), None
    kind = "json"
    try:
        record = _parse(line)
    except ValueError:
        record = _salvaged(line)
        if record is None:
            return (number, "invalid", None), None
        kind = "salvaged"
    rid = _record_id(record.get("id")) if isinstance(record, dict) else None
    if rid is None:
        return (number, kind, None), None
    record["id"] = rid
    return (number, kind, rid), record


class _Progress:
    """One progress bar per stage on stderr, only when stderr is a terminal."""

    LABELS = {"prepare": "Reading records", "compare": "Comparing", "cluster": "Clustering"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=self.LABELS.get(stage, stage),
                                         file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextmanager
def _csv_writer(path: str):
    """A CSV writer on a file ("-": standard output), UTF-8, "\n" line ends."""
    if path == "-":
        yield csv.writer(sys.stdout, lineterminator="\n")
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        yield csv.writer(out, lineterminator="\n")


def _write_clusters(path: str, ids: list[str], labels: list[str]) -> None:
    with _csv_writer(path) as writer:
        writer.writerow(["id", "cluster"])
        writer.writerows(zip(ids, labels, strict=True))


def _write_review(path: str, ids: list[str], review) -> None:
    with _csv_writer(path) as writer:
        writer.writerow(["id_a", "id_b", "score"])
        writer.writerows((ids[i], ids[j], f"{score:.2f}") for i, j, score in review)


def _rescan(ctx) -> None:
    from server.cli import script_info
    from server.db import get_db, now
    from sync import dedup_store

    app = script_info(ctx).load_app()
    progress = _Progress(sys.stderr.isatty())
    with app.app_context():
        try:
            summary = dedup_store.rescan(get_db(), now(), progress)
        finally:
            progress.close()
    click.echo(f"{summary['units']} live units -> {summary['clusters']} units: merged {summary['merged']} records, "
               f"queued {summary['queued']} pairs for review.")


@click.command("dedup")
@click.argument("input_path", metavar="INPUT.jsonl", required=False,
                type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--out", "out_path", default="-", show_default=True,
              type=click.Path(dir_okay=False, allow_dash=True),
              help="CSV to write (header id,cluster); '-' is standard output.")
@click.option("--review", "review_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write the pairs worth a supervisor's look (id_a,id_b,score).")
@click.option("--rescan", is_flag=True,
              help="Deduplicate every live unit in the store instead of a file: merge sure clusters, "
                   "queue likely pairs for supervisors.")
@click.pass_context
def dedup(ctx, input_path, out_path, review_path, rescan):
    """Cluster the records of INPUT.jsonl that are the same real unit.

    Each line is one unit record (id, name, national_id, license_no, province,
    city, park, address, phone, lat, lon, owner, activity, status, employees;
    any may be missing). Needs no server and no database. With --rescan, works on the
    store instead (see `fieldsync --help` for choosing it).
    """
    if rescan:
        if input_path:
            raise click.UsageError("Give either INPUT.jsonl or --rescan, not both.")
        _rescan(ctx)
        return
    if not input_path:
        raise click.UsageError("Give an INPUT.jsonl file to deduplicate (or --rescan for the store).")
    started = time.perf_counter()
    collecting = gc.isenabled()
    gc.disable()  # millions of small objects, none freed before the end: no cycle passes
    try:
        with click.open_file(input_path, "rb") as stream:
            lines = list(enumerate(stream, start=1))
        data = _Input()
        progress = _Progress(sys.stderr.isatty())
        try:
            # the lines are parsed where they are prepared (the workers of a big batch)
            result = deduplicate(lines, progress=progress, reader=Reader(read_line, data.accept))
        finally:
            progress.close()
    finally:
        if collecting:
            gc.enable()
    _write_clusters(out_path, data.ids, result.labels)
    if review_path:
        _write_review(review_path, data.ids, result.review)
    stats = result.stats
    skipped = len(data.invalid_lines)
    click.echo(
        f"{stats['records']} records -> {stats['clusters']} units "
        f"({stats['merged_records']} records merged into another; "
        f"{stats['review_pairs']} pairs worth a review) in {time.perf_counter() - started:.1f}s",
        err=True)
    if skipped or data.duplicate_ids:
        lines = ", ".join(map(str, data.invalid_lines[:10])) + (" …" if skipped > 10 else "")
        click.echo(f"Skipped {skipped} unreadable or id-less lines ({lines or '-'}) and "
                   f"{data.duplicate_ids} lines repeating an id.", err=True)
    if data.salvaged_lines:
        salvaged = len(data.salvaged_lines)
        lines = ", ".join(map(str, data.salvaged_lines[:10])) + (" …" if salvaged > 10 else "")
        click.echo(f"{salvaged} lines were not valid JSON but began with an id ({lines}): "
                   "each kept as a unit of its own.", err=True)
    exit_now(0)  # the output is written: no need to take the batch apart object by object


COMMANDS = [dedup]
