def main(n: int) -> int:
    """The n-th Fibonacci number, computed naively on purpose (a unit of CPU work for benchmarks).

    Args:
        n: which Fibonacci number
    """
    def fib(k: int) -> int:
        return k if k < 2 else fib(k - 1) + fib(k - 2)

    return fib(n)
