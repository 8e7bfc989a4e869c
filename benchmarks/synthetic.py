"""Throughput of the synthetic-data stages, each beside its naive baseline, and peak memory.

    python benchmarks/synthetic.py [--candidates 2000] [--records 2000] [--requests 200]

1. Self-Instruct novelty filter: GPTeacher-Toolformer instructions (many near-duplicates) checked
   against the 175 Self-Instruct seeds and each other; ROUGE-L with the word-overlap bound vs the
   all-pairs LCS baseline. Both must give the same verdicts.
2. Rule-based generation + rule checks (JSON, grounding, language) for invoice records, and
   generated Python functions run in the sandbox (one subprocess per record).
3. The LLM client against a local OpenAI-compatible server answering in 20 ms: bounded concurrency
   vs one request at a time (the baseline), then the same requests answered from the warehouse cache.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "curation_tests"))
SHARED = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def novelty(candidates_count: int) -> None:
    from curation_assets.core.synthetic.novelty import NoveltyFilter, novel_naive

    seeds = [json.loads(line)["instruction"] for line in (SHARED / "self_instruct_seed_tasks.jsonl").open()]
    candidates = [item["instruction"] for item in json.loads((SHARED / "gpteacher_toolformer.json").read_text())]
    candidates = candidates[:candidates_count]
    novelty_filter = NoveltyFilter(seeds)
    bounded, bounded_s = timed(lambda: [novelty_filter.accept_if_novel(text).novel for text in candidates])
    naive, naive_s = timed(lambda: novel_naive(candidates, seeds))
    assert bounded == naive, "the bounded filter must agree with the all-pairs baseline"
    print(f"novelty filter, {len(candidates)} candidates vs {len(seeds)} seeds + accepted ({sum(bounded)} novel):")
    print(f"  bounded ROUGE-L  {len(candidates) / bounded_s:>10.0f} docs/s  ({novelty_filter.lcs_computed} LCS computed)")
    print(f"  all-pairs LCS    {len(candidates) / naive_s:>10.0f} docs/s  (baseline)   speed-up {naive_s / bounded_s:.1f}x")


def rules_and_sandbox(records_count: int) -> None:
    from curation_assets.config import BatchConfig, VerifyConfig
    from curation_assets.core.synthetic.batch import rule_batch
    from curation_assets.core.verify.verify import verify_records

    invoices = BatchConfig(name="b", task="invoice_extraction", count=records_count, seed=1)
    records, generate_s = timed(lambda: rule_batch(invoices, "CC0", "t").records)
    size_mb = records[["instruction", "input", "response"]].apply(lambda c: c.str.len().sum()).sum() / 1e6
    (result, _), verify_s = timed(lambda: verify_records(records, VerifyConfig()))
    assert len(result.kept) == records_count
    print(f"rule-based invoices, {records_count} records ({size_mb:.1f} MB of text):")
    print(f"  generate (Faker) {records_count / generate_s:>10.0f} docs/s  {size_mb / generate_s:.2f} MB/s")
    print(f"  rule checks      {records_count / verify_s:>10.0f} docs/s  {size_mb / verify_s:.2f} MB/s")
    functions = BatchConfig(name="f", task="python_function", count=100, seed=1)
    code = rule_batch(functions, "CC0", "t").records
    (result, stats), sandbox_s = timed(lambda: verify_records(code, VerifyConfig()))
    assert len(result.kept) == 100
    print(f"  code in sandbox  {100 / sandbox_s:>10.1f} docs/s  (100 functions, {os.cpu_count()} parallel subprocesses)")


def llm_client(requests_count: int) -> None:
    from llm_server import ChatServer

    from curation_assets.core.synthetic.chat import ChatRequest
    from curation_assets.defs.resources import LLMResource
    from curation_assets.llm.settings import LLMConfig
    from curation_assets.storage.warehouse import Warehouse

    requests = [ChatRequest.of("bench", [{"role": "user", "content": f"question {i}"}], seed=i)
                for i in range(requests_count)]
    with tempfile.TemporaryDirectory() as folder, ChatServer(delay_seconds=0.02) as server:
        def run(name: str, concurrency: int):
            settings = LLMConfig(base_url=server.base_url, model="bench", max_concurrency=concurrency,
                                 max_requests_per_run=10 * requests_count)
            client = LLMResource.from_settings(settings).client(Warehouse(Path(folder) / f"{name}.duckdb"), name)
            outcomes, seconds = timed(lambda: client.complete(requests))
            assert all(outcome.ok for outcome in outcomes)
            return client, seconds

        _, sequential_s = run("sequential", 1)
        client, concurrent_s = run("concurrent", 8)
        _, cached_s = timed(lambda: client.complete(requests))
    print(f"LLM client, {requests_count} requests, server latency 20 ms:")
    print(f"  concurrency 8    {requests_count / concurrent_s:>10.0f} req/s")
    print(f"  one at a time    {requests_count / sequential_s:>10.0f} req/s  (baseline)")
    print(f"  from the cache   {requests_count / cached_s:>10.0f} req/s  (re-materialization pays nothing)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    novelty(arguments.candidates)
    rules_and_sandbox(arguments.records)
    llm_client(arguments.requests)
    # Only this process: a sandbox child's ru_maxrss would include the parent image it was forked from.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (this process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
