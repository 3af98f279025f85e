def main(rows: list[dict[str, str]], column: str) -> list[str]:
    """The values of one column of a list of rows.

    Args:
        rows: rows keyed by column name
        column: the column to take
    """
    missing = [i for i, row in enumerate(rows) if column not in row]
    if missing:
        raise KeyError(f"column {column!r} is missing from row(s) {missing[:5]}")
    return [row[column] for row in rows]
