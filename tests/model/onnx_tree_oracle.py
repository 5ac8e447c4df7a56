"""Makes ONNX tree-ensemble models and onnxruntime's answers for Plinth's tree kernels.

  onnx_tree_oracle.py OUT_DIR [ROWS]

Run with the pinned tools (requirements-test.txt: scikit-learn, skl2onnx 1.20, onnxmltools
1.16, xgboost, lightgbm, onnxruntime). Trains scikit-learn forests and boosted trees
(classifiers binary and multiclass, regressors; HistGradientBoosting with NaN in its inputs),
XGBoost and LightGBM classifiers (through onnxmltools), and builds by hand classic tree nodes
that exercise the binary rule, every post_transform and aggregate, BRANCH_EQ/NEQ, and ml opset 5
TreeEnsemble graphs (uint8 modes, leaf lists, BRANCH_MEMBER, int post_transform). For every
tree node of every model it records, from onnxruntime, the node's input and outputs (the
node's outputs are added as graph outputs) and the graph's inputs and final outputs, in
OUT_DIR/manifest.json plus raw little-endian files. onnx_tree_check compares Plinth's kernels
and its whole-graph runs with them.
"""
import json
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore")
OUT = sys.argv[1]
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
os.makedirs(OUT, exist_ok=True)
TREE_OPS = {"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"}
manifest = []


def save_array(name, a):
    a = np.ascontiguousarray(a)
    if a.dtype.kind in "OU":
        return {"strings": [str(v) for v in a.ravel()], "shape": list(a.shape)}
    path = name + ".bin"
    a.tofile(os.path.join(OUT, path))
    return {"file": path, "dtype": str(a.dtype), "shape": list(a.shape)}


def record(name, model, feeds):
    """Saves `model`, runs it in onnxruntime with every tree node's input and outputs exposed,
    and adds one manifest entry per tree node."""
    for i, node in enumerate(model.graph.node):
        if not node.name:
            node.name = "%s_%d" % (node.op_type, i)
    path = name + ".onnx"
    onnx.save(model, os.path.join(OUT, path))
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    trees = [n for n in probe.graph.node if n.op_type in TREE_OPS]
    for n in trees:
        for v in list(n.input) + list(n.output):
            if v not in known and v not in feeds:
                probe.graph.output.append(helper.ValueInfoProto(name=v))
                known.add(v)
    sess = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    values = dict(zip(names, sess.run(None, feeds)))
    values.update(feeds)
    opsets = {o.domain: o.version for o in model.opset_import}
    # The whole graph too: its inputs and final outputs, for OnnxModel::run.
    graph = {"inputs": [save_array("%s.in%d" % (name, j), feeds[i.name])
                        for j, i in enumerate(model.graph.input)],
             "outputs": [save_array("%s.gout%d" % (name, j), values[o.name])
                         for j, o in enumerate(model.graph.output)]}
    for k, n in enumerate(trees):
        entry = {"name": "%s/%s" % (name, n.name), "model": path, "node": n.name,
                 "opset": opsets.get("ai.onnx.ml", 1),
                 "input": save_array("%s.%d.in" % (name, k), values[n.input[0]]),
                 "outputs": [save_array("%s.%d.out%d" % (name, k, j), values[o])
                             for j, o in enumerate(n.output)]}
        if k == 0:
            entry["graph"] = graph
        manifest.append(entry)


def data(classes, seed, nan=False):
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=2 * ROWS, n_features=8, n_informative=5,
                               n_classes=classes, random_state=seed)
    x = x.astype(np.float32)
    # Some repeated values, so thresholds fall between and on data points.
    x[:, 2] = np.round(x[:, 2] * 4) / 4
    if nan:
        rng = np.random.default_rng(seed)
        x[rng.random(x.shape) < 0.1] = np.nan
    return x[:ROWS], y[:ROWS], x[ROWS:]


