"""The perception server over its HTTP contract (activities/grounding/dino.ts): a tiny randomly initialised Grounding
DINO built here (Swin + BERT with a dozen-word vocabulary; nothing downloaded), served on a free port."""
from __future__ import annotations

import base64
import io
import json
import threading
import urllib.error
import urllib.request

import pytest

from r1ov_trainer.perception import Detector, make_server, make_tiny, match_label


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ckpt = str(tmp_path_factory.mktemp("tiny-dino"))
    make_tiny(ckpt)
    srv = make_server(Detector(ckpt), "127.0.0.1", 0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def post(url: str, body: object) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def png(w: int, h: int) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_health(server):
    with urllib.request.urlopen(f"{server}/health", timeout=10) as r:
        assert json.loads(r.read()) == {"ok": True, "model": "grounding-dino", "checkpoint": "tiny-dino0"}


def test_infer_answers_the_contract_in_pixels_of_the_posted_image(server):
    status, body = post(f"{server}/grounding_dino/infer", {"image": {"type": "base64", "value": png(80, 60)}, "text": ["cat", "dog"],
                                                          "box_threshold": 0.0, "text_threshold": 0.0})
    assert status == 200
    assert body["image"] == {"width": 80, "height": 60}
    assert body["predictions"], "threshold 0 keeps the random model's boxes"
    for p in body["predictions"]:
        assert set(p) == {"x", "y", "width", "height", "confidence", "class"}
        assert p["class"] in ("cat", "dog")
        assert 0 <= p["x"] - p["width"] / 2 and p["x"] + p["width"] / 2 <= 80 + 1e-6
        assert 0 <= p["y"] - p["height"] / 2 and p["y"] + p["height"] / 2 <= 60 + 1e-6
        assert 0.0 <= p["confidence"] <= 1.0


def test_bad_requests_are_400_with_a_reason(server):
    status, body = post(f"{server}/grounding_dino/infer", {"image": {"type": "url", "value": "x"}, "text": ["cat"]})
    assert status == 400 and "base64" in body["error"]
    status, body = post(f"{server}/grounding_dino/infer", {"image": {"type": "base64", "value": png(8, 8)}, "text": []})
    assert status == 400 and "labels" in body["error"]


def test_match_label():
    assert match_label("cat", ["dog", "cat"]) == "cat"
    assert match_label("red cat", ["cat"]) == "cat"
    assert match_label("tree", ["cat"]) is None
