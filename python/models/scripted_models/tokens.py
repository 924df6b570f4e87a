"""The fixed (added) tokens of every scripted checkpoint.

Names follow Qwen2.5/Qwen3 so that SGLang's `qwen25` tool-call parser and `qwen3` reasoning
parser recognise them. Special tokens are dropped by `skip_special_tokens` decoding; the
tool-call and think markers are NOT special (as in Qwen's own tokenizers), so their text
reaches the parsers.
"""

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
TOOL_CALL_START = "<tool_call>"
TOOL_CALL_END = "</tool_call>"
THINK_START = "<think>"
THINK_END = "</think>"

# The token the model emits to end an answer: the chat template's end-of-turn marker,
# which config.json and generation_config.json declare as EOS.
EOS = IM_END

SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)
MARKER_TOKENS = (TOOL_CALL_START, TOOL_CALL_END, THINK_START, THINK_END)


def selector_token(script_name: str) -> str:
    """The special token that, as the last prompt token, starts a script.

    A request reaches a non-default script by ending its messages with an assistant message
    whose content is this token and `continue_final_message: true`: the prompt then ends
    with the selector instead of the newline after `<|im_start|>assistant`.
    """
    return f"<|script:{script_name}|>"
