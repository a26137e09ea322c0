"""Fixtures: an r1ov home holding a small learnable run (a records shard + image blobs, the layout `r1ov build`
commits), exported through the real CLI (`node bin/r1ov.js export`) in every layout, and a tiny Qwen2.5-VL.

The test home is written directly (not built through Temporal) so the Python tests need only Node and the venv;
test/train.integration.test.ts runs the same trainer on an export of a real build.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.dirname(HERE)
REPO = os.path.dirname(TRAINER)
BIN = os.path.join(REPO, "bin", "r1ov.js")
FORMATS = ("r1-onevision", "sharegpt", "trl")
COLORS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (40, 70, 220)}


def node() -> str:
    exe = shutil.which("node")
    if not exe:
        pytest.skip("node is not on PATH: the export tests drive the r1ov CLI")
    return exe


def record_columns() -> dict:
    out = subprocess.run([node(), "--import", "tsx", "-e",
                          "import {RECORD_COLUMNS} from './schemas/sample.ts'; console.log(JSON.stringify(RECORD_COLUMNS))"],
                         cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def _png(color: tuple, box: tuple, size=(112, 84)) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(im).rectangle(box, fill=color)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def write_learnable_home(home: str, run: str = "learn", n: int = 24) -> None:
    """n records: 'What colour is the shape?' (multiple choice, learnable) and every 4th a box question."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = record_columns()
    rng = random.Random(7)
    rows = []
    for i in range(n):
        name = rng.choice(sorted(COLORS))
        x1, y1 = rng.randint(5, 40), rng.randint(5, 30)
        box = (x1, y1, x1 + rng.randint(20, 50), y1 + rng.randint(15, 40))
        data = _png(COLORS[name], box)
        key = hashlib.sha256(data).hexdigest()
        os.makedirs(os.path.join(home, "blobs", key[:2]), exist_ok=True)
        with open(os.path.join(home, "blobs", key[:2], key), "wb") as f:
            f.write(data)
        choices = ["red", "green", "blue"]
        if i % 4 == 3:
            question, answer = "Where is the coloured rectangle? Give [x1, y1, x2, y2].", json.dumps(list(box))
            trace = f"<think>\nThe rectangle spans from ({box[0]}, {box[1]}) to ({box[2]}, {box[3]}).\n</think>\n<answer>\n{json.dumps(list(box))}\n</answer>"
            ch = None
        else:
            letter = "ABC"[choices.index(name)]
            question = "What colour is the rectangle?\nChoices:\nA. red\nB. green\nC. blue"
            answer = letter
            trace = f"<think>\nThe rectangle in the image is {name}.\n</think>\n<answer>\nThe answer is \\boxed{{{letter}}}.\n</answer>"
            ch = json.dumps(choices)
        row = {c: None for c in cols}
        row.update(run=run, sample_id=f"learn-{i:03d}#0", row_id=f"learn-{i:03d}", turn=0, source="test", subset="colours",
                   status="done", stage="done", question=question, answer=answer, choices=ch, image_key=key, width=112,
                   height=84, kind="natural", boxes=json.dumps([{"label": name, "box": list(box)}]), trace=trace,
                   final_answer=answer, accuracy=1.0, format_ok=1.0, finished_at="2026-01-01T00:00:00Z")
        rows.append(row)
    types = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(), "DOUBLE": pa.float64()}
    schema = pa.schema([(c, types[t]) for c, t in cols.items()])
    shards = os.path.join(home, "runs", run, "shards")
    os.makedirs(shards, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), os.path.join(shards, "records-test.parquet"))


def export(home: str, run: str, fmt: str, out: str, arrow: bool = True) -> dict:
    args = [node(), BIN, "--home", home, "--json", "export", run, "--format", fmt, "--out", out] + (["--arrow"] if arrow else [])
    r = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"r1ov export failed ({r.returncode}): {r.stderr[-2000:]}"
    return json.loads(r.stdout)


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> dict:
    """{format: export summary} for a learnable run of 24 records (6 of them box questions)."""
    root = tmp_path_factory.mktemp("r1ov")
    home = str(root / "home")
    write_learnable_home(home)
    return {fmt: export(home, "learn", fmt, str(root / "exports" / fmt)) for fmt in FORMATS}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, exported) -> str:
    sys.path.insert(0, TRAINER)
    from r1ov_trainer.tiny import build, corpus_from_data

    out = str(tmp_path_factory.mktemp("tiny") / "qwen2_5_vl")
    build(out, corpus_from_data(exported["trl"]["parquet"]))
    return out


def run_trainer(stage: str, config: dict, tmp_path, *extra: str, env: dict | None = None, timeout: int = 900):
    """Run `python -m r1ov_trainer` as the activity does; returns (exit code, progress events, stderr)."""
    path = os.path.join(str(tmp_path), f"{stage}-{abs(hash(json.dumps(config, sort_keys=True)))}.json")
    with open(path, "w") as f:
        json.dump(config, f)
    r = subprocess.run([sys.executable, "-m", "r1ov_trainer", stage, "--config", path, *extra], cwd=TRAINER,
                       capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r.returncode, events, r.stderr


@pytest.fixture()
def reward_service():
    """The r1ov reward service (`r1ov rewards serve`) on a free port: GRPO scores through it over HTTP."""
    proc = subprocess.Popen([node(), BIN, "--json", "rewards", "serve", "--port", "0"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        yield json.loads(line)["url"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
