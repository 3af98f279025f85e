import re
from collections import Counter


def main(text: str, top: int = 10, lowercase: bool = True) -> dict[str, int]:
    """The most frequent words of a text with their counts, most frequent first.

    Args:
        text: the text to count words in
        top: how many words to keep
        lowercase: fold case before counting
    """
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower() if lowercase else text)
    return dict(Counter(words).most_common(top))