def sklearn_models():
    import skl2onnx.common._container as container
    from skl2onnx import to_onnx

    # skl2onnx 1.20 passes scikit-learn 1.9's HistGradientBoosting missing-go-left flags as
    # numpy booleans, which onnx.helper refuses for an ints attribute: make them ints.
    make_node = container.make_node

    def ints_not_bools(*args, **kwargs):
        for key, value in kwargs.items():
            if isinstance(value, list) and any(isinstance(v, (bool, np.bool_)) for v in value):
                kwargs[key] = [int(v) for v in value]
        return make_node(*args, **kwargs)

    container.make_node = ints_not_bools
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                                  GradientBoostingClassifier, GradientBoostingRegressor,
                                  HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                                  RandomForestClassifier, RandomForestRegressor)
    cases = [
        ("rf_binary", RandomForestClassifier(n_estimators=30, random_state=0), 2, False),
        ("rf_multi", RandomForestClassifier(n_estimators=30, random_state=0), 3, False),
        ("et_binary", ExtraTreesClassifier(n_estimators=20, random_state=0), 2, False),
        ("gb_binary", GradientBoostingClassifier(n_estimators=30, random_state=0), 2, False),
        ("gb_multi", GradientBoostingClassifier(n_estimators=20, random_state=0), 3, False),
        ("hgb_binary", HistGradientBoostingClassifier(max_iter=30, random_state=0), 2, True),
        ("hgb_multi", HistGradientBoostingClassifier(max_iter=20, random_state=0), 4, True),
        ("rf_reg", RandomForestRegressor(n_estimators=20, random_state=0), 0, False),
        ("et_reg", ExtraTreesRegressor(n_estimators=20, random_state=0), 0, False),
        ("gb_reg", GradientBoostingRegressor(n_estimators=30, random_state=0), 0, False),
        ("hgb_reg", HistGradientBoostingRegressor(max_iter=30, random_state=0), 0, True),
    ]
    for name, est, classes, nan in cases:
        x, y, test = data(max(classes, 2), 1 + len(name), nan)
        if classes == 0:
            y = np.nan_to_num(x[:, 0]) * 3 + np.nan_to_num(x[:, 1]) ** 2 + y
        elif name == "rf_multi":
            y = np.array(["cat", "dog", "eel"])[y]  # string labels
        est.fit(x, y)
        options = {id(est): {"zipmap": False}} if classes else None
        model = to_onnx(est, x[:1], options=options, target_opset={"": 17, "ai.onnx.ml": 3})
        record(name, model, {model.graph.input[0].name: test})


def boosted_models():
    import lightgbm
    import xgboost
    from onnxmltools.convert import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    for classes in (2, 3):
        x, y, test = data(classes, 40 + classes, nan=True)
        kind = "binary" if classes == 2 else "multi"
        xgb = xgboost.XGBClassifier(n_estimators=30, max_depth=5, random_state=0).fit(x, y)
        model = convert_xgboost(xgb, initial_types=[("X", FloatTensorType([None, 8]))],
                                target_opset=15)
        record("xgb_" + kind, model, {"X": test})
        lgb = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1).fit(x, y)
        model = convert_lightgbm(lgb, initial_types=[("X", FloatTensorType([None, 8]))],
                                 target_opset=15, zipmap=False)
        record("lgbm_" + kind, model, {"X": test})


def graph(node, outputs, ml_opset, x_type=TensorProto.FLOAT):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", x_type, [None, 3])],
                          [helper.ValueInfoProto(name=o) for o in outputs])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                               helper.make_opsetid("ai.onnx.ml", ml_opset)])


def probe_rows(dtype=np.float32):
    """Rows at, just above and just below the hand-built thresholds, and NaN."""
    rng = np.random.default_rng(5)
    base = np.array([0.5, 1.0, -2.0, 3.0, 0.1], dtype=dtype)
    pick = base[rng.integers(0, len(base), size=(400, 3))]
    step = rng.integers(-1, 2, size=pick.shape)
    x = np.where(step > 0, np.nextafter(pick, dtype(np.inf)),
                 np.where(step < 0, np.nextafter(pick, dtype(-np.inf)), pick)).astype(dtype)
    x[rng.random(x.shape) < 0.08] = np.nan
    return x


