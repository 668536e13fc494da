"""``fieldsync dedup INPUT.jsonl --out CLUSTERS.csv``: the batch contract."""

import csv
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from server.commands.dedup import dedup
from sync.dedup.generator import PRESETS, generate
from sync.dedup.metrics import pairwise


def _write_jsonl(path, records, extra_lines=()):
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        for line in extra_lines:
            handle.write(line + "\n")


def _read_clusters(path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def generated():
    return generate(replace(PRESETS["b"], size=1500, seed=42))


def test_generated_file_every_id_once_and_accurate(tmp_path, generated):
    records, truth = generated
    source, out = tmp_path / "units.jsonl", tmp_path / "clusters.csv"
    _write_jsonl(source, records)
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    header, rows = _read_clusters(out)
    assert header == ["id", "cluster"]
    ids = [row[0] for row in rows]
    assert sorted(ids) == sorted(r["id"] for r in records)
    assert len(ids) == len(set(ids))
    scores = pairwise({rid: cluster for rid, cluster in rows}, truth)
    assert scores["precision"] >= 0.99
    assert scores["f1"] >= 0.93
    assert "records" in result.output  # the summary


def test_malformed_lines_and_fields(tmp_path):
    good = [
        {"id": "a", "name": "صنایع غذایی مهرام", "park": "شهرک صنعتی عباس‌آباد",
         "phone": "021-36001234", "lat": "35.48", "lon": 51.68},
        {"id": "b", "name": "صنايع غذايي مهرام", "park": "ش.ص عباس آباد",
         "phone": "+98 21 3600 1234", "lat": 35.48004, "lon": "۵۱٫۶۸۰۰۲"},
        {"id": 17, "name": None, "national_id": 10320894878, "lat": "north", "lon": 999},
        {"id": "c", "name": ["not", "text"], "phone": {"x": 1}, "employees": "many"},
        {"id": "d"},
        {"id": 2.0, "name": "", "province": 5, "city": True},
    ]
    broken = [
        "", "   ", "{not json", "[1, 2, 3]", "42", "null", '"text"',
        json.dumps({"name": "no id"}), json.dumps({"id": None, "name": "null id"}),
        json.dumps({"id": "", "name": "empty id"}), json.dumps({"id": ["x"]}),
        json.dumps({"id": "a", "name": "the same id again"}),
        '{"id": "e", "lat": NaN, "lon": Infinity}',
    ]
    source, out = tmp_path / "units.jsonl", tmp_path / "clusters.csv"
    _write_jsonl(source, good, broken)
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    header, rows = _read_clusters(out)
    assert header == ["id", "cluster"]
    assert [row[0] for row in rows] == ["a", "b", "17", "c", "d", "2", "e"]
    cluster = dict(rows)
    assert cluster["a"] == cluster["b"]
    assert len({cluster[i] for i in ("17", "c", "d", "2", "e")}) == 5
    assert "Skipped" in result.output


def test_numbers_past_64_bits_and_json_extensions_are_read_as_json_reads_them(tmp_path):
    # the fast JSON reader would turn these integers into floats; what was typed counts
    lines = [
        '{"id": 123456789012345678901234567890, "name": "کاشی مهر", "national_id": 10320894878}',
        '{"id": -9223372036854775809, "name": "کاشی مهر", "national_id": 10320894878}',
        '{"id": 18446744073709551615, "license_no": 123456789012345678901}',
        '{"id": "nan", "lat": NaN, "lon": -Infinity, "name": "کاشی مهر"}',
        '{"id": 1e19}',
    ]
    source, out = tmp_path / "units.jsonl", tmp_path / "clusters.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, rows = _read_clusters(out)
    assert [row[0] for row in rows] == ["123456789012345678901234567890", "-9223372036854775809",
                                        "18446744073709551615", "nan", "10000000000000000000"]
    cluster = dict(rows)
    assert cluster["-9223372036854775809"] == "123456789012345678901234567890"  # one legal id


def test_utf8_bom_crlf_and_stdout(tmp_path):
    source = tmp_path / "units.jsonl"
    source.write_bytes("\ufeff".encode() + b'{"id": "x", "name": "\xd8\xa7"}\r\n{"id": "y"}\r\n')
    result = CliRunner().invoke(dedup, [str(source)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == ["id,cluster", "x,x", "y,y"]


def test_empty_input(tmp_path):
    source, out = tmp_path / "empty.jsonl", tmp_path / "clusters.csv"
    source.write_text("", encoding="utf-8")
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "id,cluster\n"


def test_review_pairs_file(tmp_path, generated):
    records, _ = generated
    source, out, review = tmp_path / "u.jsonl", tmp_path / "c.csv", tmp_path / "r.csv"
    _write_jsonl(source, records[:300])
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out), "--review", str(review)])
    assert result.exit_code == 0, result.output
    assert review.read_text(encoding="utf-8").startswith("id_a,id_b,score\n")


