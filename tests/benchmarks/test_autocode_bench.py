"""Auto-coding throughput on a generated ~2 MB interview corpus, as a ratio to the spaCy pipeline alone.

Baseline: the same pipeline (spacy.blank("en") + lookup lemmatizer) run with nlp.pipe over the same turn texts,
measured in the same run. Reported: tokens/second of Autocoder.suggest divided by tokens/second of the baseline
(goal >= 0.5). Run: pytest tests/benchmarks/test_autocode_bench.py -m benchmark --benchmark-enable -s
"""

import random
import time

import pytest
import spacy

from qualitative.autocode import Autocoder, lower_same_length
from qualitative.codebook import load_cfir_codebook

SPEAKERS = ["Interviewer", "Counselor 4", "Supervisor", "Clinic director", "Intake coordinator"]
FILLER = (
    "so i think that we really just kind of had to figure it out as we went along and it was "
    "like the week after that when everybody came back from the holiday you know what i mean "
    "honestly a lot of it depends on the day and who is in the building and what else is going on"
).split()
PHRASES = [
    "the billing was a nightmare", "we never had a private room", "our supervisor was very supportive",
    "mothers did not show up", "the recorder batteries kept dying", "insurance would not reimburse it",
    "the training helped a lot", "caseloads are too high", "DCF referred most of the moms",
    "the manual is easy to follow", "we don't have time", "the grant covers the sessions",
    "İstanbul-born staff", "reflective functioning improved", "we adapted the sessions for telehealth",
]


def make_corpus(target_chars: int = 2_000_000, seed: int = 2025) -> tuple[str, list[tuple[int, int]]]:
    """Deterministic transcript: 'Speaker: utterance' lines; turns cover the utterances (not the labels)."""
    rng = random.Random(seed)
    parts: list[str] = []
    turns: list[tuple[int, int]] = []
    pos = 0
    while pos < target_chars:
        label = rng.choice(SPEAKERS) + ": "
        words: list[str] = []
        for _ in range(rng.randint(2, 6)):
            words.extend(rng.sample(FILLER, rng.randint(6, 14)))
            if rng.random() < 0.5:
                words.append(rng.choice(PHRASES) + ",")
        utterance = " ".join(words).capitalize() + "."
        line = label + utterance + "\n"
        turns.append((pos + len(label), pos + len(label) + len(utterance)))
        parts.append(line)
        pos += len(line)
    return "".join(parts), turns


@pytest.mark.benchmark
def test_autocode_throughput_ratio(benchmark):
    text, turns = make_corpus()
    autocoder = Autocoder(load_cfir_codebook())
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    turn_texts = [text[s:e] for s, e in turns]
    lowered = [lower_same_length(t) for t in turn_texts]  # strict baseline: the pipeline on lowercased turns
    n_tokens = sum(len(doc) for doc in nlp.pipe(turn_texts, batch_size=256))  # also warms up

    baseline_times, lowered_times, autocode_times = [], [], []
    for _ in range(3):  # interleaved so all see the same machine load
        t0 = time.perf_counter()
        for _doc in nlp.pipe(turn_texts, batch_size=256):
            pass
        baseline_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _doc in nlp.pipe(lowered, batch_size=256):
            pass
        lowered_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        suggestions = autocoder.suggest(text, turns)
        autocode_times.append(time.perf_counter() - t0)

    baseline_tps = n_tokens / min(baseline_times)
    autocode_tps = n_tokens / min(autocode_times)
    ratio = autocode_tps / baseline_tps
    strict_ratio = min(lowered_times) / min(autocode_times)
    benchmark.extra_info.update(
        chars=len(text), turns=len(turns), tokens=n_tokens, suggestions=len(suggestions),
        baseline_tokens_per_s=round(baseline_tps), autocode_tokens_per_s=round(autocode_tps), ratio=round(ratio, 3),
        ratio_vs_lowercased_pipeline=round(strict_ratio, 3),
    )
    print(
        f"\n{len(text):,} chars, {len(turns):,} turns, {n_tokens:,} tokens, {len(suggestions):,} suggestions; "
        f"baseline {baseline_tps:,.0f} tok/s, autocode {autocode_tps:,.0f} tok/s, ratio {ratio:.3f} (goal >= 0.5); "
        f"vs the pipeline on already-lowercased turns {strict_ratio:.3f}"
    )
    benchmark.pedantic(autocoder.suggest, args=(text, turns), rounds=1, iterations=1)
    assert suggestions  # the corpus is built to contain lexicon hits
