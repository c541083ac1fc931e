"""Float columns between Arrow and numpy: NaN in numpy is null in Arrow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["F64", "f64", "nan_to_null"]

F64 = np.ndarray[Any, np.dtype[np.float64]]


def f64(column: Any) -> F64:
    """Return an Arrow float column as a float64 numpy array, NaN for nulls."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def nan_to_null(values: F64) -> pa.Array:
    """Return float64 values as an Arrow array, NaN as null."""
    return pa.array(values, type=pa.float64(), from_pandas=True)
