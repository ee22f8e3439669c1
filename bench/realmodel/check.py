#!/usr/bin/env python3
"""The verdicts of bench/realmodel/run.sh: each check reads what medeval printed and stored, prints
one PASS or FAIL line per condition with its figures, and exits 1 when anything failed.

    python3 bench/realmodel/check.py CHECK ARGS...

It reads the SQLite store directly (the `samples` table: one row per item and draw, with the
completion as received) so that what is checked does not rest on medeval's own summaries alone.
"""
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path

FAILED = []


def verdict(name, ok, figures):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {figures}", flush=True)
    if not ok:
        FAILED.append(name)


def info(name, figures):
    print(f"INFO {name}: {figures}", flush=True)


def load_json(path):
    """One JSON document, or None (with a FAIL) when the file does not parse."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        verdict(f"{path} parses as JSON", False, str(err))
        return None


def samples(store, run):
    """The stored samples of a run (id or prefix), as dicts with the completion decoded."""
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    rows = con.execute(
        "SELECT * FROM samples WHERE run_id = (SELECT id FROM runs WHERE id LIKE ? || '%')"
        " ORDER BY item_id, sample", (run,)).fetchall()
    con.close()
    out = []
    for row in rows:
        sample = dict(row)
        sample["completion"] = json.loads(row["completion"]) if row["completion"] else None
        out.append(sample)
    return out


def answer(completion):
    """The answer text of a stored completion: its `content`, or, when the store left that out
    because the raw body holds it, the body's `choices[0].message.content`."""
    if "content" in completion:
        return completion["content"]
    content = json.loads(completion["raw"])["choices"][0]["message"].get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def counts_text(counts):
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v or k in ("correct", "wrong"))


def accuracy_text(summary):
    acc, (lo, hi) = summary["accuracy"], summary["accuracy_ci"]
    return f"{acc:.1%} [{lo:.1%}, {hi:.1%}] of n={summary['n']}"


def check_text(run_json, show_json, store, n_items, wall, rc):
    """a. A full run over the text items."""
    n_items, wall, rc = int(n_items), float(wall), int(rc)
    run, show = load_json(run_json), load_json(show_json)
    if run is None or show is None:
        return
    stored = samples(store, run["run"])
    raw_ok = [s for s in stored
              if s["status"] == "ok" and s["completion"] and s["completion"].get("raw")]
    verdict("a.run-completes", rc == 0 and run["complete"] and run["n"] == n_items,
            f"exit {rc}, status {run['status']}, n {run['n']} of {n_items} items")
    verdict("a.no-errors", run["counts"]["error"] == 0, counts_text(run["counts"]))
    verdict("a.stored-with-raw-response", len(stored) == n_items and len(raw_ok) == n_items,
            f"{len(stored)} samples stored, {len(raw_ok)} with a raw response body")
    verdict("a.show-json-agrees", show["run"] == run["run"] and show["counts"] == run["counts"]
            and show["accuracy"] == run["accuracy"],
            f"show --json parses; accuracy {accuracy_text(show)}")
    finish = Counter((s["completion"] or {}).get("finish_reason") for s in stored)
    tokens = sum(s["completion_tokens"] or 0 for s in stored)
    info("a.figures", f"accuracy {accuracy_text(run)}; {counts_text(run['counts'])}; "
         f"{wall:.1f} s wall, {n_items / wall:.2f} requests/s, {tokens} completion tokens "
         f"({tokens / wall:.1f} completion tokens/s over the run); finish reasons {dict(finish)}")
    by_type = Counter()
    right = Counter()
    for s in stored:
        kind = s["item_id"].split("-")[0]
        by_type[kind] += 1
        right[kind] += s["outcome"] == "correct"
    info("a.by-type", ", ".join(f"{k} {right[k]}/{by_type[k]}" for k in by_type))


