def main(values: list[float]) -> float:
    """The sum of the values.

    Args:
        values: numbers to add up
    """
    return float(sum(values))
