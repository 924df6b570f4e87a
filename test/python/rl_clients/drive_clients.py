"""Runs one RL client's OWN request-building and response-parsing code against a server.

Run by test_rl_clients.py with .venv-rl-clients' Python (scripts/rl-clients-env.sh), which has
the released client packages: `python drive_clients.py CLIENT BASE_URL SCENARIO_JSON`.
Prints one JSON object: {"ok": true, ...what the client extracted} or {"ok": false,
"error": "<exception type>: <message>"} when the client's code raised. Nothing of the
clients is re-implemented here: each function calls the client's entry point and returns
what that code produced.
"""

import json
import os
import sys
import traceback

import import_stubs

# Per client: modules its import path needs but the path tested never calls (README).
STUBS = {
    "nemo_gym": dict(roots=["ray", "hydra", "wandb", "yappi"]),
    "areal": dict(roots=["ray", "hydra", "torchdata", "numba", "aiofiles"], decorators=["ray.remote", "numba.njit"]),
    "openai": dict(roots=[]),
}


_NEMO_APPS = {}


def nemo_gym(base_url, scenario):
    """NeMo-Gym's vllm_model: POST /v1/responses to its own FastAPI app, which converts to
    chat completions (logprobs true, top_logprobs 0, return_tokens_as_token_ids true), calls
    the server and its /tokenize (chat form), and returns the training fields."""
    from fastapi.testclient import TestClient
    from omegaconf import OmegaConf

    import requests

    from nemo_gym.config_types import BaseServerConfig
    from nemo_gym.openai_utils import NeMoGymResponseCreateParamsNonStreaming
    from nemo_gym.server_utils import ServerClient
    from responses_api_models.vllm_model.app import VLLMModel, VLLMModelConfig

    config = VLLMModelConfig(
        host="127.0.0.1", port=0, entrypoint="", name="policy",
        base_url=f"{base_url}/v1", api_key="unused", model="default",
        return_token_id_information=True,
        uses_reasoning_parser=scenario.get("reasoning", False),
    )
    # The head server (NeMo-Gym's config service) is not part of this path: the client
    # object is real, pointed nowhere, and vllm_model never calls it.
    server_client = ServerClient(
        head_server_config=BaseServerConfig(host="127.0.0.1", port=1),
        global_config_dict=OmegaConf.create({}),
    )
    # As NeMo-Gym starts its model servers: the global config comes in this variable (an
    # empty one: defaults for its aiohttp client), not from hydra's command line.
    os.environ["NEMO_GYM_CONFIG_DICT"] = "{}"
    key = (base_url, config.uses_reasoning_parser)
    if key not in _NEMO_APPS:
        model = VLLMModel(config=config, server_client=server_client)
        # One app and one event loop for every job of this process, as in a NeMo-Gym model
        # server: its aiohttp session is process-global and bound to the loop that made it.
        client = TestClient(model.setup_webserver(), raise_server_exceptions=True)
        client.__enter__()
        _NEMO_APPS[key] = (model, client)
    model, client = _NEMO_APPS[key]
    body = {"input": scenario["input"]}
    if scenario.get("tools"):
        body["tools"] = scenario["tools"]
    response = client.post("/v1/responses", json=body)
    if response.status_code != 200:
        return {"ok": False, "error": f"HTTP {response.status_code}: {response.text[:2000]}"}
    # NeMo-Gym's own exception handler answers 500 with the client error it caught.
    # The engine's own ids for the body vllm_model sends (its own conversion code), asked
    # with return_token_ids: what the extracted ids must equal.
    chat_params = model._converter.responses_to_chat_completion_create_params(
        NeMoGymResponseCreateParamsNonStreaming.model_validate(body)
    )
    sent = model._preprocess_chat_completion_create_params(
        None, chat_params.model_dump(exclude_unset=True)
    )
    engine = requests.post(
        f"{base_url}/v1/chat/completions", json=dict(sent, return_token_ids=True), timeout=60
    ).json()
    engine = {
        "prompt_token_ids": engine.get("prompt_token_ids"),
        "token_ids": engine["choices"][0].get("token_ids"),
        "logprobs": [c["logprob"] for c in (engine["choices"][0].get("logprobs") or {}).get("content") or []],
    }
    items = response.json()["output"]
    trained = [i for i in items if "generation_token_ids" in i]
    if not trained:
        return {"ok": False, "error": f"no training fields in output: {items}"}
    first = trained[0]
    return {
        "ok": True,
        "prompt_token_ids": first["prompt_token_ids"],
        # vllm_model keeps the ids as the strings it cut from "token_id:<id>".
        "generation_token_ids": first["generation_token_ids"],
        "generation_log_probs": first["generation_log_probs"],
        "output_types": [i["type"] for i in items],
        "engine": engine,
    }


