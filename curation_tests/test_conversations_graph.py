"""Conversations and preference pairs through the whole graph: a ShareGPT file, an OpenAI-messages file
and an HH preference file (each with malformed records), plus a preference batch judged by the LLM
endpoint (a real HTTP server on 127.0.0.1), out to every export format, read back by Hugging Face's
own loaders, each exported example traced to its warehouse row and source line."""

from __future__ import annotations

import json
import random

import datasets
import pytest

from llm_server import ChatServer
from support import demo_config_dict, materialize_config, query, tiny_tokenizer, warehouse_in, write_jsonl, write_yaml

pytestmark = [pytest.mark.slow]

TOPICS = ("tides", "volcanoes", "bread", "chess", "bees", "comets", "glaciers", "violins", "lighthouses", "maps",
          "coral", "rivers", "owls", "bridges", "deserts", "kites", "printing", "mosaics", "satellites", "tea")
ASPECTS = ("history", "science", "everyday uses", "common myths", "future", "best books", "surprising facts",
           "safety tips", "vocabulary", "famous examples")


def _question(rng: random.Random, topic: str, aspect: str) -> str:
    return f"Could you tell me about the {aspect} of {topic}, in particular the {rng.choice(ASPECTS)} side of it?"


def _answer(rng: random.Random, topic: str, aspect: str) -> str:
    words = rng.sample("amber brisk candid dapper eager fabled gentle hardy ideal jovial keen lucid mellow noble".split(), 4)
    return (f"The {aspect} of {topic} is a {words[0]} subject. People often find it {words[1]} and {words[2]}, "
            f"and learning it step by step keeps it {words[3]} and easy to remember for a long time.")


def _conversations(seed: int, count: int) -> list[list[tuple[str, str]]]:
    rng = random.Random(seed)
    talks = []
    for number in range(count):
        topic, aspect = TOPICS[number % len(TOPICS)], ASPECTS[(number * 7 + seed) % len(ASPECTS)]
        turns = []
        for _ in range(rng.randint(2, 3)):
            aspect = rng.choice(ASPECTS)
            turns += [("user", _question(rng, topic, aspect)), ("assistant", _answer(rng, topic, aspect))]
        talks.append(turns)
    return talks


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conversations")
    sharegpt = write_jsonl(folder / "sharegpt.jsonl", [
        {"system": "You are a patient teacher.",
         "conversations": [{"from": {"user": "human", "assistant": "gpt"}[role], "value": text} for role, text in talk]}
        for talk in _conversations(1, 40)
    ] + [
        {"conversations": [{"from": "human", "value": "Hello?"}, {"from": "narrator", "value": "Silence."}]},
        {"conversations": []},
    ])
    openai_chats = write_jsonl(folder / "openai.jsonl", [
        {"messages": [{"role": role, "content": text} for role, text in talk]} for talk in _conversations(2, 40)
    ] + [{"messages": [{"role": "user", "content": "Is anyone there?"}]}])
    rng = random.Random(3)
    hh = []
    for talk in _conversations(4, 30):
        prefix = "".join(f"\n\n{'Human' if role == 'user' else 'Assistant'}: {text}" for role, text in talk[:-1])
        worse = f"I do not know much about that, sorry, maybe ask someone else about {rng.choice(TOPICS)} later."
        hh.append({"chosen": f"{prefix}\n\nAssistant: {talk[-1][1]}", "rejected": f"{prefix}\n\nAssistant: {worse}"})
    hh.append({"chosen": "\n\nHuman: Say yes.\n\nAssistant: Yes, certainly I will say it.",
               "rejected": "\n\nHuman: Say yes.\n\nAssistant: Yes, certainly I will say it."})
    preferences = write_jsonl(folder / "hh.jsonl", hh)

    config = demo_config_dict()
    common = {"kind": "real", "license": "CC0-1.0 (test)", "domain": "general"}
    config["sources"] = [
        {"name": "sharegpt_chats", "path": str(sharegpt), "format": "jsonl",
         "fields": {"conversation": "conversations", "system": "system"}, **common},
        {"name": "openai_chats", "path": str(openai_chats), "format": "jsonl", "fields": {"conversation": "messages"},
         **common},
        {"name": "hh_pairs", "path": str(preferences), "format": "jsonl",
         "fields": {"chosen": "chosen", "rejected": "rejected"}, **common},
    ]
    config["synthetic"] = {"batches": [{"name": "judged_pairs", "task": "preference", "from_source": "openai_chats",
                                        "count": 24, "seed": 5, "candidates": 3, "domain": "general"}]}
    config["mix"] = {"max_synthetic_fraction": 0.9, "domain_targets": {"general": 1.0}}
    config["clean"] = {"language": {"allowed": ["en"]}}
    config.pop("inbox", None)
    config["export"].update(parquet=True, hf_dataset=True, split_names={"eval": "validation"},
                            hub={"repo_id": "someone/chats", "token_env": "CURATION_TEST_NO_HF_TOKEN"})
    config["split"] = {"eval_fraction": 0.25, "seed": 0}
    # The target model's tokenizer (made here: nothing downloads) and its max_seq_length
    tokenizer = tiny_tokenizer(folder / "tiny-model", [text for talk in _conversations(1, 40) for _, text in talk])
    config["report"] = {"tokenizer": str(tokenizer), "max_tokens": 120, "ladder_sizes": [10, "all"]}
    warehouse, exports = folder / "warehouse.duckdb", folder / "exports"
    with warehouse_in(folder), ChatServer() as server:
        config["llm"].update(base_url=server.base_url, model="test-model", api_key_env=None, timeout_seconds=2.0)
        results = {}
        for format_ in ("openai_chat", "sharegpt", "alpaca", "prompt_completion", "preference"):
            config["export"]["format"] = format_
            path = write_yaml(folder / f"{format_}.yaml", config)
            # the whole graph once; then only the exports again, in each other format
            result = materialize_config(path, selection=None if not results else ["exports"])
            results[format_] = {
                "success": result.success,
                "failed_checks": [e.check_name for e in result.get_asset_check_evaluations() if not e.passed],
                "hub": result.asset_materializations_for_node("exports")[0].metadata["hub"].value,
                "jsonl": datasets.load_dataset("json", data_files={
                    "train": str(exports / "train-*.jsonl"), "validation": str(exports / "validation-*.jsonl")}),
                "parquet": datasets.load_dataset("parquet", data_files={
                    "train": str(exports / "data" / "train-*.parquet"),
                    "validation": str(exports / "data" / "validation-*.parquet")}),
                "from_disk": datasets.load_from_disk(str(exports / "hf_dataset")),
            }
    return {"warehouse": warehouse, "results": results, "card": (exports / "data_card.html").read_text(encoding="utf-8"),
            "files": {"sharegpt_chats": sharegpt, "openai_chats": openai_chats, "hh_pairs": preferences}}


