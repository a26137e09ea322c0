"""`python -m r1ov_trainer serve --checkpoint DIR [--port 0]`: a training checkpoint behind an OpenAI-compatible
chat-completions endpoint, so the evaluate workflow can score it like any other model (the `model` role).

- Backend `transformers` (default): the checkpoint's Qwen2.5-VL model and processor (a LoRA checkpoint is merged
  into its base), `generate` on the GPU when there is one; concurrent requests are batched (left padding).
- Backend `vllm`: `vllm.entrypoints.openai.api_server` on the checkpoint, when vLLM is installed.

Routes: `POST /v1/chat/completions` (string or part-list content; `image_url` parts as data URLs or http(s) URLs;
`max_tokens`/`max_completion_tokens`, `temperature` (0 = greedy), `top_p`, `n`, `stop`, `seed`; the reply carries
`usage`), `GET /v1/models`, `GET /health`.

stdout holds one JSON line, `{"event": "serving", "url": ".../v1", ...}`, once the model answers; logs go to stderr.
The server exits when its parent process dies (it polls os.getppid()): a killed worker never leaves an orphan
holding GPU memory. Exit codes: 2 bad checkpoint or options (one line on stderr), 1 anything else.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import io
import json
import os
import queue
import signal
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from .config import ConfigError


class BadRequest(Exception):
    """The client's fault: answered with HTTP 400 and an OpenAI-style error body."""


# ---------------------------------------------------------------------------------------------------------------
# parent watch


def _die() -> None:
    # Our own process group (the activity starts us detached) may hold helpers (vLLM's engine): take them along.
    try:
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:
        os._exit(137)


def exit_with_parent(poll_s: float = 0.5) -> None:
    """Poll os.getppid(): when the parent dies we are re-parented (to init or a subreaper) and the id changes."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                sys.stderr.write(f"r1ov-serve: parent {parent} is gone; exiting\n")
                _die()

    threading.Thread(target=watch, name="r1ov-serve-parent-watch", daemon=True).start()


# ---------------------------------------------------------------------------------------------------------------
# requests


@dataclass
class Completion:
    text: str
    finish_reason: str
    tokens: int


@dataclass
class Request:
    messages: list  # processor-format messages: content a string or [{"type": "text"|"image", ...}]
    images: list
    max_new_tokens: int
    temperature: float
    top_p: float
    n: int
    stop: list[str]
    seed: Optional[int]
    future: Future = field(default_factory=Future)

    def group_key(self) -> tuple:
        return (self.max_new_tokens, self.temperature, self.top_p, self.n, self.seed)


def decode_image(url: str, fetch_timeout_s: float = 30.0):
    from PIL import Image

    if url.startswith("data:"):
        head, _, payload = url.partition(",")
        if ";base64" not in head:
            raise BadRequest("image_url: only base64 data URLs are supported")
        try:
            raw = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as e:
            raise BadRequest(f"image_url: bad base64 ({e})") from None
    elif url.startswith(("http://", "https://")):
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=fetch_timeout_s) as r:  # noqa: S310 - http(s) only, checked above
                raw = r.read()
        except Exception as e:  # noqa: BLE001
            raise BadRequest(f"image_url: cannot fetch {url[:200]} ({e})") from None
    else:
        raise BadRequest("image_url: expected a data: or http(s): URL")
    try:
        im = Image.open(io.BytesIO(raw))
        im.load()
    except Exception as e:  # noqa: BLE001
        raise BadRequest(f"image_url: not a decodable image ({e})") from None
    return im.convert("RGB")


def parse_request(body: Any, default_max_tokens: int) -> Request:
    """An OpenAI chat-completions body → a Request (images decoded, content in the processor's message format)."""
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadRequest("messages: expected a non-empty list")
    if body.get("stream"):
        raise BadRequest("stream: not supported")
    messages, images = [], []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise BadRequest(f"messages[{i}]: expected {{role: system|user|assistant, content}}")
        content = m.get("content")
        if content is None:
            content = ""
        if isinstance(content, str):
            messages.append({"role": m["role"], "content": content})
            continue
        if not isinstance(content, list):
            raise BadRequest(f"messages[{i}].content: expected a string or a list of parts")
        parts = []
        for j, p in enumerate(content):
            kind = p.get("type") if isinstance(p, dict) else None
            if kind == "text" and isinstance(p.get("text"), str):
                parts.append({"type": "text", "text": p["text"]})
            elif kind == "image_url":
                iu = p.get("image_url")
                url = iu.get("url") if isinstance(iu, dict) else iu
                if not isinstance(url, str):
                    raise BadRequest(f"messages[{i}].content[{j}].image_url: expected {{url}}")
                images.append(decode_image(url))
                parts.append({"type": "image"})
            else:
                raise BadRequest(f"messages[{i}].content[{j}]: unsupported part {kind!r} (text and image_url are)")
        messages.append({"role": m["role"], "content": parts})

    def number(name: str, default, lo: float, hi: float, integer: bool = False):
        v = body.get(name)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and int(v) != v) or not lo <= v <= hi:
            raise BadRequest(f"{name}: expected a {'whole ' if integer else ''}number in [{lo}, {hi}], got {json.dumps(v)}")
        return int(v) if integer else float(v)

    if body.get("max_completion_tokens") is not None:  # the newer OpenAI spelling
        body = {**body, "max_tokens": body["max_completion_tokens"]}
    max_new = number("max_tokens", default_max_tokens, 1, 1 << 20, True)
    stop = body.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise BadRequest("stop: expected a string or a list of strings")
    return Request(messages=messages, images=images, max_new_tokens=max_new,
                   temperature=number("temperature", 1.0, 0.0, 2.0), top_p=number("top_p", 1.0, 0.0, 1.0),
                   n=number("n", 1, 1, 16, True), stop=stop, seed=number("seed", None, 0, 2**63 - 1, True))