def areal(base_url, scenario):
    """AReaL's vllm_remote VLLMBackend: its generation request (/v1/completions, prompt ids,
    logprobs 0, return_tokens_as_token_ids) and its parser; then its score request
    (prompt_logprobs 1) and parser."""
    import requests

    from areal.api.cli_args import GenerationHyperparameters
    from areal.api.io_struct import ModelRequest
    from areal.engine.vllm_remote import VLLMBackend

    backend = VLLMBackend()
    gconfig = GenerationHyperparameters(max_new_tokens=scenario["max_tokens"], greedy=True)
    req = ModelRequest(input_ids=scenario["prompt_ids"], gconfig=gconfig)
    out = {}
    http = backend.build_generation_request(req, with_lora=False, version=0)
    out["generate_request"] = {"endpoint": http.endpoint, "payload": http.payload}
    raw = requests.post(base_url + http.endpoint, json=http.payload, timeout=60)
    if raw.status_code != 200:
        return {"ok": False, "error": f"generate HTTP {raw.status_code}: {raw.text[:2000]}", **out}
    try:
        parsed = backend.parse_generation_response(raw.json())
    except Exception as e:
        return {"ok": False, "error": f"generate parse {type(e).__name__}: {e}", **out}
    out.update(ok=True, output_tokens=parsed.output_tokens, output_logprobs=parsed.output_logprobs)
    if scenario.get("score"):
        score = backend.build_score_request(
            list(scenario["prompt_ids"]), scenario["score_target_len"], with_lora=False, version=0
        )
        out["score_request"] = {"endpoint": score.endpoint, "payload": score.payload}
        raw = requests.post(base_url + score.endpoint, json=score.payload, timeout=60)
        try:
            if raw.status_code != 200:
                raise RuntimeError(f"HTTP {raw.status_code}: {raw.text[:500]}")
            out["score"] = backend.parse_score_response(raw.json(), scenario["score_target_len"])
            out["score_ok"] = True
        except Exception as e:
            out["score_ok"] = False
            out["score_error"] = f"{type(e).__name__}: {e}"
    return out


def openai_sdk(base_url, scenario):
    """The openai SDK's own parsing: chat and completions with vLLM's extra_body fields,
    streamed and not; the ids read from logprob tokens `token_id:<id>`."""
    import openai

    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    extra = {"return_tokens_as_token_ids": True}
    out = {"ok": True}
    chat = client.chat.completions.create(
        model="default", messages=scenario["messages"], max_tokens=scenario["max_tokens"],
        logprobs=True, top_logprobs=0, extra_body=extra, temperature=0,
    )
    out["chat_ids"] = [_id(t.token) for t in chat.choices[0].logprobs.content]
    out["chat_top_lengths"] = [len(t.top_logprobs) for t in chat.choices[0].logprobs.content]
    stream = client.chat.completions.create(
        model="default", messages=scenario["messages"], max_tokens=scenario["max_tokens"],
        logprobs=True, top_logprobs=0, extra_body=extra, temperature=0, stream=True,
    )
    ids = []
    for chunk in stream:
        for choice in chunk.choices:
            if choice.logprobs and choice.logprobs.content:
                ids += [_id(t.token) for t in choice.logprobs.content]
    out["chat_stream_ids"] = ids
    comp = client.completions.create(
        model="default", prompt=scenario["prompt_ids"], max_tokens=scenario["max_tokens"],
        logprobs=0, extra_body=extra, temperature=0,
    )
    out["completion_ids"] = [_id(t) for t in comp.choices[0].logprobs.tokens]
    return out


def _id(token: str) -> int:
    # What a vLLM client does with a token_id string; text tokens raise ValueError here.
    if not token.startswith("token_id:"):
        raise ValueError(f"logprob token {token!r} is not 'token_id:<id>'")
    return int(token.removeprefix("token_id:"))


CLIENTS = {"nemo_gym": nemo_gym, "areal": areal, "openai": openai_sdk}


def run_job(client, base_url, scenario):
    try:
        return CLIENTS[client](base_url, scenario)
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}",
                "where": traceback.format_exc(limit=-12)}


def main():
    """`drive_clients.py CLIENT BASE_URL SCENARIO_JSON`, or `drive_clients.py --jobs BASE_URL
    JOBS_JSON` ([[client, scenario], ...]: one process for several, each importing its client
    once; the stubs of all of them are installed, each stubbed module still raising when used)."""
    if sys.argv[1] == "--jobs":
        base_url, jobs = sys.argv[2], json.loads(sys.argv[3])
        import_stubs.install(
            sorted({r for c, _ in jobs for r in STUBS[c]["roots"]}),
            sorted({d for c, _ in jobs for d in STUBS[c].get("decorators", [])}),
        )
        print(json.dumps([run_job(client, base_url, scenario) for client, scenario in jobs]))
        return
    client, base_url, scenario = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    import_stubs.install(**STUBS[client])
    print(json.dumps(run_job(client, base_url, scenario)))


if __name__ == "__main__":
    main()
