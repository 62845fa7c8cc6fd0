#!/usr/bin/python3
"""scikit-learn fixtures for tst_sklearn_decoder: a fitted LogisticRegression, a random forest and a
pipeline pickled by Debian's scikit-learn 1.2, and beside them what scikit-learn gives: the
estimator line (state keys without a trailing underscore sorted, the first with repr() of its value; fitted attributes
(trailing underscore) in __dict__ order, arrays by shape, up to 6) and each tree's nodes
(tree_.__getstate__()['nodes'] as a list of objects keyed by field).

Run: /usr/bin/python3 tests/domain/gen_sklearn_fixtures.py
"""
import json
import os
import pickle

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "domain")


def label(est):
    # the rule: get_params names are the state keys without a trailing underscore (for a
    # forest that also names BaseEnsemble's estimator / estimator_params / base_estimator)
    params = sorted((k, v) for k, v in vars(est).items() if not k.endswith("_") and not k.startswith("_"))
    out = type(est).__name__ + " ("
    name, value = params[0]
    out += "%s=%r" % (name, value) + (", \u2026" if len(params) > 1 else "") + ")"
    fitted = [(k, v) for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")]
    if fitted:
        parts = []
        for k, v in fitted[:6]:
            if isinstance(v, np.ndarray):
                parts.append("%s [%s]" % (k, ", ".join(str(d) for d in v.shape)))
            else:
                parts.append("%s=%r" % (k, v) if not isinstance(v, (list, tuple, dict)) else
                             "%s=%s" % (k, {list: "[\u2026]", tuple: "(\u2026)", dict: "{\u2026}"}[type(v)]))
        out += " fitted: " + ", ".join(parts) + (", \u2026" if len(fitted) > 6 else "")
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(0)
    X = rng.rand(40, 4)
    y = (X[:, 0] > 0.5).astype(int)
    lr = LogisticRegression().fit(X, y)
    rf = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y)
    pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
    models = {"lr": lr, "rf": rf, "pipe": pipe}
    with open(os.path.join(OUT, "sklearn_models.pkl"), "wb") as f:
        pickle.dump(models, f, protocol=4)
    nodes = []
    for tree in rf.estimators_:
        n = tree.tree_.__getstate__()["nodes"]
        nodes.append([{name: (int(row[name]) if n.dtype[name].kind == "i" else float(row[name]))
                       for name in n.dtype.names} for row in n])
    expected = {"labels": {name: label(m) for name, m in models.items()}, "nodes": nodes,
                "node_fields": list(rf.estimators_[0].tree_.__getstate__()["nodes"].dtype.names)}
    with open(os.path.join(OUT, "sklearn_models.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