def completion_body(model: str, completions: list[Completion], prompt_tokens: int) -> dict:
    out_tokens = sum(c.tokens for c in completions)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": i, "message": {"role": "assistant", "content": c.text}, "finish_reason": c.finish_reason,
                     "logprobs": None} for i, c in enumerate(completions)],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": out_tokens, "total_tokens": prompt_tokens + out_tokens},
    }


def apply_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stop if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


# ---------------------------------------------------------------------------------------------------------------
# the transformers backend


def _is_adapter(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "adapter_config.json"))


def load_checkpoint(path: str, dtype: str, min_pixels: Optional[int], max_pixels: Optional[int]):
    """Model and processor of a checkpoint (a LoRA adapter is merged into the base it names)."""
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    if os.path.isdir(path) and not (os.path.isfile(os.path.join(path, "config.json")) or _is_adapter(path)):
        raise ConfigError(f"--checkpoint: {path} holds no model (no config.json or adapter_config.json)")
    base = path
    if _is_adapter(path):
        with open(os.path.join(path, "adapter_config.json"), encoding="utf-8") as f:
            base = json.load(f).get("base_model_name_or_path") or ""
        if not base:
            raise ConfigError(f"--checkpoint: {path} is a LoRA adapter without base_model_name_or_path")
    try:
        mcfg = AutoConfig.from_pretrained(base)
    except Exception as e:  # noqa: BLE001
        raise ConfigError(f"--checkpoint: cannot load a model configuration from {base} ({str(e).splitlines()[0][:200]})") from None
    if type(mcfg).model_type not in ("qwen2_5_vl", "qwen2_vl"):
        raise ConfigError(f"--checkpoint: {base} is a {type(mcfg).model_type!r} model; serve supports qwen2_5_vl and qwen2_vl")
    cuda = torch.cuda.is_available()
    if dtype == "auto":
        torch_dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    else:
        torch_dtype = getattr(torch, dtype)
    # The processor comes with the checkpoint (the Trainer saves it); an adapter-only one may lack it: the base's.
    proc_src = path if os.path.isfile(os.path.join(path, "preprocessor_config.json")) else base
    kw = {k: v for k, v in (("min_pixels", min_pixels), ("max_pixels", max_pixels)) if v}
    processor = AutoProcessor.from_pretrained(proc_src, **kw)
    ip = processor.image_processor
    if min_pixels and max_pixels:
        ip.min_pixels, ip.max_pixels = min_pixels, max_pixels
        if isinstance(getattr(ip, "size", None), dict):
            ip.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    processor.tokenizer.padding_side = "left"  # batched generation continues every prompt from its last token
    model = AutoModelForImageTextToText.from_pretrained(base, dtype=torch_dtype)
    if _is_adapter(path):
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, path).merge_and_unload()
    model.to("cuda" if cuda else "cpu").eval()
    return model, processor