def check_vision(clean_json, variants_json, probe_json, store, n_items, wall, rc_clean, rc_var):
    """b. The colour items through the multimodal path, right images against swapped ones."""
    n_items, wall, rc_clean, rc_var = int(n_items), float(wall), int(rc_clean), int(rc_var)
    clean, variants, probe = (load_json(p) for p in (clean_json, variants_json, probe_json))
    if clean is None or variants is None or probe is None:
        return
    by_variant = {}
    for summary in variants if isinstance(variants, list) else [variants]:
        by_variant[run_variant(store, summary["run"])] = summary
    swapped = next(v for k, v in by_variant.items() if k.startswith("mismatched-image"))
    blank = next((v for k, v in by_variant.items() if k.startswith("no-image")), None)
    errors = clean["counts"]["error"] + sum(v["counts"]["error"] for v in by_variant.values())
    verdict("b.runs-complete", rc_clean == 0 and rc_var == 0 and clean["complete"]
            and clean["n"] == n_items and all(v["complete"] for v in by_variant.values()),
            f"exit {rc_clean}/{rc_var}; clean n {clean['n']}, "
            + ", ".join(f"{k} n {v['n']}" for k, v in by_variant.items()))
    verdict("b.no-errors", errors == 0, f"{errors} error outcomes over "
            f"{clean['n'] + sum(v['n'] for v in by_variant.values())} samples")
    stored = samples(store, clean["run"])
    geometry = Counter()
    for s in stored:
        for image in json.loads(s["images"] or "[]"):
            geometry[json.dumps(image, sort_keys=True)] += 1
    verdict("b.images-sent", len(stored) == n_items and sum(geometry.values()) == n_items,
            f"{sum(geometry.values())} image geometries recorded for {len(stored)} samples")
    comparison = probe["comparison"]
    verdict("b.right-beats-swapped", clean["accuracy"] > swapped["accuracy"],
            f"real server, synthetic vision weights: right images {accuracy_text(clean)}; "
            f"swapped images ({swapped['run']}) {accuracy_text(swapped)}; paired difference "
            f"{comparison['diff']:+.1%} [{comparison['diff_ci'][0]:+.1%}, "
            f"{comparison['diff_ci'][1]:+.1%}], McNemar p {comparison['mcnemar_p']:.3g}, "
            f"right only with the right image {comparison['b']}, only with the swapped {comparison['c']}")
    if blank is not None:
        info("b.no-image", f"real server, synthetic vision weights: without images "
             f"{accuracy_text(blank)}")
    info("b.figures", f"clean run {wall:.1f} s for {n_items} items "
         f"({n_items / wall:.2f} requests/s); by form: " + by_form(stored))


def run_variant(store, run):
    """The variant a run's manifest records ("mismatched-image seed=0"), or "" for a clean run."""
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    manifest = json.loads(con.execute("SELECT manifest FROM runs WHERE id LIKE ? || '%'",
                                      (run,)).fetchone()[0])
    con.close()
    return manifest.get("variant") or ""


def by_form(stored):
    total, right = Counter(), Counter()
    for s in stored:
        form = s["item_id"].rsplit("-", 1)[-1]
        total[form] += 1
        right[form] += s["outcome"] == "correct"
    return ", ".join(f"{k} {right[k]}/{total[k]}" for k in total)


def check_resume(first_json, second_json, store, n_items, stored_at_kill, requests_first,
                 requests_second, concurrency, rc_second, second_stderr):
    """c. kill -9 after a few answers, then the same command again."""
    n_items, stored_at_kill, concurrency = int(n_items), int(stored_at_kill), int(concurrency)
    requests_first, requests_second, rc_second = int(requests_first), int(requests_second), int(rc_second)
    final = load_json(second_json)
    if final is None:
        return
    stored = samples(store, final["run"])
    per_item = Counter(s["item_id"] for s in stored)
    stderr = Path(second_stderr).read_text().strip()
    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    invocations = con.execute("SELECT count(*) FROM invocations").fetchone()[0]
    con.close()
    verdict("c.killed-after-a-few", 0 < stored_at_kill < n_items,
            f"{stored_at_kill} of {n_items} samples committed when medeval was killed (-9); "
            f"first command: {Path(first_json).read_text().strip() or 'no output (killed)'}")
    verdict("c.resumed", rc_second == 0 and runs == 1 and invocations == 2 and final["complete"]
            and final["n"] == n_items and final["counts"]["error"] == 0,
            f"exit {rc_second}; {runs} run with {invocations} invocations in the store; "
            f"final n {final['n']}, {counts_text(final['counts'])}; stderr: "
            + " / ".join(stderr.splitlines()))
    verdict("c.one-sample-per-item", len(stored) == n_items and set(per_item.values()) == {1},
            f"{len(stored)} stored samples for {len(per_item)} items")
    missing = n_items - stored_at_kill
    verdict("c.no-item-requested-twice",
            requests_second == missing and requests_first <= stored_at_kill + concurrency,
            f"server tasks: first command {requests_first} (stored {stored_at_kill}, at most "
            f"{concurrency} in flight), second {requests_second} (missing {missing}); "
            f"total {requests_first + requests_second} for {n_items} items")


def check_cache(store, first_run, second_json, second_stderr, n_items, wall_first, wall_second,
                rc):
    """d. The same command again, as a new run (--fresh), answered from the response cache."""
    n_items, wall_first, wall_second, rc = int(n_items), float(wall_first), float(wall_second), int(rc)
    second = load_json(second_json)
    if second is None:
        return
    one, two = samples(store, first_run), samples(store, second["run"])
    stderr = Path(second_stderr).read_text().strip()
    cached = sum(s["cached"] for s in two)
    verdict("d.answered-from-cache", rc == 0 and second["run"] != first_run and cached == n_items,
            f"new run {second['run']} (first {first_run}): {cached} of {len(two)} samples "
            f"flagged cached; stderr: " + " / ".join(stderr.splitlines()))
    key = lambda s: (s["item_id"], s["sample"])  # noqa: E731
    a = {key(s): (answer(s["completion"]), s["outcome"], s["extracted"]) for s in one}
    b = {key(s): (answer(s["completion"]), s["outcome"], s["extracted"]) for s in two}
    same = sum(a[k] == b.get(k) for k in a)
    verdict("d.identical-results", a == b and len(a) == n_items,
            f"{same} of {len(a)} samples with the same answer, outcome and extraction; "
            f"{wall_first:.1f} s live vs {wall_second:.2f} s from cache")


