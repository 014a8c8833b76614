"""Stage 1 (words): count the words of a text."""

from collections import Counter


def word_count(text: str) -> dict[str, int]:
    """Count each word of `text`, ignoring case; words are separated by any whitespace.

    `word_count("The cat saw the dog")` is `{"the": 2, "cat": 1, "saw": 1, "dog": 1}`;
    an empty or blank text gives `{}`.
    """
    return dict(Counter(word.lower() for word in text.split()))