class Generator:
    """Runs batches of requests through `model.generate` on one device, one batch at a time."""

    def __init__(self, model, processor):
        self.model, self.processor = model, processor
        tok = processor.tokenizer
        eos: set[int] = set()
        for v in (tok.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
            eos.update(v if isinstance(v, list) else [v] if v is not None else [])
        self.eos = eos
        self.pad = tok.pad_token_id if tok.pad_token_id is not None else next(iter(self.eos), 0)

    def run(self, reqs: list[Request]) -> list[tuple[list[Completion], int]]:
        import torch

        p = self.processor
        texts = [p.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True) for r in reqs]
        images = [im for r in reqs for im in r.images]
        inputs = p(text=texts, images=images or None, return_tensors="pt", padding=True).to(self.model.device)
        r0 = reqs[0]
        kwargs: dict[str, Any] = dict(max_new_tokens=r0.max_new_tokens, num_return_sequences=r0.n, pad_token_id=self.pad,
                                      eos_token_id=sorted(self.eos) or None)
        if r0.temperature > 0:
            kwargs.update(do_sample=True, temperature=r0.temperature, top_p=r0.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if r0.seed is not None:
            torch.manual_seed(r0.seed)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **kwargs)
        new = out[:, inputs["input_ids"].shape[1]:].tolist()
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        results = []
        for i, r in enumerate(reqs):
            comps = []
            for seq in new[i * r.n:(i + 1) * r.n]:
                end = next((k for k, t in enumerate(seq) if t in self.eos), None)
                body = seq if end is None else seq[:end]
                while body and body[-1] == self.pad and self.pad not in self.eos:
                    body = body[:-1]
                text, stopped = apply_stop(p.tokenizer.decode(body, skip_special_tokens=True), r.stop)
                finish = "stop" if end is not None or stopped else "length"
                comps.append(Completion(text=text, finish_reason=finish, tokens=len(body) + (1 if end is not None else 0)))
            results.append((comps, int(prompt_tokens[i])))
        return results


class Batcher:
    """Collects concurrent requests for a moment and generates compatible ones (same sampling knobs) together."""

    def __init__(self, gen: Generator, max_batch: int, window_s: float = 0.01):
        self.gen, self.max_batch, self.window_s = gen, max_batch, window_s
        self.q: "queue.Queue[Request]" = queue.Queue()
        threading.Thread(target=self._loop, name="r1ov-serve-batcher", daemon=True).start()

    def submit(self, r: Request) -> Future:
        self.q.put(r)
        return r.future

    def _loop(self) -> None:
        while True:
            pending = [self.q.get()]
            deadline = time.monotonic() + self.window_s
            while len(pending) < self.max_batch * 4:
                try:
                    pending.append(self.q.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            groups: dict[tuple, list[Request]] = {}
            for r in pending:
                groups.setdefault(r.group_key(), []).append(r)
            for reqs in groups.values():
                for k in range(0, len(reqs), self.max_batch):
                    self._run(reqs[k:k + self.max_batch])

    def _run(self, reqs: list[Request]) -> None:
        try:
            for r, res in zip(reqs, self.gen.run(reqs)):
                r.future.set_result(res)
        except Exception as e:  # noqa: BLE001 - e.g. out of memory: try each request on its own before failing it
            if len(reqs) > 1:
                for r in reqs:
                    self._run([r])
                return
            reqs[0].future.set_exception(e)


# ---------------------------------------------------------------------------------------------------------------
# HTTP


def make_handler(model_name: str, batcher: Batcher, default_max_tokens: int, request_timeout_s: float):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # one line per request would drown the worker's log
            pass

        def _send(self, status: int, obj: dict) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, kind: str) -> None:
            self._send(status, {"error": {"message": message, "type": kind, "code": status}})

        def do_GET(self):  # noqa: N802 - http.server's naming
            path = self.path.split("?")[0].rstrip("/")
            if path in ("/health", "/v1/health"):
                self._send(200, {"ok": True, "model": model_name})
            elif path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model_name, "object": "model", "created": 0, "owned_by": "r1ov"}]})
            else:
                self._error(404, f"no route {self.path}", "not_found")

        def do_POST(self):  # noqa: N802
            if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}", "not_found")
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                req = parse_request(body, default_max_tokens)
            except (BadRequest, ValueError) as e:
                return self._error(400, str(e), "invalid_request_error")
            try:
                results = batcher.submit(req).result(timeout=request_timeout_s)
            except Exception as e:  # noqa: BLE001
                return self._error(500, f"{type(e).__name__}: {str(e)[:500]}", "server_error")
            comps, prompt_tokens = results
            self._send(200, completion_body(model_name, comps, prompt_tokens))

    return Handler


def advertised_host(host: str, advertise: Optional[str]) -> str:
    if advertise:
        return advertise
    if host in ("0.0.0.0", "::", ""):
        return socket.getfqdn()
    return host