# Two small trees: tree 0 splits on x0 then x1, tree 1 on x2. modes[0..] vary by case.
def classic_attrs(modes, missing=(0, 1, 0, 0, 0, 0, 0)):
    return dict(
        nodes_treeids=[0, 0, 0, 0, 0, 1, 1, 1],
        nodes_nodeids=[0, 1, 2, 3, 4, 0, 1, 2],
        nodes_featureids=[0, 1, 0, 0, 0, 2, 0, 0],
        nodes_modes=[modes[0], modes[1], "LEAF", "LEAF", "LEAF", modes[2], "LEAF", "LEAF"],
        nodes_values=[0.5, 1.0, 0, 0, 0, 3.0, 0, 0],
        nodes_truenodeids=[1, 3, 0, 0, 0, 1, 0, 0],
        nodes_falsenodeids=[2, 4, 0, 0, 0, 2, 0, 0],
        nodes_missing_value_tracks_true=list(missing) + [1])


LEAVES = [(0, 2), (0, 3), (0, 4), (1, 1), (1, 2)]


def hand_classic():
    x = probe_rows()
    modes = [("BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE"), ("BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ")]
    votes = {
        # every vote for class 0 with positive weights: the binary rule's 1 - s
        "pos0": [(0, 0.3), (0, 0.8), (0, 0.1), (0, 0.25), (0, 0.4)],
        "mixed0": [(0, 0.3), (0, -0.8), (0, 0.1), (0, -0.25), (0, 0.4)],
        "ids1": [(1, 0.3), (1, -0.8), (1, 0.1), (1, -0.25), (1, 0.4)],
        "both": [(0, 0.3), (1, -0.8), (0, 0.1), (1, -0.25), (0, 0.4)],
        "three": [(0, 0.3), (1, -0.8), (2, 0.1), (1, -0.25), (0, 0.4)],
    }
    k = 0
    for vote_name, vote in votes.items():
        classes = 3 if vote_name == "three" else 2
        for post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"]:
            for base in (None, [0.2], [0.1, -0.3], [0.1, -0.3, 0.5]):
                if base and (len(base) == 3) != (classes == 3):
                    continue
                # Two classes that both get votes, one base value: onnxruntime leaves column 1
                # unwritten in rows without a class 1 vote (memory garbage), so no oracle.
                if base and len(base) == 1 and vote_name in ("three", "both"):
                    continue
                k += 1
                attrs = classic_attrs(modes[k % 2])
                attrs.update(class_treeids=[t for (t, n) in LEAVES],
                             class_nodeids=[n for (t, n) in LEAVES],
                             class_ids=[c for c, w in vote], class_weights=[w for c, w in vote],
                             post_transform=post)
                if k % 3 == 0:
                    attrs["classlabels_strings"] = ["no", "yes", "maybe"][:classes]
                else:
                    attrs["classlabels_int64s"] = [10, 20, 30][:classes]
                if base:
                    attrs["base_values"] = base
                node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "scores"],
                                        domain="ai.onnx.ml", name="clf", **attrs)
                record("hand_clf_%s_%s_%d" % (vote_name, post.lower(), k),
                       graph(node, ["label", "scores"], 3), {"X": x})
    for agg in ["SUM", "AVERAGE", "MIN", "MAX"]:
        for post, targets in [("NONE", 1), ("LOGISTIC", 1), ("PROBIT", 1), ("NONE", 2),
                              ("SOFTMAX", 2), ("LOGISTIC", 2)]:
            k += 1
            attrs = classic_attrs(modes[k % 2])
            tv = [(0, 0.3), (0, 0.8), (1, 0.1), (0, -0.25), (1, 0.4)] if targets == 2 else \
                [(0, 0.3), (0, 0.8), (0, 0.1), (0, -0.25), (0, 0.4)]
            if post == "PROBIT":
                tv = [(0, 0.3), (0, 0.2), (0, 0.1), (0, 0.25), (0, 0.4)]
            attrs.update(target_treeids=[t for (t, n) in LEAVES],
                         target_nodeids=[n for (t, n) in LEAVES],
                         target_ids=[c for c, w in tv], target_weights=[w for c, w in tv],
                         n_targets=targets, aggregate_function=agg, post_transform=post)
            if k % 2 and post != "PROBIT":
                attrs["base_values"] = [0.5, -1.0][:targets]
            node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml",
                                    name="reg", **attrs)
            record("hand_reg_%s_%s%d_%d" % (agg.lower(), post.lower(), targets, k),
                   graph(node, ["Y"], 3), {"X": x})
    # ml opset 3's double thresholds (nodes_values_as_tensor) with double input.
    attrs = classic_attrs(modes[0])
    values = attrs.pop("nodes_values")
    attrs.update(nodes_values_as_tensor=numpy_helper.from_array(np.array(values, np.float64)),
                 target_treeids=[t for (t, n) in LEAVES], target_nodeids=[n for (t, n) in LEAVES],
                 target_ids=[0] * 5,
                 target_weights_as_tensor=numpy_helper.from_array(
                     np.array([0.3, 0.8, 0.1, -0.25, 0.4], np.float64)),
                 n_targets=1)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml",
                            name="reg", **attrs)
    record("hand_reg_double", graph(node, ["Y"], 3, TensorProto.DOUBLE),
           {"X": probe_rows(np.float64)})


