"""`python -m r1ov_trainer serve`: the OpenAI chat-completions shape (images as data URLs, usage, errors as 400s),
batched concurrent requests, and exit when the parent process dies (no orphan holding GPU memory)."""
from __future__ import annotations

import base64
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import TRAINER


def _png_data_url(color=(200, 30, 30)) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (56, 42), color).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_parse_request_shapes():
    from r1ov_trainer.serve import BadRequest, apply_stop, completion_body, parse_request, Completion

    r = parse_request({"model": "m", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "colour?"}, {"type": "image_url", "image_url": {"url": _png_data_url()}}]},
    ], "max_completion_tokens": 7, "temperature": 0, "stop": "\n\n"}, default_max_tokens=99)
    assert r.max_new_tokens == 7 and r.temperature == 0 and r.stop == ["\n\n"] and r.n == 1
    assert r.messages[1]["content"] == [{"type": "text", "text": "colour?"}, {"type": "image"}]
    assert len(r.images) == 1 and r.images[0].size == (56, 42) and r.images[0].mode == "RGB"
    assert parse_request({"messages": [{"role": "user", "content": "hi"}]}, 99).max_new_tokens == 99
    for bad in [{}, {"messages": []}, {"messages": [{"role": "tool", "content": "x"}]},
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]},
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]},
                {"messages": [{"role": "user", "content": "x"}], "max_tokens": 0},
                {"messages": [{"role": "user", "content": "x"}], "stream": True}]:
        with pytest.raises(BadRequest):
            parse_request(bad, 10)
    assert apply_stop("a</answer>b", ["</answer>"]) == ("a", True)
    body = completion_body("m", [Completion("x", "stop", 3)], 11)
    assert body["object"] == "chat.completion" and body["choices"][0]["message"] == {"role": "assistant", "content": "x"}
    assert body["usage"] == {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


@pytest.fixture(scope="module")
def plain_tiny(tmp_path_factory) -> str:
    sys.path.insert(0, TRAINER)
    from r1ov_trainer.tiny import build

    return build(str(tmp_path_factory.mktemp("serve") / "tiny"), ["The answer is \\boxed{42}. <think> red green blue </think> <answer> A </answer>"])


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"  # exited, not yet reaped by its new parent
    except FileNotFoundError:
        return True


def test_serves_chat_completions_and_dies_with_its_parent(plain_tiny):
    # A stand-in for the worker: a parent process we can SIGKILL, whose child is the server.
    wrapper = ("import subprocess, sys\n"
               "p = subprocess.Popen([sys.executable, '-m', 'r1ov_trainer', 'serve', '--checkpoint', sys.argv[1],"
               " '--model-name', 'tiny/e1', '--max-new-tokens', '6', '--max-batch-size', '4'])\n"
               "p.wait()\n")
    parent = subprocess.Popen([sys.executable, "-c", wrapper, plain_tiny], cwd=TRAINER, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        assert line, parent.stderr.read()[-3000:]
        ready = json.loads(line)
        assert ready["event"] == "serving" and ready["model"] == "tiny/e1" and ready["url"].startswith("http://127.0.0.1:")
        url = ready["url"]
        with urllib.request.urlopen(f"{url}/models", timeout=30) as r:
            assert json.loads(r.read())["data"][0]["id"] == "tiny/e1"

        body = {"model": "tiny/e1", "temperature": 0, "max_tokens": 5, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What colour is the rectangle?"}, {"type": "image_url", "image_url": {"url": _png_data_url()}}]}]}
        status, out = _post(f"{url}/chat/completions", body)
        assert status == 200, out
        assert out["object"] == "chat.completion" and out["model"] == "tiny/e1" and out["id"].startswith("chatcmpl-")
        choice = out["choices"][0]
        assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
        assert choice["finish_reason"] in ("stop", "length")
        u = out["usage"]
        assert u["prompt_tokens"] > 10 and 1 <= u["completion_tokens"] <= 5 and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
        # Greedy decoding is deterministic: the same request, the same answer.
        assert _post(f"{url}/chat/completions", body)[1]["choices"][0]["message"]["content"] == choice["message"]["content"]

        # Concurrent requests (batched by the server), with and without images, n > 1.
        results: list = [None] * 6

        def ask(i: int) -> None:
            msg = {"role": "user", "content": f"question {i}"} if i % 2 else body["messages"][0]
            results[i] = _post(f"{url}/chat/completions", {"messages": [msg], "temperature": 0.7, "n": 1 + i % 2, "max_tokens": 4})

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for i, (status, out) in enumerate(results):
            assert status == 200, out
            assert len(out["choices"]) == 1 + i % 2 and out["usage"]["completion_tokens"] >= len(out["choices"])

        status, err = _post(f"{url}/chat/completions", {"messages": [{"role": "user", "content": [{"type": "audio"}]}]})
        assert status == 400 and err["error"]["type"] == "invalid_request_error" and "audio" in err["error"]["message"]

        server_pid = ready["pid"]
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        deadline = time.time() + 15
        while time.time() < deadline and not _gone(server_pid):
            time.sleep(0.2)
        assert _gone(server_pid), "the server outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(30)


def test_bad_checkpoint_exits_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "r1ov_trainer", "serve", "--checkpoint", str(tmp_path)], cwd=TRAINER,
                       capture_output=True, text=True, timeout=300, env={**os.environ})
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1].startswith("r1ov-trainer: error: --checkpoint:"), r.stderr[-2000:]
