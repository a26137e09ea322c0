"""Scores bench pairs with HF math-verify (gold first, as its docs ask) and times it.

Two modes, both recorded:
- "documented": the extraction math-verify's docs prescribe for the gold's type — its multiple-choice
  StringExtractionConfig when the gold is a bare option letter, LaTeX + expression extraction otherwise.
  A pair gets a verdict only when math-verify extracts something from both sides.
- "latex": LaTeX + expression extraction for every pair, letters included (there math-verify compares
  letters as sympy symbols, so `\\text{Option A}` becomes the product O*p*t*i*o*n*A).

Usage:
  mv_score.py PAIRS.jsonl OUT.json REPS   verdicts, then REPS timed passes (steady state)
  mv_score.py --once PAIRS.jsonl          one pass, nothing else (timed from outside: process start included)
  mv_score.py --conformance CASES.jsonl OUT.json
                                          math-verify's own verdicts on the conformance readings
                                          (parse(gold), parse(completion), default extraction)
"""
import json, re, sys, time
from math_verify import parse, verify, StringExtractionConfig

OPTION_LETTER = re.compile(r"^[A-E]$")
CHOICE = [StringExtractionConfig(strings=("A", "B", "C", "D", "E"))]


def verdict(gold, pred):
    if not gold or not pred:
        return None
    return 1 if verify(gold, pred) else 0


def score_latex(pair):
    return verdict(parse("$" + pair["gold"] + "$"), parse(pair["completion"]))


def score_documented(pair):
    if OPTION_LETTER.match(pair["gold"]):
        return verdict(parse(pair["gold"], extraction_config=CHOICE), parse(pair["completion"], extraction_config=CHOICE))
    return score_latex(pair)


def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]


if sys.argv[1] == "--once":
    for p in load(sys.argv[2]):
        score_documented(p)
    sys.exit(0)

if sys.argv[1] == "--conformance":
    out = []
    for c in load(sys.argv[2]):
        gold = parse(c["gold"])
        out.append({"id": c["id"], "boxed": 1 if verify(gold, parse(c["boxed"])) else 0, "written": 1 if verify(gold, parse(c["written"])) else 0})
    json.dump(out, open(sys.argv[3], "w"))
    sys.exit(0)

pairs = load(sys.argv[1])
reps = int(sys.argv[3])
verdicts = [score_documented(p) for p in pairs]  # warm-up pass, also the verdicts
latex_verdicts = [score_latex(p) for p in pairs]
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    for p in pairs:
        score_documented(p)
    times.append(time.perf_counter() - t0)
json.dump({"verdicts": verdicts, "latexVerdicts": latex_verdicts, "seconds": times}, open(sys.argv[2], "w"))
