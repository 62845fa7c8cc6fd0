#pragma once

// Python's repr of the objects of known types that the core decodes for display: datetime, date,
// time, timedelta, timezone, zoneinfo, Decimal, array.array, numpy scalars and dtypes,
// torch.Size / torch.device, range, slice, UUID, pathlib paths. Reads the pickled call (class,
// arguments, state) without importing anything; empty when the arguments do not decode.

#include "core/value/value_graph.h"

#include <string>

namespace core {

// Python's repr of an object the core decodes for display ("datetime.datetime(2020, 1, 1, 0,
// 0)", "Decimal('1.5')", "array('i', [1, 2])", "np.float32(1.5)", ...). Empty when the value is
// not one of them or its arguments do not decode.
std::string displayRepr(const ValueGraph& graph, ValueId id);

// Whether `cls` is numpy's scalar reconstructor (numpy.core.multiarray.scalar).
bool isNumpyScalarCall(const std::string& cls);
// The numpy type of a pickled numpy scalar ("numpy.float32", "numpy.datetime64"), or empty.
std::string numpyScalarType(const ValueGraph& graph, ValueId id);

} // namespace core
