"""GRPO rewards from the r1ov reward service (`r1ov rewards serve`): POST /score {items} → {results}.

One HTTP call per reward batch scores accuracy, format and (when the sample has a ground-truth box) IoU; the three
reward functions TRL calls share that result through a small cache keyed by the completions.
"""
from __future__ import annotations

import time
from typing import Any, Optional

import requests

from .config import ConfigError


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):  # conversational: [{"role": "assistant", "content": ...}]
        parts = []
        for m in completion:
            c = m.get("content") if isinstance(m, dict) else m
            if isinstance(c, list):
                parts.extend(p.get("text") or "" for p in c if isinstance(p, dict))
            else:
                parts.append(str(c or ""))
        return "".join(parts)
    return str(completion)


class RewardClient:
    def __init__(self, url: str, timeout_s: float = 60.0, retries: int = 5):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = retries
        self.calls = 0
        self._cache_key: Optional[tuple] = None
        self._cache: list[dict] = []

    def health(self) -> None:
        try:
            r = requests.get(f"{self.url}/health", timeout=10)
            r.raise_for_status()
        except Exception as e:  # noqa: BLE001
            raise ConfigError(f"reward_url: the reward service at {self.url} is not answering ({type(e).__name__})") from None

    def score(self, completions: list[Any], solution: list[Any], choices: Optional[list[Any]] = None, box: Optional[list[Any]] = None) -> list[dict]:
        texts = [_text(c) for c in completions]
        key = (tuple(texts), tuple(map(str, solution)))
        if key == self._cache_key:
            return self._cache
        items = []
        for i, (t, gt) in enumerate(zip(texts, solution)):
            it: dict[str, Any] = {"id": i, "completion": t, "ground_truth": "" if gt is None else str(gt)}
            if choices is not None and choices[i]:
                it["choices"] = list(choices[i])
            if box is not None and box[i] is not None and len(box[i]) == 4:
                it["box"] = [float(x) for x in box[i]]
            items.append(it)
        delay = 0.5
        for attempt in range(self.retries):
            try:
                r = requests.post(f"{self.url}/score", json={"items": items}, timeout=self.timeout_s)
                if r.status_code >= 500:
                    raise requests.HTTPError(f"{r.status_code}")
                if r.status_code >= 400:
                    raise RuntimeError(f"reward service rejected the batch: {r.status_code} {r.text[:200]}")
                results = r.json()["results"]
                break
            except (requests.ConnectionError, requests.Timeout, requests.HTTPError):
                if attempt == self.retries - 1:
                    raise
                time.sleep(delay)
                delay *= 2
        self.calls += 1
        self._cache_key, self._cache = key, results
        return results


def make_reward_funcs(client: RewardClient, weights: dict[str, float]):
    """TRL reward functions (named accuracy / format / iou) and their weights, zero-weight ones left out."""
    def accuracy(completions, solution, choices=None, box=None, **_: Any):
        return [float(r["accuracy"]) for r in client.score(completions, solution, choices, box)]

    def format(completions, solution, choices=None, box=None, **_: Any):  # noqa: A001 - the reward's name in logs
        return [float(r["format"]) for r in client.score(completions, solution, choices, box)]

    def iou(completions, solution, choices=None, box=None, **_: Any):
        # None: the sample has no box, so this reward does not apply (TRL skips it in the weighted sum).
        return [float(r["iou"]) if r.get("iou") is not None else None for r in client.score(completions, solution, choices, box)]

    funcs, w = [], []
    for name, f in (("accuracy", accuracy), ("format", format), ("iou", iou)):
        weight = float(weights.get(name, 1.0 if name != "iou" else 1.0))
        if weight != 0:
            funcs.append(f)
            w.append(weight)
    return funcs, w
