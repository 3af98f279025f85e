from datetime import date


def main(start: date, end: date) -> int:
    """Whole days from start to end (negative when end comes first).

    Args:
        start: the earlier date
        end: the later date
    """
    return (end - start).days
