def main(n: int, start: int = 0, step: int = 1) -> list[int]:
    """Whole numbers from start, n of them, step apart.

    Args:
        n: how many numbers
        start: the first number
        step: the distance between two numbers
    """
    if n < 0:
        raise ValueError("n must not be negative")
    return [start + i * step for i in range(n)]
