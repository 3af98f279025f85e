from datetime import date, timedelta


def main(start: date, days: int, step_days: int = 1) -> list[date]:
    """Calendar dates from start, `days` of them.

    Args:
        start: the first date
        days: how many dates
        step_days: days between two dates
    """
    return [start + timedelta(days=i * step_days) for i in range(days)]