def serve_transformers(a) -> int:
    model, processor = load_checkpoint(a.checkpoint, a.dtype, a.min_pixels, a.max_pixels)
    batcher = Batcher(Generator(model, processor), a.max_batch_size)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(a.model_name, batcher, a.max_new_tokens, a.request_timeout_s))
    server.daemon_threads = True
    port = server.server_address[1]
    from .progress import emit

    emit("serving", url=f"http://{advertised_host(a.host, a.advertise_host)}:{port}/v1", port=port, model=a.model_name,
         checkpoint=a.checkpoint, backend="transformers", pid=os.getpid())
    server.serve_forever()
    return 0


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve_vllm(a) -> int:
    """vLLM's own OpenAI server as a child in our process group (the parent watch takes it along)."""
    import importlib.util
    import subprocess
    import urllib.request

    if importlib.util.find_spec("vllm") is None:
        raise ConfigError("--backend vllm: vllm is not installed in the trainer's environment (pip install vllm)")
    if _is_adapter(a.checkpoint):
        raise ConfigError("--backend vllm: a LoRA adapter checkpoint needs the transformers backend (or a merged model)")
    port = a.port or _free_port(a.host)
    args = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", a.checkpoint, "--served-model-name",
            a.model_name, "--host", a.host, "--port", str(port), "--dtype", a.dtype, "--max-num-seqs", str(a.max_batch_size)]
    if a.min_pixels and a.max_pixels:
        args += ["--mm-processor-kwargs", json.dumps({"min_pixels": a.min_pixels, "max_pixels": a.max_pixels})]
    child = subprocess.Popen(args, stdout=sys.stderr, stderr=sys.stderr)
    probe = f"http://127.0.0.1:{port}/health" if a.host in ("0.0.0.0", "") else f"http://{a.host}:{port}/health"
    while child.poll() is None:
        try:
            with urllib.request.urlopen(probe, timeout=5) as r:  # noqa: S310 - our own child on loopback
                if r.status == 200:
                    break
        except Exception:  # noqa: BLE001 - still loading
            time.sleep(2)
    if child.poll() is not None:
        return 1
    from .progress import emit

    emit("serving", url=f"http://{advertised_host(a.host, a.advertise_host)}:{port}/v1", port=port, model=a.model_name,
         checkpoint=a.checkpoint, backend="vllm", pid=os.getpid())
    return child.wait()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m r1ov_trainer serve", description="serve a checkpoint behind an OpenAI-compatible endpoint")
    ap.add_argument("--checkpoint", required=True, help="checkpoint directory (or a hub id)")
    ap.add_argument("--model-name", help="the model name the endpoint answers to (default: the checkpoint's folder name)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: any free port (reported in the serving line)")
    ap.add_argument("--advertise-host", help="host name in the reported URL (default: --host, or this machine's name for 0.0.0.0)")
    ap.add_argument("--backend", choices=["transformers", "vllm"], default="transformers")
    ap.add_argument("--dtype", choices=["auto", "bfloat16", "float16", "float32"], default="auto")
    ap.add_argument("--max-batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=1024, help="when a request names no max_tokens")
    ap.add_argument("--request-timeout-s", type=float, default=1800.0)
    ap.add_argument("--min-pixels", type=int)
    ap.add_argument("--max-pixels", type=int)
    a = ap.parse_args(argv)
    exit_with_parent()
    a.model_name = a.model_name or os.path.basename(os.path.normpath(a.checkpoint))
    from .progress import redirect_stdout_to_stderr

    redirect_stdout_to_stderr()
    try:
        if a.max_batch_size <= 0 or a.max_new_tokens <= 0:
            raise ConfigError("--max-batch-size and --max-new-tokens must be > 0")
        if a.min_pixels and a.max_pixels and a.min_pixels > a.max_pixels:
            raise ConfigError(f"--min-pixels ({a.min_pixels}) is above --max-pixels ({a.max_pixels})")
        if os.path.sep in a.checkpoint and not os.path.exists(a.checkpoint):
            raise ConfigError(f"--checkpoint: no such directory: {a.checkpoint}")
        return serve_vllm(a) if a.backend == "vllm" else serve_transformers(a)
    except ConfigError as e:
        sys.stderr.write(f"r1ov-trainer: error: {e}\n")
        return 2
    except OSError as e:
        if e.errno in (99, 13):  # address not available / permission: the host or port is wrong (in use: retry)
            sys.stderr.write(f"r1ov-trainer: error: cannot listen on {a.host}:{a.port} ({e.strerror})\n")
            return 2
        raise
