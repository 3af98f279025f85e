import csv
import io


def main(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    """Rows of a CSV text with a header line, as dictionaries keyed by column name.

    Args:
        text: CSV text whose first line names the columns
        delimiter: the field separator
    """
    if len(delimiter) != 1:
        raise ValueError("delimiter must be one character")
    return [dict(row) for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]
