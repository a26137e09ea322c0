"""Scores bench pairs with HF math-verify (gold first, as its docs ask) and times it.

Usage: mv_score.py PAIRS.jsonl OUT.json REPS
"""
import json, sys, time, statistics
from math_verify import parse, verify

def score(pair):
    gold = parse("$" + pair["gold"] + "$")
    pred = parse(pair["completion"])
    if not gold or not pred:
        return None
    return 1 if verify(gold, pred) else 0

pairs = [json.loads(l) for l in open(sys.argv[1])]
reps = int(sys.argv[3])
verdicts = [score(p) for p in pairs]  # warm-up pass, also the verdicts
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    for p in pairs:
        score(p)
    times.append(time.perf_counter() - t0)
json.dump({"verdicts": verdicts, "seconds": times}, open(sys.argv[2], "w"))
