# ruff: noqa: RUF001, RUF002 - the lookalike letters below are the point of this module
"""When two participants' names count as the same name ("one answer per name").

A poll that allows one answer per name must not be fooled by names that look alike on the
page. `name_key` maps a name to a key; two names with the same key are the same name:

1. NFKC normalisation: compatibility forms (full-width "Ａ", ligatures, superscripts) become
   their plain letters, and composed and decomposed accents agree;
2. format characters (Unicode category Cf: zero-width space U+200B, joiners, direction marks,
   the soft hyphen) are removed, as they are invisible;
3. case folding (German "ß" and "SS" agree, as do "Σ" and "σ");
4. a small confusables skeleton: Cyrillic and Greek letters that look like Latin ones (Cyrillic
   "А", "е", "о", "р", "с", ..., Greek "Α", "ο", "ρ", ...) count as those Latin letters;
5. white space collapsed to single spaces and trimmed.

Step 4 is deliberately narrow. Unicode's full confusables table (UTS #39) is large and maps
many legitimate letters of other scripts onto each other; within one poll the realistic
impersonation is a Latin name retyped with lookalike Cyrillic or Greek letters, which this
catches. The price: a genuine Cyrillic or Greek name that happens to be spelt only with
lookalike letters (Russian "Мах" and Latin "Max") counts as the same name as its Latin double,
which is what a reader of the results grid would see anyway.
"""

from __future__ import annotations

import unicodedata

# Lower-case Cyrillic and Greek letters (after case folding) and the Latin letter each looks
# like, in upper or lower case.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ϲ": "c", "ϳ": "j",
}  # fmt: skip
_SKELETON = str.maketrans(_LOOKALIKES)
MAX_KEY_LENGTH = 255


def name_key(name: str) -> str:
    """The key under which `name` counts as taken; empty for a name that is empty or invisible."""
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():  # format characters (Cf) are all beyond ASCII
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    # Case folding can produce text that is not NFKC again (e.g. "ǰ"), hence the second pass.
    text = unicodedata.normalize("NFKC", text.casefold())
    text = text.translate(_SKELETON)
    return " ".join(text.split())[:MAX_KEY_LENGTH]
