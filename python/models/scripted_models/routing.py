"""Which script answers a request that names none: the chat template routes it.

The model only sees the last prompt token (see checkpoint.py), so the chat template decides
the answer by how it ends the generation prompt, the way a real template appends
`<think>\\n\\n</think>\\n\\n` when thinking is off:
  - a request with tools ends with the tool script's selector (a model asked with tools
    calls one),
  - a request with thinking on ends with the thinking script's selector; thinking is on when
    chat_template_kwargs.enable_thinking is true, or, when it is not given, if the checkpoint
    thinks by default (Qwen3 style; pair it with --reasoning-parser qwen3),
  - any other request ends with the newline after `<|im_start|>assistant`, which starts the
    default script.
A request can always pick a script itself: a final assistant message holding the script's
selector token, with continue_final_message (the selector is then the last prompt token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .tokens import selector_token


@dataclass(frozen=True)
class Routing:
    default_script: str = "plain"
    tool_script: Optional[str] = "tool_call"
    thinking_script: Optional[str] = "reasoning"
    thinking_by_default: bool = False

    def script_names(self) -> list[str]:
        return [n for n in (self.default_script, self.tool_script, self.thinking_script) if n]

    def template_block(self) -> str:
        """The Jinja that follows `<|im_start|>assistant\\n` in the generation prompt."""
        branches = []
        if self.tool_script:
            branches.append(("tools", self.tool_script))
        if self.thinking_script:
            default = "true" if self.thinking_by_default else "false"
            cond = (
                "(enable_thinking is defined and enable_thinking) or "
                f"(enable_thinking is not defined and {default})"
            )
            branches.append((cond, self.thinking_script))
        if not branches:
            return ""
        out = []
        for i, (cond, script) in enumerate(branches):
            out.append(f"{{%- {'if' if i == 0 else 'elif'} {cond} %}}{{{{- '{selector_token(script)}' }}}}")
        out.append("{%- endif %}")
        return "\n".join(out)
