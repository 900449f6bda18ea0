from collections.abc import Callable
from typing import Any

def simulate_many(
    scenarios: list[tuple[Any, Any, int]],
    version: str,
    params: dict[str, Any],
    dtype: str,
    threads: int,
    keep_bonds: bool = True,
    backend: str | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> list[dict[str, Any]]: ...
def retained_result_bytes() -> int: ...
