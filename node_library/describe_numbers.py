import statistics
from typing import Optional, TypedDict


class Summary(TypedDict):
    count: int
    mean: Optional[float]
    median: Optional[float]
    stdev: Optional[float]
    minimum: Optional[float]
    maximum: Optional[float]


def main(values: list[float]) -> Summary:
    """Descriptive statistics of a list of numbers (None where a statistic is undefined).

    Args:
        values: the numbers to describe
    """
    if not values:
        return {"count": 0, "mean": None, "median": None, "stdev": None, "minimum": None, "maximum": None}
    return {
        "count": len(values),
        "mean": statistics.fmean(values),
        "median": float(statistics.median(values)),
        "stdev": statistics.stdev(values) if len(values) > 1 else None,
        "minimum": float(min(values)),
        "maximum": float(max(values)),
    }
