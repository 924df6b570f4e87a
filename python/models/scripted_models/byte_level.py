"""GPT-2 style byte-level alphabet, as used by Qwen2/Llama-3 tokenizers.

Byte-level BPE vocabularies spell every token with 256 printable stand-in characters, one
per byte value. We need the same mapping to name vocabulary entries for arbitrary byte
strings, including incomplete UTF-8 sequences (the multi-byte scenario splits a character
across tokens on purpose).
"""

from functools import lru_cache


@lru_cache(maxsize=1)
def byte_to_char() -> dict[int, str]:
    # Printable Latin-1 bytes stand for themselves; the rest are shifted above 255 so that
    # no vocabulary entry holds whitespace or control characters (the tokenizers library
    # and the ByteLevel decoder rely on exactly this table).
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    table = {b: chr(b) for b in printable}
    shift = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shift)
            shift += 1
    return table


def spell(data: bytes) -> str:
    """The vocabulary spelling of a byte string."""
    table = byte_to_char()
    return "".join(table[b] for b in data)
