"""Tiny generated checkpoints whose greedy decoding follows a known script.

    from scripted_models import build_checkpoint
    model = build_checkpoint(tmp_path / "m", default_script="tool_call")
    model.path               # --model-path for sglang.launch_server or transformers
    model.expected_ids("tool_call")

Nothing is downloaded: config, weights and tokenizer are written from scripts.py.
See models/README.md for how the model works and how to add a script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .plan import DEFAULT_START, Plan, ScriptConflict, build_plan
from .scripts import ALL_SCRIPTS, WEATHER_TOOL, Script, script_by_name
from .tokens import EOS, selector_token

MANIFEST = "scripted_model.json"


@dataclass(frozen=True)
class ScriptedModel:
    path: Path
    plan: Plan
    scripts: tuple[Script, ...]

    @property
    def default_script(self) -> str:
        return self.plan.default_script

    def script(self, name: str) -> Script:
        for script in self.scripts:
            if script.name == name:
                return script
        raise KeyError(f"script {name!r} is not in the checkpoint at {self.path}")

    def expected_ids(self, name: str) -> list[int]:
        """The ids the engine must generate for this script's scenario request."""
        script = self.script(name)
        return [self.plan.token_id(p) for p in script.generated_pieces()]

    def messages(self, name: str, user: str = "Go.") -> tuple[list[dict], dict]:
        """Chat messages (and extra request fields) that make the model answer with a script.

        The default script needs a plain conversation; any other is reached through its
        selector token as a continued final assistant message.
        """
        messages = [{"role": "user", "content": user}]
        if name == self.default_script:
            return messages, {}
        self.script(name)
        return messages + [{"role": "assistant", "content": selector_token(name)}], {
            "continue_final_message": True
        }


def build_checkpoint(
    out_dir: Path | str,
    default_script: str = "plain",
    scripts: tuple[Script, ...] = ALL_SCRIPTS,
) -> ScriptedModel:
    """Writes a complete checkpoint folder; fails if the scripts clash (ScriptConflict)."""
    from .checkpoint import write_checkpoint_files
    from .tokenizer_files import write_tokenizer

    plan = build_plan(scripts, default_script)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_tokenizer(plan, out)
    write_checkpoint_files(plan, out)
    manifest = {
        "default_script": default_script,
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
    return ScriptedModel(path=out, plan=plan, scripts=scripts)


__all__ = [
    "ALL_SCRIPTS",
    "DEFAULT_START",
    "EOS",
    "MANIFEST",
    "Script",
    "ScriptConflict",
    "ScriptedModel",
    "WEATHER_TOOL",
    "build_checkpoint",
    "script_by_name",
    "selector_token",
]