def test_every_run_succeeds_with_every_check_passing(graph):
    for format_, result in graph["results"].items():
        assert (format_, result["success"], result["failed_checks"]) == (format_, True, [])
        # export.hub is configured, its token variable is not set: nothing is sent, and the metadata says so
        assert result["hub"] == "not pushed to someone/chats: $CURATION_TEST_NO_HF_TOKEN is not set"


def test_malformed_conversations_and_pairs_are_rejected_with_their_reasons(graph):
    rows = query(graph["warehouse"], "SELECT source, source_position, reason FROM rejections WHERE stage = 'load' "
                                     "ORDER BY ALL")
    assert rows == [("hh_pairs", 31, "chosen_equals_rejected"), ("openai_chats", 41, "ends_with_user_turn"),
                    ("sharegpt_chats", 41, "unknown_role"), ("sharegpt_chats", 42, "empty_conversation")]


def test_conversations_and_pairs_from_files_and_the_judge_reach_both_splits(graph):
    rows = query(graph["warehouse"], """
        SELECT split, source, count(*) FILTER (WHERE json_array_length(earlier_turns) >= 2),
               count(*) FILTER (WHERE rejected_response <> '')
        FROM (SELECT 'train' AS split, * FROM main.train UNION ALL SELECT 'eval', * FROM main.eval)
        GROUP BY ALL ORDER BY ALL""")
    by = {(split, source): (turns, pairs) for split, source, turns, pairs in rows}
    for split in ("train", "eval"):
        assert by[(split, "sharegpt_chats")][0] > 0 and by[(split, "openai_chats")][0] > 0
        assert by[(split, "hh_pairs")][1] > 0 and by[(split, "judged_pairs")][1] > 0
    # the judge decided: no pair without a margin, the lineage names both candidates and their scores
    for (lineage,) in query(graph["warehouse"], "SELECT lineage FROM main.train WHERE source = 'judged_pairs'"):
        lineage = json.loads(lineage)
        scores = {entry["candidate"]: entry["score"] for entry in lineage["candidates"]}
        assert len(scores) == 3 and all(entry["request"] for entry in lineage["candidates"])
        assert scores[lineage["chosen_candidate"]] > scores[lineage["rejected_candidate"]]
        assert lineage["seed_record_ids"]
        # both candidates' answers and the judge's replies are in the LLM cache under the lineage's keys
        keys = [entry["request"] for entry in lineage["candidates"]]
        assert set(lineage["request_keys"]) >= set(keys)
        (cached,), = query(graph["warehouse"], "SELECT count(DISTINCT request_key) FROM llm_cache "
                                               "WHERE list_contains(?, request_key)", [lineage["request_keys"]])
        assert cached == len(set(lineage["request_keys"])) == 6  # 3 answers, 3 judgements
    synthetic = dict(query(graph["warehouse"], "SELECT reason, count(*) FROM rejections WHERE source = 'judged_pairs' "
                                               "AND stage = 'synthetic' GROUP BY ALL"))
    assert set(synthetic) <= {"tie", "low_margin", "unjudged"} and synthetic.get("tie", 0) > 0


