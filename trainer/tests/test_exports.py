"""`r1ov export` output is readable by pyarrow and by `datasets`, in Parquet and Arrow IPC, in every layout."""
from __future__ import annotations

import base64
import io

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

N = 24


def _both(summary: dict):
    return (
        datasets.load_dataset("parquet", data_files=summary["parquet"], split="train"),
        datasets.Dataset.from_file(summary["arrow"]),
    )


def test_pyarrow_reads_parquet_and_arrow(exported):
    for fmt, s in exported.items():
        assert s["rows"] == N and s["withImage"] == N, (fmt, s)
        t = pq.read_table(s["parquet"])
        with pa.ipc.open_stream(s["arrow"]) as r:
            a = r.read_all()
        assert t.num_rows == a.num_rows == N, fmt
        assert t.column_names == a.column_names, fmt
        assert t.column("id").to_pylist() == a.column("id").to_pylist(), fmt
        assert b"huggingface" in t.schema.metadata and b"huggingface" in a.schema.metadata, fmt


def test_r1_onevision_layout(exported):
    pds, ads = _both(exported["r1-onevision"])
    for ds in (pds, ads):
        row = ds[0]
        assert set(ds.column_names) == {"id", "image", "conversations"}
        img = Image.open(io.BytesIO(base64.b64decode(row["image"])))
        assert img.size == (112, 84)
        human, gpt = row["conversations"]
        assert human["from"] == "human" and human["value"].startswith("<image>\nHint: Please answer the question")
        assert gpt["from"] == "gpt" and gpt["value"].startswith("<think>") and "</answer>" in gpt["value"]


def test_sharegpt_layout(exported):
    pds, ads = _both(exported["sharegpt"])
    for ds in (pds, ads):
        row = ds[0]
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert row["messages"][0]["content"].startswith("<image>")
        assert len(row["images"]) == 1 and isinstance(row["images"][0], Image.Image)


def test_trl_layout(exported):
    pds, ads = _both(exported["trl"])
    assert pds.features == ads.features
    assert exported["trl"]["withBox"] == N // 4
    for ds in (pds, ads):
        assert isinstance(ds.features["images"].feature, datasets.Image)
        row = ds[0]
        user = row["prompt"][0]
        assert user["role"] == "user" and user["content"][0]["type"] == "image" and user["content"][1]["type"] == "text"
        assert "<think>" in user["content"][1]["text"]
        assert row["completion"][0]["role"] == "assistant" and row["completion"][0]["content"][0]["text"].startswith("<think>")
        assert isinstance(row["images"][0], Image.Image)
        assert row["solution"] in ("A", "B", "C") and row["choices"] == ["red", "green", "blue"] and row["box"] is None
        boxed = ds[3]
        assert boxed["choices"] is None and len(boxed["box"]) == 4 and boxed["boxes"][0]["box"] == boxed["box"]