def hand_v5():
    """ml opset 5 TreeEnsemble: two trees over 3 features, every mode, two targets."""
    x = probe_rows()
    # Interior nodes: tree 0 = nodes 0..2, tree 1 = nodes 3..4.
    for k, (modes, agg, post, targets) in enumerate([
            ([0, 1, 6, 2, 3], 1, 0, 1), ([4, 5, 6, 3, 0], 0, 0, 2), ([1, 3, 0, 6, 5], 2, 1, 2),
            ([2, 0, 6, 4, 1], 3, 2, 2), ([0, 0, 1, 1, 6], 1, 3, 2), ([3, 6, 2, 0, 4], 1, 4, 1)]):
        members = [0.5, 1.0, np.nan] * sum(1 for m in modes if m == 6)
        leaf_targets = [i % targets for i in range(7)]
        node = helper.make_node(
            "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml", name="ens",
            nodes_featureids=[0, 1, 2, 2, 0],
            nodes_modes=numpy_helper.from_array(np.array(modes, np.uint8)),
            nodes_splits=numpy_helper.from_array(np.array([0.5, 1.0, 3.0, 0.1, -2.0], np.float32)),
            nodes_truenodeids=[1, 0, 2, 4, 5], nodes_trueleafs=[0, 1, 1, 0, 1],
            nodes_falsenodeids=[2, 1, 3, 6, 4], nodes_falseleafs=[0, 1, 1, 1, 1],
            nodes_missing_value_tracks_true=[1, 0, 1, 0, 0],
            tree_roots=[0, 3], leaf_targetids=leaf_targets,
            leaf_weights=numpy_helper.from_array(
                np.array([0.3, 0.8, 0.1, -0.25, 0.4, 1.5, -0.7], np.float32)),
            membership_values=numpy_helper.from_array(np.array(members, np.float32)),
            n_targets=targets, aggregate_function=agg, post_transform=post)
        record("hand_v5_%d" % k, graph(node, ["Y"], 5), {"X": x})


sklearn_models()
boosted_models()
hand_classic()
hand_v5()
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
print("%d tree nodes from %d models in %s" % (len(manifest), len({m["model"] for m in manifest}),
                                               OUT))
