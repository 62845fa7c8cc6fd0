#!/usr/bin/python3
"""pandas fixtures for tst_pandas_decoder: DataFrames and Series of every column kind pickled by
Debian's pandas 1.5 (protocols 2, 4, 5), and beside them what pandas gives for each (the plain
JSON table rules: df[col].tolist() with NaN as "nan", missing values (None, pd.NA, NaT in object
columns, a missing category) as null, datetimes as numpy.datetime_as_string, str(df.dtypes[i])).

Run: /usr/bin/python3 tests/domain/gen_pandas_fixtures.py
"""
import json
import math
import os
import pickle

import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "domain")


def cell(x):
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, str):
        return x
    raise ValueError(repr(x))


def column(values):
    """A column (Series, Index or array) as the JSON cells."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        return [None if c < 0 else cell(values.cat.categories[c] if hasattr(values, "cat") else values.categories[c])
                for c in (values.cat.codes if hasattr(values, "cat") else values.codes)]
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = np.asarray(values.astype("datetime64[ns, UTC]").dt.tz_localize(None) if hasattr(values, "dt")
                         else values.tz_convert("UTC").tz_localize(None), dtype="M8[ns]")
        return [str(s) for s in np.datetime_as_string(utc)]
    if dtype is not None and dtype.kind == "M":
        return [str(s) for s in np.datetime_as_string(np.asarray(values, dtype=dtype))]
    return [cell(x) for x in list(values)]


def index(ix):
    if isinstance(ix, pd.RangeIndex):
        return {"$type": "pandas.RangeIndex", "start": ix.start, "stop": ix.stop, "step": ix.step,
                "name": ix.name}
    if isinstance(ix, pd.MultiIndex):
        return {"$type": "pandas.MultiIndex", "names": list(ix.names),
                "levels": [column(level) for level in ix.levels], "codes": [[int(c) for c in cs] for cs in ix.codes]}
    return {"$type": "pandas." + type(ix).__name__, "dtype": str(ix.dtype), "name": ix.name, "values": column(ix)}


def frames():
    n = 6
    df = pd.DataFrame({
        "int": np.arange(n, dtype="int64") - 2,
        "float": [1.5, np.nan, -0.25, np.inf, 0.1, 3.0],
        "obj": ["a", None, "ccc", "d\u00e9", float("nan"), "f"],
        "bool": [True, False, True, True, False, False],
        "when": pd.to_datetime(["2020-01-01", None, "2021-06-30 12:00", "1999-12-31", "2020-02-29", "2000-01-01"]),
        "cat": pd.Categorical(["x", "y", None, "x", "z", "y"]),
        "i32": np.arange(n, dtype="int32") * 1000,
        "u8": np.arange(n, dtype="uint8"),
        "f32": np.linspace(0, 1, n).astype("float32"),
    })
    nullable = pd.DataFrame({
        "Int64": pd.array([1, None, 3], dtype="Int64"),
        "UInt8": pd.array([None, 2, 255], dtype="UInt8"),
        "Float64": pd.array([0.5, None, -1.0], dtype="Float64"),
        "boolean": pd.array([True, None, False], dtype="boolean"),
        "string": pd.array(["a", None, "c"], dtype="string"),
        "tz": pd.date_range("2020-03-29", periods=3, freq="H", tz="Europe/Paris"),
        "utc": pd.date_range("2020-01-01", periods=3, tz="UTC"),
    })
    multi = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0]},
                         index=pd.MultiIndex.from_product([["a", "b"], [1, 2]], names=["letter", "num"]))
    dated = pd.DataFrame({"v": [1, 2, 3]}, index=pd.date_range("2021-01-01", periods=3, name="day"))
    catidx = pd.DataFrame({"v": [1, 2]}, index=pd.CategoricalIndex(["p", "q"]))
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="object")})
    intcols = pd.DataFrame(np.arange(6).reshape(2, 3) * 0.5)
    series = pd.Series([1.5, 2.5, None], index=pd.Index(["a", "b", "c"], name="k"), name="val")
    int_series = pd.Series(np.arange(4), name=None)
    cat_series = pd.Series(pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True), name="level")
    return {"df": df, "nullable": nullable, "multi": multi, "dated": dated, "catidx": catidx, "empty": empty,
            "intcols": intcols, "series": series, "int_series": int_series, "cat_series": cat_series}


def expected_of(obj):
    if isinstance(obj, pd.Series):
        return {"$type": "pandas.Series", "name": obj.name, "dtype": str(obj.dtype), "index": index(obj.index),
                "data": column(obj)}
    return {"$type": "pandas.DataFrame", "shape": list(obj.shape), "columns": [cell(c) for c in obj.columns],
            "dtypes": [str(t) for t in obj.dtypes], "index": index(obj.index),
            "data": [column(obj[c]) for c in obj.columns]}


# ---- pandas 2.x layouts, hand-built (Debian ships pandas 1.5 only) --------------------------------
# pandas 2.x (pandas/_libs/internals.pyx) pickles a Block as _unpickle_block(values,
# mgr_locs.indexer, ndim) and a BlockManager by __reduce__: (type(self), (self.blocks, self.axes))
# with self.blocks a *tuple*, or for a SingleBlockManager (one axis) (type(self), (self.blocks[0],
# self.axes[0])): a bare block and a bare index. The frame / series objects keep their __dict__
# state with "_mgr". These stand-ins write exactly that structure with pandas 1.5's globals.

class Reduced:
    def __init__(self, func, args, cls=None, state=None):
        self.func, self.args, self.cls, self.state = func, args, cls, state

    @property
    def __class__(self):  # pickle's NEWOBJ check compares obj.__class__ with args[0]
        return self.cls if self.cls is not None else Reduced

    def __reduce_ex__(self, protocol):
        if self.state is not None:
            return (self.func, self.args, self.state)
        return (self.func, self.args)


def block(values, placement, ndim):
    import pandas._libs.internals as libinternals
    return Reduced(libinternals._unpickle_block, (values, placement, ndim))


def v2_frame(df):
    """df pickled the pandas 2.x way: BlockManager(tuple of blocks, [columns, index])."""
    import copyreg
    mgr = df._mgr
    blocks = tuple(block(b.values, b.mgr_locs.indexer, 2) for b in mgr.blocks)
    manager = Reduced(type(mgr), (blocks, list(mgr.axes)))
    state = {"_mgr": manager, "_typ": "dataframe", "_metadata": [], "attrs": {},
             "_flags": {"allows_duplicate_labels": True}}
    return Reduced(copyreg.__newobj__, (pd.DataFrame,), cls=pd.DataFrame, state=state)


def v2_series(s):
    """s pickled the pandas 2.x way: SingleBlockManager(block, index)."""
    import copyreg
    mgr = s._mgr
    manager = Reduced(type(mgr), (block(mgr.blocks[0].values, slice(0, len(s), 1), 1), mgr.axes[0]))
    state = {"_mgr": manager, "_typ": "series", "_metadata": ["name"], "attrs": {},
             "_flags": {"allows_duplicate_labels": True}, "name": s.name}
    return Reduced(copyreg.__newobj__, (pd.Series,), cls=pd.Series, state=state)


def main():
    os.makedirs(OUT, exist_ok=True)
    data = frames()
    expected = {name: expected_of(obj) for name, obj in data.items()}
    for proto in (2, 4, 5):
        with open(os.path.join(OUT, "frames_p%d.pkl" % proto), "wb") as f:
            pickle.dump(data, f, protocol=proto)
    # the same frames in pandas 2.x's layout; pandas 1.5 reads them back equal (checked here)
    v2 = {name: v2_series(obj) if isinstance(obj, pd.Series) else v2_frame(obj) for name, obj in data.items()}
    for proto in (2, 4, 5):
        raw = pickle.dumps(v2, protocol=proto)
        back = pickle.loads(raw)
        for name, obj in data.items():
            assert type(back[name]) is type(obj) and back[name].equals(obj), name
        with open(os.path.join(OUT, "frames_v2_p%d.pkl" % proto), "wb") as f:
            f.write(raw)
    with open(os.path.join(OUT, "frames.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, allow_nan=False)
    print("pandas", pd.__version__, len(data), "frames")


if __name__ == "__main__":
    main()