def test_every_format_loads_with_the_trainers_layouts_and_ids_trace_to_source_lines(graph):
    results = graph["results"]
    columns = {"openai_chat": ["id", "source", "messages"], "sharegpt": ["id", "source", "conversations"],
               "alpaca": ["id", "source", "instruction", "input", "output", "system", "history"],
               "prompt_completion": ["id", "source", "prompt", "completion"],
               "preference": ["id", "source", "prompt", "chosen", "rejected"]}
    for format_, result in results.items():
        for loaded in ("jsonl", "parquet", "from_disk"):
            dataset = result[loaded]
            assert sorted(dataset) == ["train", "validation"], (format_, loaded)
            assert dataset["train"].column_names == columns[format_], (format_, loaded)
        assert result["jsonl"]["train"]["id"] == result["parquet"]["train"]["id"] == result["from_disk"]["train"]["id"]
    # SFTTrainer's conversational layout: role/content turns, several user turns in a conversation
    chat = results["openai_chat"]["from_disk"]["train"]
    turn = chat.features["messages"]
    turn = turn.feature if hasattr(turn, "feature") else turn[0]  # datasets 4's List, or 3's [ ]
    assert turn == {"role": datasets.Value("string"), "content": datasets.Value("string")}
    assert max(sum(turn["role"] == "user" for turn in example["messages"]) for example in chat) >= 3
    # DPOTrainer's conversational layout, pairs only
    pairs = results["preference"]["from_disk"]["train"]
    assert {example["source"] for example in pairs} == {"hh_pairs", "judged_pairs"}
    assert all(example["prompt"][-1]["role"] == "user" and example["chosen"][0]["role"] == "assistant"
               and example["chosen"] != example["rejected"] for example in pairs)

    # every exported id finds its warehouse row, and from there its source line
    exported = results["openai_chat"]["jsonl"]
    for split, table in (("train", "train"), ("validation", "eval")):
        for example in exported[split]:
            (source, position, response), = query(
                graph["warehouse"], f"SELECT source, source_position, response FROM main.{table} WHERE record_id = ?",
                [example["id"]])
            assert source == example["source"] and example["messages"][-1]["content"] == response
            if source in graph["files"]:
                line = json.loads(graph["files"][source].read_text(encoding="utf-8").splitlines()[position - 1])
                final = {"sharegpt_chats": lambda: line["conversations"][-1]["value"],
                         "openai_chats": lambda: line["messages"][-1]["content"],
                         "hh_pairs": lambda: line["chosen"].rsplit("Assistant: ", 1)[1]}[source]()
                assert final == response


def test_the_card_shows_conversations_and_lengths_in_the_target_models_tokens(graph):
    card = graph["card"]
    assert "Conversations and preference pairs" in card
    assert "longer than max_tokens 120" in card
    flagged = query(graph["warehouse"], "SELECT size, over_max_tokens FROM main.ladder ORDER BY size")
    assert flagged[-1][1] > 0  # the rung of every train record counts those over the limit
