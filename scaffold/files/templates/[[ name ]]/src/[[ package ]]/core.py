"""Stage 1 (words): count the words of a text."""


def word_count(text: str) -> dict[str, int]:
    """Count each word of `text`, ignoring case; words are separated by any whitespace.

    `word_count("The cat saw the dog")` is `{"the": 2, "cat": 1, "saw": 1, "dog": 1}`;
    an empty or blank text gives `{}`.
    """
    raise NotImplementedError("Stage 1 (words): count each lowercased word")
