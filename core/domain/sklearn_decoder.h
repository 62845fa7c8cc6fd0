#pragma once

// scikit-learn estimators read as parameters and fitted attributes. An estimator pickles as its
// class plus a state dict (its __dict__): get_params() names are the keys without a trailing
// underscore, fitted attributes end with one ("coef_", "classes_", "tree_"). A Tree's nodes are
// a structured ndarray, shown through the numpy dtype model.

#include "core/value/value_graph.h"

#include <string>

namespace core::domain {

// "LogisticRegression (C=1.0, …) fitted: n_features_in_=4, classes_ [2], n_iter_ [1], coef_ [1, 4],
// intercept_ [1]" for an object of a sklearn.* class whose state is a dict; empty otherwise.
// Parameters are sorted by name as get_params() does; fitted attributes keep the state's order.
std::string estimatorLabel(const ValueGraph& graph, ValueId object);

} // namespace core::domain
