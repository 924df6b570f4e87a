"""The requests the checks send. Kept in one place so a reader sees exactly what is asked.

Tools are written in the full shape v0.5.9's ``Tool.model_dump()`` gives the chat template
(type, then function with description/name/parameters/strict, in that order): the server
renders the template from that dump, so the suite's own rendering uses the same dicts.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

PLAIN_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Write two short sentences about the sea."},
]

# Asked to count, a model writes a long answer: used for the max_tokens and stop checks.
LONG_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Count from one to forty in English words, separated by commas."},
]

TOOL_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "What is the weather like in Paris right now? Use the get_weather tool."},
]

WEATHER_TOOL: Dict[str, Any] = {
    "type": "function",
    "function": {
        "description": "Get the current weather in a city.",
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
            "required": ["city"],
        },
        "strict": False,
    },
}

# Text whose characters span several byte tokens (CJK, emoji): a detokenizer holds such text
# back at a chunk edge, where v0.5.9 streams it twice (--stream-interval > 1) or, right before
# a tool call, loses it. Any model can be asked to say it; the engine-less harness's scripted
# model says exactly what follows "Say exactly:" ({tool_call}: its qwen25 call of the tool).
MULTIBYTE_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Say exactly: The answer你🙂好"},
]
TOOL_AFTER_EMOJI_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Say exactly: Checking 東京 🗼{tool_call}"},
]

# Every tool call of an answer streams, and text after a call is text on both sides. A model
# asked for two calls may answer with one (the comparison holds either way); the harness's
# scripted model makes {tool_call2} a second call of the tool with other arguments.
TWO_TOOL_CALLS_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Say exactly: Checking Paris and 東京.{tool_call}{tool_call2}"},
]
TEXT_AFTER_TOOL_CALL_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Say exactly: Checking café.{tool_call}\nDone, anything else?"},
]

REASONING_MESSAGES: List[Dict[str, Any]] = [
    {"role": "user", "content": "Is 17 a prime number? Answer briefly."},
]

# Distinct prompts for the concurrent streams, so crossed streams would show.
CONCURRENT_PROMPTS: List[str] = [
    "Name three colors.",
    "Say hello in French.",
    "What is two plus three?",
    "Write one sentence about trees.",
]


def chat_body(
    messages: List[Dict[str, Any]],
    max_tokens: int,
    *,
    tools: Optional[List[Dict[str, Any]]] = None,
    return_token_ids: Optional[bool] = True,
    temperature: float = 0.0,
    **extra: Any,
) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "messages": copy.deepcopy(messages),
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    if tools:
        body["tools"] = copy.deepcopy(tools)
        body["tool_choice"] = "auto"
    if return_token_ids is not None:
        body["return_token_ids"] = return_token_ids
    body.update(extra)
    return body
