"""Tiny generated checkpoints whose greedy decoding follows a known script.

    from scripted_models import Routing, build_checkpoint
    model = build_checkpoint(tmp_path / "m", Routing(thinking_by_default=True))
    model.path                      # --model-path for sglang.launch_server or transformers
    body = model.request("tool_call")   # a chat request body that gets this script
    model.expected_ids("tool_call")     # the ids the engine must generate for it

Nothing is downloaded: config, weights and tokenizer are written from scripts.py.
See python/models/README.md for how the model works and how to add a script.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from .plan import DEFAULT_START, Plan, ScriptConflict, build_plan
from .prompt import render_prompt_ids
from .routing import Routing
from .scripts import ALL_SCRIPTS, WEATHER_TOOL, Script, script_by_name
from .tokens import EOS, selector_token

MANIFEST = "scripted_model.json"


@dataclass(frozen=True)
class ScriptedModel:
    path: Path
    plan: Plan
    routing: Routing
    scripts: tuple[Script, ...]

    def script(self, name: str) -> Script:
        for script in self.scripts:
            if script.name == name:
                return script
        raise KeyError(f"script {name!r} is not in the checkpoint at {self.path}")

    def expected_ids(self, name: str) -> list[int]:
        """The ids the engine must generate for request(name) (stop / max_tokens applied)."""
        return [self.plan.token_id(p) for p in self.script(name).generated_pieces()]

    def request(self, name: str, user: str = "Go.", via_selector: bool = False) -> dict:
        """A chat request body (without model/stream) that makes the model answer `name`.

        Routed scripts are reached the way a client would (tools, enable_thinking, a plain
        conversation); others, or any with via_selector, through the script's selector as a
        continued final assistant message. Thinking is switched off explicitly whenever the
        template could otherwise route to the thinking script.
        """
        script = self.script(name)
        body: dict = {"messages": [{"role": "user", "content": user}]}
        body.update(copy.deepcopy(script.request))
        routing = self.routing
        thinking = None
        if not via_selector and name == routing.thinking_script:
            thinking = True
        elif routing.thinking_script:
            thinking = False
        if thinking is not None:
            body["chat_template_kwargs"] = {"enable_thinking": thinking}
        tools_route = bool(routing.tool_script and body.get("tools"))
        if tools_route:
            routed = name == routing.tool_script
        elif thinking:
            routed = True  # name is the thinking script
        else:
            routed = name == routing.default_script
        if via_selector or not routed:
            body["messages"].append({"role": "assistant", "content": selector_token(name)})
            body["continue_final_message"] = True
        return body

    def prompt_ids(self, tokenizer, body: dict) -> list[int]:
        return render_prompt_ids(tokenizer, body)


def build_checkpoint(
    out_dir: Path | str,
    routing: Routing = Routing(),
    scripts: tuple[Script, ...] = ALL_SCRIPTS,
) -> ScriptedModel:
    """Writes a complete checkpoint folder; fails if the scripts clash (ScriptConflict)."""
    from .checkpoint import write_checkpoint_files
    from .tokenizer_files import write_tokenizer

    names = {s.name for s in scripts}
    for routed in routing.script_names():
        if routed not in names:
            raise ScriptConflict(f"routing names script {routed!r}, which is not among {sorted(names)}")
    plan = build_plan(scripts, routing.default_script)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_tokenizer(plan, routing, out)
    write_checkpoint_files(plan, out)
    manifest = {
        "routing": {
            "default_script": routing.default_script,
            "tool_script": routing.tool_script,
            "thinking_script": routing.thinking_script,
            "thinking_by_default": routing.thinking_by_default,
        },
        "eos_id": plan.eos_id,
        "scripts": {
            s.name: {
                "description": s.description,
                "ids": list(plan.script_ids[s.name]),
                "start_ids": list(plan.start_ids[s.name]),
                "selector": selector_token(s.name),
                "request": s.request,
                "text": s.full_text(),
            }
            for s in scripts
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ScriptedModel(path=out, plan=plan, routing=routing, scripts=scripts)


__all__ = [
    "ALL_SCRIPTS",
    "DEFAULT_START",
    "EOS",
    "MANIFEST",
    "Routing",
    "Script",
    "ScriptConflict",
    "ScriptedModel",
    "WEATHER_TOOL",
    "build_checkpoint",
    "render_prompt_ids",
    "script_by_name",
    "selector_token",
]