def test_needs_input_or_rescan(tmp_path):
    result = CliRunner().invoke(dedup, [])
    assert result.exit_code == 2
    assert "INPUT.jsonl" in result.output
    source = tmp_path / "u.jsonl"
    source.write_text("", encoding="utf-8")
    result = CliRunner().invoke(dedup, [str(source), "--rescan"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_a_line_cut_after_its_id_keeps_the_id(tmp_path):
    """Every id of the input is in the output, even on a line that is no longer JSON."""
    source, out = tmp_path / "units.jsonl", tmp_path / "clusters.csv"
    source.write_text('{"id": "a", "name": "صنایع غذایی طلوع"}\n'
                      '{"id": "cut", "name": "صنایع غذا\n'
                      '{"id": 41, "name": "x", "phone": [\n'
                      '{"id": "esc\\"aped", "name\n'
                      '{"name": "no id", \n'
                      '{"id": "a", "name": "the first line with an id counts"}\n', encoding="utf-8")
    result = CliRunner().invoke(dedup, [str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    header, rows = _read_clusters(out)
    assert [row[0] for row in rows] == ["a", "cut", "41", 'esc"aped']
    assert len({row[1] for row in rows}) == 4  # each salvaged line is a unit of its own
    assert "began with an id" in result.output
    assert "Skipped 1 unreadable" in result.output and "1 lines repeating an id" in result.output


def test_one_process_or_several_give_the_same_clusters_and_review_list():
    from sync.dedup.batch import deduplicate

    records, _ = generate(replace(PRESETS["b"], size=4000, seed=42))  # enough for tied scores
    serial, forked = deduplicate(records, workers=1), deduplicate(records, workers=2)
    assert serial.labels == forked.labels
    assert serial.review == forked.review  # the same pairs in the same order, however workers finish
    assert serial.review == sorted(serial.review, key=lambda t: (-t[2], t[0], t[1]))
    assert len({score for _, _, score in serial.review}) < len(serial.review), "the set has ties to order"


def test_lines_read_in_the_workers_give_what_reading_them_here_gives():
    """The command has its lines parsed where they are prepared; which lines count (blank,
    broken, salvaged, a repeated id, across the workers' chunks) is still decided in input
    order, and one process or several agree with reading every line first."""
    from server.commands.dedup import _Input, read_line
    from sync.dedup.batch import Reader, deduplicate

    records, _ = generate(replace(PRESETS["a"], size=4500, seed=7))
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    # odd lines where the workers' chunks (2,000 lines) meet, and ids repeated across them
    lines[1999:1999] = ["", "{broken", json.dumps({"id": records[10]["id"], "name": "repeat"}),
                        '{"id": "cut-4", "name": "صنایع']
    lines[4100:4100] = [json.dumps({"id": records[2500]["id"]}), "42", '{"id": null}']
    items = list(enumerate((line.encode() + b"\n" for line in lines), start=1))

    results = []
    for workers in (1, 2):
        data = _Input()
        result = deduplicate(items, workers=workers, reader=Reader(read_line, data.accept))
        results.append((data.ids, data.invalid_lines, data.salvaged_lines, data.duplicate_ids,
                        result.labels, result.review))
    assert results[0] == results[1]
    ids, invalid, salvaged, repeated, labels, _ = results[0]
    # read line by line in this process: the same records in the same order
    expected = _Input()
    kept = [record for item in items for note, record in [read_line(item)]
            if expected.accept(note) and record is not None]
    assert ids == expected.ids == [r["id"] for r in kept]
    assert (invalid, salvaged, repeated) == ([2001, 4102, 4103], [2003], 2)
    assert labels == deduplicate(kept, workers=1).labels


def test_the_real_command_writes_everything_before_it_ends_the_process(tmp_path, generated):
    """Run as its own process, the command ends without freeing the batch (``exit_now``):
    the CSVs and the summary must all be out, and the exit status 0."""
    import subprocess
    import sys

    records, _ = generated
    source, out, review = tmp_path / "units.jsonl", tmp_path / "clusters.csv", tmp_path / "review.csv"
    _write_jsonl(source, records, extra_lines=["not json"])
    done = subprocess.run([sys.executable, "-m", "server", "dedup", str(source), "--out", str(out),
                           "--review", str(review)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    header, rows = _read_clusters(out)
    assert len(rows) == len(records)
    assert review.read_text(encoding="utf-8").startswith("id_a,id_b,score\n")
    assert "records ->" in done.stderr and "Skipped 1 unreadable" in done.stderr
    in_process = CliRunner().invoke(dedup, [str(source), "--out", str(tmp_path / "again.csv")])
    assert in_process.exit_code == 0  # under a test runner the command returns as usual
    assert (tmp_path / "again.csv").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
