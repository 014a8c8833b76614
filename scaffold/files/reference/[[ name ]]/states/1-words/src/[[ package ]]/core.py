"""Count and rank the words of a text (stages 1 and 2)."""

from collections import Counter


def word_count(text: str) -> dict[str, int]:
    """Count each word of `text`, ignoring case; words are separated by any whitespace.

    `word_count("The cat saw the dog")` is `{"the": 2, "cat": 1, "saw": 1, "dog": 1}`;
    an empty or blank text gives `{}`.
    """
    return dict(Counter(word.lower() for word in text.split()))


def top_words(text: str, n: int) -> list[tuple[str, int]]:
    """The `n` most frequent words of `text` (counted as `word_count` counts), most frequent
    first; words with the same count come in alphabetical order.

    `top_words("b a B c a b", 2)` is `[("b", 3), ("a", 2)]`; a text with fewer than `n`
    different words gives them all, and `n` of 0 gives `[]`.
    """
    raise NotImplementedError("Stage 2 (top): rank the counted words")
