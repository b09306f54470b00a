"""The dataset files: temporary names until complete, rotation, gzip, leftovers of a killed run."""

import gzip
import hashlib
import json

import pytest

from pipelines.dataset import RotatingWriter, _complete_lines, _reject_reasons, file_entry, write_json_atomic

pytestmark = pytest.mark.pure


def line(n: int) -> bytes:
    return (json.dumps({"n": n, "title": "标题"}, ensure_ascii=False) + "\n").encode()


def test_files_are_hidden_until_complete(tmp_path):
    writer = RotatingWriter(tmp_path, "RUN", max_records=3, compress=False)
    writer.write(line(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".part-RUN-0001.jsonl"]
    assert list(tmp_path.glob("articles-*.jsonl*")) == []
    writer.write(line(2))
    writer.write(line(3))  # the third record completes the file
    writer.write(line(4))
    writer.finish_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles-RUN-0001.jsonl", "articles-RUN-0002.jsonl"]
    assert [f["records"] for f in writer.files] == [3, 1]
    first = tmp_path / "articles-RUN-0001.jsonl"
    assert writer.files[0]["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert writer.files[0]["bytes"] == first.stat().st_size
    assert "标题" in first.read_text(encoding="utf-8")


def test_gzip_files(tmp_path):
    writer = RotatingWriter(tmp_path, "RUN", max_records=10, compress=True)
    for n in range(5):
        writer.write(line(n))
    writer.finish_file()
    with gzip.open(tmp_path / "articles-RUN-0001.jsonl.gz", "rt", encoding="utf-8") as f:
        assert [json.loads(x)["n"] for x in f] == [0, 1, 2, 3, 4]


def test_flushed_gzip_records_survive_a_cut_stream(tmp_path):
    writer = RotatingWriter(tmp_path, "RUN", max_records=10, compress=True)
    for n in range(4):
        writer.write(line(n))
    part = tmp_path / ".part-RUN-0001.jsonl.gz"
    # As a kill -9 leaves it: no gzip trailer.
    assert [json.loads(x)["n"] for x in _complete_lines(part, gz=True)] == [0, 1, 2, 3]


def test_truncated_last_line_is_left_out(tmp_path):
    part = tmp_path / ".part-RUN-0001.jsonl"
    part.write_bytes(line(1) + line(2) + b'{"n": 3, "tit')
    assert [json.loads(x)["n"] for x in _complete_lines(part, gz=False)] == [1, 2]


def test_atomic_json_and_file_entry(tmp_path):
    target = tmp_path / "manifest-RUN.json"
    write_json_atomic(target, {"spider": "tftnews", "名": "值"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"spider": "tftnews", "名": "值"}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest-RUN.json"]
    assert file_entry(target, 0)["bytes"] == target.stat().st_size


def test_a_killed_runs_rejects_are_counted_by_reason(tmp_path):
    lines = [
        {"url": "https://a.cn/1.html", "reason": "http 404", "stage": "fetch", "record": None},
        {"url": "https://a.cn/2.html", "reason": "http 404", "stage": "fetch", "record": None},
        {"url": "https://a.cn/3.html", "reason": "no article: no article text found", "stage": "extract", "record": None},
    ]
    path = tmp_path / "rejects-run.jsonl"
    # The last line as a kill leaves it: cut short.
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"url": "https://a.cn/4.html", "rea', encoding="utf-8")
    assert _reject_reasons(path) == {"http 404": 2, "no article": 1}
