"""Perception server: open-vocabulary detection (Grounding DINO, or OWL-ViT / OWLv2) from a local checkpoint,
behind the HTTP contract the pipeline's client speaks (activities/grounding/dino.ts, Roboflow Inference style):

    POST /grounding_dino/infer  {"image": {"type": "base64", "value": PNG/JPEG base64}, "text": ["cat", ...],
                                 "box_threshold": 0.35, "text_threshold": 0.25}
    ->  {"image": {"width": W, "height": H},
         "predictions": [{"x": cx, "y": cy, "width": w, "height": h, "confidence": c, "class": "cat"}, ...]}
    GET /health -> {"ok": true, "model": "grounding-dino", "checkpoint": NAME}

Boxes are centre/size in pixels of the posted image. Nothing is downloaded: the checkpoint is a directory
(`save_pretrained` output of the model and its processor).

    python -m r1ov_trainer perception serve --checkpoint DIR [--host 127.0.0.1] [--port 9001] [--device cpu]
    python -m r1ov_trainer perception make-tiny --out DIR     # a tiny randomly initialised Grounding DINO (tests)
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Detector:
    """One loaded checkpoint; `detect` is serialised (one forward pass at a time keeps memory bounded)."""

    def __init__(self, checkpoint: str, device: str = "cpu") -> None:
        import torch
        from transformers import AutoConfig, AutoProcessor

        if not os.path.isdir(checkpoint):
            raise SystemExit(f"r1ov-perception: error: --checkpoint {checkpoint} is not a directory")
        self.torch = torch
        self.device = device
        self.checkpoint = os.path.basename(os.path.normpath(checkpoint))
        kind = AutoConfig.from_pretrained(checkpoint).model_type
        if kind == "grounding-dino":
            from transformers import GroundingDinoForObjectDetection as Model
        elif kind == "owlvit":
            from transformers import OwlViTForObjectDetection as Model
        elif kind == "owlv2":
            from transformers import Owlv2ForObjectDetection as Model
        else:
            raise SystemExit(f"r1ov-perception: error: checkpoint {checkpoint} is a {kind!r} model; expected grounding-dino, owlvit or owlv2")
        self.kind = kind
        self.processor = AutoProcessor.from_pretrained(checkpoint)
        self.model = Model.from_pretrained(checkpoint).to(device).eval()
        self.lock = threading.Lock()

    def detect(self, image: Any, labels: list[str], box_threshold: float, text_threshold: float) -> list[dict[str, Any]]:
        w, h = image.size
        with self.lock, self.torch.no_grad():
            if self.kind == "grounding-dino":
                # Grounding DINO reads one lower-cased prompt, phrases separated by ". ".
                prompt = " ".join(f"{label.strip().lower()}." for label in labels)
                inputs = self.processor(images=image, text=prompt, return_tensors="pt").to(self.device)
                out = self.model(**inputs)
                res = self.processor.post_process_grounded_object_detection(
                    out, inputs["input_ids"], threshold=box_threshold, text_threshold=text_threshold, target_sizes=[(h, w)]
                )[0]
                phrases = res.get("text_labels", res.get("labels"))
                named = [match_label(str(p), labels) for p in phrases]
            else:
                inputs = self.processor(text=[labels], images=image, return_tensors="pt").to(self.device)
                out = self.model(**inputs)
                res = self.processor.post_process_object_detection(out, threshold=box_threshold, target_sizes=self.torch.tensor([(h, w)]))[0]
                named = [labels[int(i)] for i in res["labels"]]
        preds = []
        for box, score, label in zip(res["boxes"].tolist(), res["scores"].tolist(), named):
            if label is None:
                continue
            x1, y1, x2, y2 = (max(0.0, min(float(v), lim)) for v, lim in zip(box, (w, h, w, h)))
            if x2 <= x1 or y2 <= y1:
                continue
            preds.append({"x": (x1 + x2) / 2, "y": (y1 + y2) / 2, "width": x2 - x1, "height": y2 - y1, "confidence": float(score), "class": label})
        return preds


def match_label(phrase: str, labels: list[str]) -> str | None:
    """The requested label a detected phrase stands for: an exact match, else the first label the phrase contains."""
    p = phrase.strip().lower().rstrip(".")
    for label in labels:
        if label.strip().lower() == p:
            return label
    for label in labels:
        if label.strip().lower() in p:
            return label
    return None


def decode_request(body: bytes) -> tuple[Any, list[str], float, float]:
    """The request's image and labels, or ValueError naming what is wrong."""
    from PIL import Image

    try:
        req = json.loads(body)
    except json.JSONDecodeError as e:
        raise ValueError(f"body is not JSON: {e}") from None
    if not isinstance(req, dict):
        raise ValueError("body must be a JSON object")
    img = req.get("image")
    if not isinstance(img, dict) or img.get("type") != "base64" or not isinstance(img.get("value"), str):
        raise ValueError('image must be {"type": "base64", "value": "..."}')
    labels = req.get("text")
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not labels or not all(isinstance(t, str) and t.strip() for t in labels):
        raise ValueError("text must be a non-empty list of labels")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(img["value"], validate=True))).convert("RGB")
    except Exception as e:  # noqa: BLE001 - any decoding problem is the client's
        raise ValueError(f"image does not decode: {e}") from None
    return image, labels, float(req.get("box_threshold", 0.35)), float(req.get("text_threshold", 0.25))


