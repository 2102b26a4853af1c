"""Text read in the wrong encoding, caught before it is read wrong, naming the encoding it is.

- UTF-16 with no byte-order mark: its ASCII characters are each followed (little-endian) or
  preceded (big-endian) by a NUL byte, which UTF-8 reads without complaint; the file would then
  be refused for its NUL bytes, or read as text interleaved with NULs.
- UTF-8 declared as a single-byte encoding (cp1252, latin-1, ISO 8859-x): every byte decodes,
  so ``Ynys Môn`` reads as ``Ynys MÃ´n``: a district no longer matches the configured list and
  its rows are quarantined under a reason that blames the data. Text whose non-ASCII bytes form
  valid UTF-8 sequences is UTF-8: stray single-byte text almost never does.

Only the first ``SAMPLE`` bytes are looked at, so a large drop costs no more to check.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from vcc.flows.errors import SourceError

SAMPLE = 1 << 20  # bytes
# Python's names of the single-byte encodings a file may be declared in.
_SINGLE_BYTE_PREFIXES = ("cp125", "latin", "iso8859", "cp437", "cp850", "mac-roman")


def check_encoding(path: Path, codec: str, where: str) -> None:
    """Refuse ``path`` when its bytes show it is in another encoding than ``codec`` (a Python
    codec name), naming the one it is in."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE)
    if codec.startswith(("utf-16", "utf-32")) or not sample:
        return
    bare = _bare_utf16(sample)
    if bare:
        raise SourceError(
            f"{where}: {path} is {bare} text without a byte-order mark, not {codec}: set the "
            f'table\'s encoding = "{bare.lower()}"'
        )
    if codec.startswith(_SINGLE_BYTE_PREFIXES) and _is_utf8(sample):
        example = _first_non_ascii_word(sample)
        misread = example.encode("utf-8").decode(codec, errors="replace")
        raise SourceError(
            f"{where}: {path} is UTF-8 text, not {codec} as configured ({example!r} would read "
            f'as {misread!r}): set the table\'s encoding = "utf-8"'
        )


def _bare_utf16(sample: bytes) -> str | None:
    """ "UTF-16-LE" or "UTF-16-BE" when NUL bytes fill one byte of most pairs, else None."""
    if sample[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or len(sample) < 4:
        return None
    pairs = len(sample) // 2
    even_nuls = sample[0 : 2 * pairs : 2].count(0)
    odd_nuls = sample[1 : 2 * pairs : 2].count(0)
    if odd_nuls > 0.9 * pairs and even_nuls < 0.1 * pairs:
        return "UTF-16-LE"
    if even_nuls > 0.9 * pairs and odd_nuls < 0.1 * pairs:
        return "UTF-16-BE"
    return None


def _is_utf8(sample: bytes) -> bool:
    """Whether ``sample`` holds non-ASCII bytes and they are all valid UTF-8 (a sequence cut at
    the sample's end is allowed)."""
    if sample.isascii():
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _first_non_ascii_word(sample: bytes) -> str:
    text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    for word in text.replace(",", " ").split():
        if not word.isascii():
            return word[:40]
    return ""
