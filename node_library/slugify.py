import re
import unicodedata


def main(text: str, separator: str = "-", max_length: int = 80) -> str:
    """A lowercase ASCII slug of a text, for file names and URLs.

    Args:
        text: the text to slugify
        separator: what joins the words
        max_length: the longest slug returned
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)[:max_length].rstrip(separator)