def check_failover(run_json, stderr_path, n_items, rc, dead_rc, dead_stderr, dead_runs):
    """e. Two endpoints: the real server and one where nothing listens."""
    n_items, rc, dead_rc, dead_runs = int(n_items), int(rc), int(dead_rc), int(dead_runs)
    run = load_json(run_json)
    if run is None:
        return
    stderr = Path(stderr_path).read_text()
    health = [line for line in stderr.splitlines() if line.startswith("endpoint ")]
    dead_message = Path(dead_stderr).read_text().strip()
    info("e.dead-from-the-start", f"exit {dead_rc}, {dead_runs} run(s) stored: {dead_message}")
    verdict("e.all-answered", rc == 0 and run["complete"] and run["n"] == n_items
            and run["counts"]["error"] == 0,
            f"exit {rc}, n {run['n']}, {counts_text(run['counts'])}")
    verdict("e.health-printed", len(health) == 2 and any("failed" in h for h in health),
            " | ".join(health) or "no per-endpoint lines")


def check_sampling(run_json, store, n_items, k, rc):
    """f. Several samples per item at temperature 0.7."""
    n_items, k, rc = int(n_items), int(k), int(rc)
    run = load_json(run_json)
    if run is None:
        return
    stored = samples(store, run["run"])
    draws = Counter(s["item_id"] for s in stored)
    repeated = run.get("repeated") or {}
    verdict("f.samples-per-item", rc == 0 and len(stored) == n_items * k
            and set(draws.values()) == {k} and run["counts"]["error"] == 0,
            f"exit {rc}, {len(stored)} samples for {len(draws)} items, "
            f"{counts_text(run['counts'])}")
    verdict("f.repeated-summary", bool(repeated) and repeated.get("n_items") == n_items,
            f"mean accuracy {repeated.get('mean_accuracy', float('nan')):.1%}, majority vote "
            f"{repeated.get('majority_vote_accuracy', float('nan')):.1%}, any correct "
            f"{repeated.get('any_correct_accuracy', float('nan')):.1%}, inconsistent items "
            f"{repeated.get('inconsistent_items')}, within-item variance "
            f"{repeated.get('within_item_variance', float('nan')):.3f}")


def check_truncation(run_json, store, n_items, max_tokens, rc):
    """f. A small --max-tokens: truncated answers are answers (finish_reason length), not errors."""
    n_items, max_tokens, rc = int(n_items), int(max_tokens), int(rc)
    run = load_json(run_json)
    if run is None:
        return
    stored = samples(store, run["run"])
    truncated = [s for s in stored if (s["completion"] or {}).get("finish_reason") == "length"]
    over = [s for s in stored if (s["completion_tokens"] or 0) > max_tokens]
    verdict("f.truncated-not-errors", rc == 0 and len(stored) == n_items and truncated
            and run["counts"]["error"] == 0 and all(s["status"] == "ok" for s in stored),
            f"exit {rc}, {len(truncated)} of {len(stored)} samples stored with finish_reason "
            f"'length', outcomes of those {dict(Counter(s['outcome'] for s in truncated))}, "
            f"{counts_text(run['counts'])}")
    verdict("f.max-tokens-respected", not over,
            f"{len(over)} samples over {max_tokens} completion tokens")


def check_api_key(run_json, rc, wrong_rc, wrong_stderr, runs_before, runs_after, leaks):
    """g. A key through --api-key-env; a wrong key fails clearly and no key is written."""
    rc, wrong_rc, runs_before, runs_after, leaks = (int(x) for x in (rc, wrong_rc, runs_before, runs_after, leaks))
    run = load_json(run_json)
    if run is None:
        return
    message = Path(wrong_stderr).read_text().strip()
    verdict("g.right-key", rc == 0 and run["counts"]["error"] == 0,
            f"exit {rc}, n {run['n']}, {counts_text(run['counts'])}")
    verdict("g.wrong-key-clear-error", wrong_rc != 0 and ("401" in message or "key" in message.lower())
            and runs_after == runs_before,
            f"exit {wrong_rc}, runs stored {runs_before} -> {runs_after}: {message}")
    verdict("g.key-not-written", leaks == 0, f"{leaks} files containing either key")


def main():
    name, args = sys.argv[1], sys.argv[2:]
    checks = {"text": check_text, "vision": check_vision, "resume": check_resume,
              "cache": check_cache, "failover": check_failover, "sampling": check_sampling,
              "truncation": check_truncation, "api-key": check_api_key}
    checks[name](*args)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