def make_server(detector: Detector, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, obj: Any) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/health":
                self._send(200, {"ok": True, "model": detector.kind, "checkpoint": detector.checkpoint})
            else:
                self._send(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.rstrip("/") != "/grounding_dino/infer":
                self._send(404, {"error": f"no route {self.path}"})
                return
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                image, labels, box_t, text_t = decode_request(body)
            except ValueError as e:
                self._send(400, {"error": str(e)})
                return
            preds = detector.detect(image, labels, box_t, text_t)
            self._send(200, {"image": {"width": image.size[0], "height": image.size[1]}, "predictions": preds})

        def log_message(self, fmt: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def make_tiny(out: str) -> None:
    """A tiny randomly initialised Grounding DINO (Swin + BERT, a dozen-word vocabulary) and its processor."""
    import torch
    from transformers import (
        BertConfig, BertTokenizer, GroundingDinoConfig, GroundingDinoForObjectDetection, GroundingDinoImageProcessor,
        GroundingDinoProcessor, SwinConfig,
    )

    os.makedirs(out, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "a", "cat", "dog", "person", "car", "tree", "sign", "text"]
    vocab = os.path.join(out, "vocab.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    backbone = SwinConfig(image_size=64, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=2,
                          out_features=["stage2", "stage3", "stage4"])
    text = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                      max_position_embeddings=256)
    cfg = GroundingDinoConfig(backbone_config=backbone, text_config=text, d_model=32, encoder_layers=1, decoder_layers=1,
                              encoder_ffn_dim=32, decoder_ffn_dim=32, encoder_attention_heads=2, decoder_attention_heads=2,
                              num_queries=8, num_feature_levels=4, encoder_n_points=1, decoder_n_points=1, max_text_len=256)
    torch.manual_seed(0)
    GroundingDinoForObjectDetection(cfg).save_pretrained(out)
    processor = GroundingDinoProcessor(image_processor=GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}),
                                       tokenizer=BertTokenizer(vocab, do_lower_case=True))
    processor.save_pretrained(out)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m r1ov_trainer perception", description="open-vocabulary detection server")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--checkpoint", required=True, help="a local Grounding DINO / OWL-ViT / OWLv2 directory")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=9001)
    s.add_argument("--device", default="cpu")
    t = sub.add_parser("make-tiny")
    t.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "make-tiny":
        make_tiny(a.out)
        return 0
    detector = Detector(a.checkpoint, a.device)
    server = make_server(detector, a.host, a.port)
    # The bound address on stdout, one JSON line: callers asking for port 0 learn the port.
    sys.stdout.write(json.dumps({"listening": f"http://{a.host}:{server.server_address[1]}", "model": detector.kind}) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
