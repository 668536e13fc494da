"""Benchmarks that write their figures into docs/benchmarks.md touch only the part they
generate: what was written by hand around it stays."""

import shutil
from pathlib import Path

from bench import dedup_batch

ROOT = Path(__file__).resolve().parents[1]
RESULT = {"preset": "heldout", "size": 6500, "units": 3657, "wall_s": 2.1, "peak_mb": 115.0,
          "precision": 0.9998, "recall": 0.9648, "f1": 0.9820}


def test_the_dedup_table_is_rewritten_and_the_passes_written_by_hand_stay(tmp_path):
    doc = tmp_path / "benchmarks.md"
    shutil.copy(ROOT / "docs" / "benchmarks.md", doc)
    before = doc.read_text(encoding="utf-8")
    hand = before.split(dedup_batch.END, 1)[1]
    assert "**Second pass" in hand and "## Push and pull" in hand  # what must survive

    dedup_batch.write_doc([{**RESULT, "wall_s": 9.9}], doc=doc)
    after = doc.read_text(encoding="utf-8")
    assert after.split(dedup_batch.END, 1)[1] == hand
    assert after.split(dedup_batch.BEGIN, 1)[0] == before.split(dedup_batch.BEGIN, 1)[0]
    assert "| heldout | 6,500 | 3,657 | 9.9 s |" in after and "| heldout | 100,000 |" not in after
    dedup_batch.write_doc([{**RESULT, "wall_s": 9.9}], doc=doc)
    assert doc.read_text(encoding="utf-8") == after  # run again: the same text


def test_a_section_without_markers_gets_the_table_on_top_and_keeps_its_text(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Deduplication\n\nWritten by hand.\n\n## Push and pull\n\nOther.\n",
                   encoding="utf-8")
    dedup_batch.write_doc([RESULT], doc=doc)
    text = doc.read_text(encoding="utf-8")
    assert text.index(dedup_batch.END) < text.index("Written by hand.") < text.index("## Push and pull")
    assert text.endswith("## Push and pull\n\nOther.\n") and "| heldout | 6,500 |" in text

    fresh = tmp_path / "new.md"
    dedup_batch.write_doc([RESULT], doc=fresh)
    assert fresh.read_text(encoding="utf-8").startswith("# Benchmarks\n\n## Deduplication\n\n" + dedup_batch.BEGIN)
