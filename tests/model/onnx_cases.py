"""Writes small ONNX graphs, their inputs and onnxruntime's outputs for onnx_test.

Usage: onnx_cases.py OUT_DIR

Each case is OUT_DIR/NAME.onnx plus OUT_DIR/NAME.json: the inputs fed to onnxruntime and the
outputs it returned (the oracle). Non-finite floats are written as the strings "nan", "inf" and
"-inf". The bad/ subfolder holds models Plinth must refuse at load, with the words its error has
to contain (bad/NAME.json: {"expect": [...]}).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

OUT = sys.argv[1]
RNG = np.random.default_rng(7)
TYPES = {np.float32: TP.FLOAT, np.float64: TP.DOUBLE, np.int64: TP.INT64, np.bool_: TP.BOOL,
         np.str_: TP.STRING, np.object_: TP.STRING, np.int32: TP.INT32}
NAMES = {TP.FLOAT: "float", TP.DOUBLE: "double", TP.INT64: "int64", TP.BOOL: "bool",
         TP.STRING: "string", TP.INT32: "int32"}


def elem(array):
    if array.dtype.kind in "OUS":
        return TP.STRING
    for numpy_type, onnx_type in TYPES.items():
        if array.dtype == np.dtype(numpy_type):
            return onnx_type
    raise ValueError(f"no ONNX type for {array.dtype}")


def plain(values):
    out = []
    for v in values:
        if isinstance(v, (float, np.floating)):
            v = float(v)
            out.append("nan" if v != v else ("inf" if v == float("inf") else
                                             ("-inf" if v == float("-inf") else v)))
        elif isinstance(v, (int, np.integer, np.bool_)):
            out.append(int(v))
        else:
            out.append(str(v))
    return out


def tensor_json(name, array):
    array = np.asarray(array)
    return {"name": name, "type": NAMES[elem(array)], "shape": list(array.shape),
            "values": plain(array.reshape(-1).tolist())}


def model(nodes, inputs, outputs, inits=(), opset=17, ml=3, ir=8, dynamic_batch=True,
          domains=()):
    """inputs: name -> array; outputs: [(name, TensorProto type or "maps")]."""
    ins = []
    for name, array in inputs.items():
        shape = list(np.asarray(array).shape)
        if dynamic_batch and shape:
            shape[0] = "N"
        ins.append(helper.make_tensor_value_info(name, elem(np.asarray(array)), shape))
    outs = []
    for name, kind in outputs:
        if kind == "maps_int" or kind == "maps_str":
            key = TP.INT64 if kind == "maps_int" else TP.STRING
            outs.append(helper.make_value_info(name, helper.make_sequence_type_proto(
                helper.make_map_type_proto(key, helper.make_tensor_type_proto(TP.FLOAT, None)))))
        else:
            outs.append(helper.make_tensor_value_info(name, kind, None))
    graph = helper.make_graph(nodes, "case", ins, outs, list(inits))
    opsets = [helper.make_opsetid("", opset)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ml))
    opsets += [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=opsets, ir_version=ir)


def write_case(name, m, inputs, break_value=False):
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(m, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = {k: np.asarray(v) for k, v in inputs.items()}
    results = session.run(None, feed)
    outs = []
    for info, value in zip(session.get_outputs(), results):
        if isinstance(value, list):  # ZipMap: a list of dicts
            keys = list(value[0].keys()) if value else []
            rows = [[float(row[k]) for k in keys] for row in value]
            outs.append({"name": info.name, "maps": True, "keys": plain(keys),
                         "rows": rows})
        else:
            outs.append(tensor_json(info.name, value))
    if break_value:  # a deliberately wrong oracle, to prove the comparison can fail
        outs[0]["values"][0] = plain([float(outs[0]["values"][0]) + 1])[0]
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"inputs": [tensor_json(k, v) for k, v in inputs.items()],
                   "outputs": outs}, f)


def node(op, ins, outs, domain="", **attrs):
    return helper.make_node(op, ins, outs, domain=domain, **attrs)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def f32(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def unary_cases():
    x = f32(5, 4)
    x[0, 0] = 0.0
    for op in ["Exp", "Abs", "Neg", "Relu", "Tanh", "Sigmoid", "Floor", "Ceil", "Erf",
               "Softplus"]:
        write_case("unary_" + op, model([node(op, ["x"], ["y"])], {"x": x}, [("y", TP.FLOAT)]),
                   {"x": x})
    pos = np.abs(x) + 0.1
    for op in ["Sqrt", "Log", "Reciprocal"]:
        write_case("unary_" + op, model([node(op, ["x"], ["y"])], {"x": pos}, [("y", TP.FLOAT)]),
                   {"x": pos})
    write_case("unary_LeakyRelu", model([node("LeakyRelu", ["x"], ["y"], alpha=0.2)], {"x": x},
                                        [("y", TP.FLOAT)]), {"x": x})
    xd = x.astype(np.float64)
    write_case("unary_Sigmoid_double", model([node("Sigmoid", ["x"], ["y"])], {"x": xd},
                                             [("y", TP.DOUBLE)]), {"x": xd})
    b = np.array([[True, False], [False, True]])
    write_case("unary_Not", model([node("Not", ["x"], ["y"])], {"x": b}, [("y", TP.BOOL)]),
               {"x": b})


def binary_cases():
    shapes = [((4, 3), (4, 3)), ((4, 3), (3,)), ((4, 1), (1, 3)), ((2, 4, 3), (4, 1)),
              ((4, 3), ())]
    for op in ["Add", "Sub", "Mul", "Div"]:
        for k, (sa, sb) in enumerate(shapes):
            a, b = f32(*sa), f32(*sb) if sb else np.float32(1.5)
            if op == "Div":
                b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
            b = np.asarray(b, dtype=np.float32)
            write_case(f"binary_{op}_{k}", model([node(op, ["a", "b"], ["y"])],
                                                {"a": a, "b": b}, [("y", TP.FLOAT)],
                                                dynamic_batch=False), {"a": a, "b": b})
    ai = RNG.integers(-20, 20, size=(4, 3)).astype(np.int64)
    bi = RNG.integers(1, 5, size=(3,)).astype(np.int64)
    for op in ["Add", "Sub", "Mul", "Div"]:
        write_case(f"binary_{op}_int64", model([node(op, ["a", "b"], ["y"])], {"a": ai, "b": bi},
                                               [("y", TP.INT64)]), {"a": ai, "b": bi})
    a, b = f32(4, 3), f32(3)
    for op in ["Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual"]:
        bb = a[1] if op.startswith("Equal") or "Or" in op else b
        write_case(f"compare_{op}", model([node(op, ["a", "b"], ["y"])], {"a": a, "b": bb},
                                          [("y", TP.BOOL)]), {"a": a, "b": bb})
    pa = np.abs(f32(4, 3)) + 0.5
    write_case("binary_Pow", model([node("Pow", ["a", "b"], ["y"])], {"a": pa, "b": b},
                                   [("y", TP.FLOAT)]), {"a": pa, "b": b})
    c1, c2, c3 = f32(4, 3), f32(3), f32(4, 1)
    for op in ["Sum", "Max", "Min", "Mean"]:
        write_case(f"variadic_{op}", model([node(op, ["a", "b", "c"], ["y"])],
                                           {"a": c1, "b": c2, "c": c3}, [("y", TP.FLOAT)]),
                   {"a": c1, "b": c2, "c": c3})
    cond = a > 0
    write_case("where", model([node("Where", ["c", "a", "b"], ["y"])],
                              {"c": cond, "a": a, "b": b}, [("y", TP.FLOAT)]),
               {"c": cond, "a": a, "b": b})
    s = np.array([["a"], ["b"], ["c"]], dtype=object)
    m = model([node("Equal", ["s", "k"], ["y"])], {"s": s}, [("y", TP.BOOL)],
              [init("k", np.array(["b"], dtype=object))], opset=19, ir=9)
    write_case("compare_Equal_string", m, {"s": s})
    x = f32(5, 4) * 3
    write_case("clip_11", model([node("Clip", ["x", "lo", "hi"], ["y"])], {"x": x},
                                [("y", TP.FLOAT)], [init("lo", np.float32(-1)),
                                                    init("hi", np.float32(2))]), {"x": x})
    write_case("clip_min_only", model([node("Clip", ["x", "lo"], ["y"])], {"x": x},
                                      [("y", TP.FLOAT)], [init("lo", np.float32(0))]), {"x": x})
    write_case("clip_6", model([node("Clip", ["x"], ["y"], min=-0.5, max=0.5)], {"x": x},
                               [("y", TP.FLOAT)], opset=10), {"x": x})


def shape_cases():
    x = f32(3, 4, 2)
    cases = {
        "concat_axis1": ([node("Concat", ["a", "b"], ["y"], axis=1)],
                         {"a": f32(3, 2), "b": f32(3, 1)}, []),
        "concat_neg_axis": ([node("Concat", ["a", "b"], ["y"], axis=-1)],
                            {"a": f32(3, 2), "b": f32(3, 3)}, []),
        "reshape": ([node("Reshape", ["x", "s"], ["y"])], {"x": x},
                    [init("s", np.array([-1, 8], dtype=np.int64))]),
        "reshape_zero": ([node("Reshape", ["x", "s"], ["y"])], {"x": x},
                         [init("s", np.array([0, -1], dtype=np.int64))]),
        "flatten": ([node("Flatten", ["x"], ["y"], axis=2)], {"x": x}, []),
        "transpose": ([node("Transpose", ["x"], ["y"], perm=[2, 0, 1])], {"x": x}, []),
        "transpose_default": ([node("Transpose", ["x"], ["y"])], {"x": x}, []),
        "gather_axis1": ([node("Gather", ["x", "i"], ["y"], axis=1)], {"x": x},
                         [init("i", np.array([[3, 0], [-1, 1]], dtype=np.int64))]),
        "gather_axis0": ([node("Gather", ["x", "i"], ["y"], axis=0)], {"x": x},
                         [init("i", np.array(1, dtype=np.int64))]),
        "slice": ([node("Slice", ["x", "s", "e", "a", "t"], ["y"])], {"x": x},
                  [init("s", np.array([1, -1], dtype=np.int64)),
                   init("e", np.array([4, -100], dtype=np.int64)),
                   init("a", np.array([1, 2], dtype=np.int64)),
                   init("t", np.array([2, -1], dtype=np.int64))]),
        "slice_defaults": ([node("Slice", ["x", "s", "e"], ["y"])], {"x": x},
                           [init("s", np.array([0, 1], dtype=np.int64)),
                            init("e", np.array([100, 3], dtype=np.int64))]),
        "squeeze": ([node("Squeeze", ["x", "a"], ["y"])], {"x": f32(3, 1, 2)},
                    [init("a", np.array([1], dtype=np.int64))]),
        "unsqueeze": ([node("Unsqueeze", ["x", "a"], ["y"])], {"x": f32(3, 2)},
                      [init("a", np.array([0, -1], dtype=np.int64))]),
        "shape_then_gather": ([node("Shape", ["x"], ["s"]),
                               node("Gather", ["s", "i"], ["g"], axis=0),
                               node("Unsqueeze", ["g", "z"], ["u"]),
                               node("Concat", ["u", "m"], ["t"], axis=0),
                               node("Reshape", ["x", "t"], ["y"])], {"x": x},
                              [init("i", np.array(0, dtype=np.int64)),
                               init("z", np.array([0], dtype=np.int64)),
                               init("m", np.array([-1], dtype=np.int64))]),
        "argmax": ([node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)], {"x": f32(5, 4)}, []),
        "argmax_keep": ([node("ArgMax", ["x"], ["y"], axis=-1)], {"x": f32(5, 4)}, []),
        "reducesum_13": ([node("ReduceSum", ["x", "a"], ["y"], keepdims=0)], {"x": x},
                         [init("a", np.array([1], dtype=np.int64))]),
        "reducesum_all": ([node("ReduceSum", ["x"], ["y"])], {"x": x}, []),
        "reducemean_17": ([node("ReduceMean", ["x"], ["y"], axes=[0, 2])], {"x": x}, []),
        "reducemax_17": ([node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0)], {"x": x}, []),
    }
    for name, (nodes, inputs, inits) in cases.items():
        otype = TP.INT64 if "argmax" in name else TP.FLOAT
        write_case("shape_" + name, model(nodes, inputs, [("y", otype)], inits), inputs)
    for k, (sizes, outs) in enumerate([([1, 3], 2), (None, 2)]):
        ins = ["x"] + (["sp"] if sizes else [])
        inits = [init("sp", np.array(sizes, dtype=np.int64))] if sizes else []
        outputs = [f"y{j}" for j in range(outs)]
        write_case(f"shape_split_{k}", model([node("Split", ins, outputs, axis=1)],
                                             {"x": f32(3, 4)},
                                             [(o, TP.FLOAT) for o in outputs], inits),
                   {"x": f32(3, 4)})
    outputs = ["y0", "y1", "y2"]
    xs = f32(2, 7)
    write_case("shape_split_18", model([node("Split", ["x"], outputs, axis=1, num_outputs=3)],
                                       {"x": xs}, [(o, TP.FLOAT) for o in outputs], opset=18,
                                       ir=8), {"x": xs})
    write_case("shape_reducemean_18", model([node("ReduceMean", ["x", "a"], ["y"])], {"x": x},
                                            [("y", TP.FLOAT)],
                                            [init("a", np.array([-1], dtype=np.int64))],
                                            opset=18), {"x": x})
    s = np.array([["a", "b"], ["c", "d"]], dtype=object)
    write_case("shape_gather_string", model([node("Gather", ["s", "i"], ["y"], axis=1)], {"s": s},
                                            [("y", TP.STRING)],
                                            [init("i", np.array([1], dtype=np.int64))]), {"s": s})
    write_case("shape_concat_string", model([node("Concat", ["s", "t"], ["y"], axis=1)],
                                            {"s": s, "t": s}, [("y", TP.STRING)]),
               {"s": s, "t": s})


def cast_cases():
    x = np.array([[1.7, -2.5, 0.0], [3.2, 1e10, -7.9]], dtype=np.float32)
    for to, otype in [(TP.INT64, TP.INT64), (TP.DOUBLE, TP.DOUBLE), (TP.BOOL, TP.BOOL),
                      (TP.INT32, TP.INT32)]:
        xx = x if to != TP.INT32 else np.clip(x, -100, 100)
        write_case(f"cast_float_to_{NAMES[to]}", model([node("Cast", ["x"], ["y"], to=to)],
                                                       {"x": xx}, [("y", otype)]), {"x": xx})
    i = np.array([[1, -2], [3, 40000000000]], dtype=np.int64)
    write_case("cast_int64_to_float", model([node("Cast", ["x"], ["y"], to=TP.FLOAT)], {"x": i},
                                            [("y", TP.FLOAT)]), {"x": i})
    s = np.array([["1.5"], ["-2"], ["3e2"]], dtype=object)
    write_case("cast_string_to_float", model([node("Cast", ["x"], ["y"], to=TP.FLOAT)], {"x": s},
                                             [("y", TP.FLOAT)]), {"x": s})
    write_case("cast_string_to_int64", model([node("Cast", ["x"], ["y"], to=TP.INT64)],
                                             {"x": np.array([["12"], ["-3"]], dtype=object)},
                                             [("y", TP.INT64)]),
               {"x": np.array([["12"], ["-3"]], dtype=object)})
    write_case("cast_int64_to_string", model([node("Cast", ["x"], ["y"], to=TP.STRING)],
                                             {"x": i}, [("y", TP.STRING)]), {"x": i})
    x2 = f32(3, 2)
    write_case("identity_dropout", model([node("Identity", ["x"], ["a"]),
                                          node("Dropout", ["a"], ["y"])], {"x": x2},
                                         [("y", TP.FLOAT)]), {"x": x2})
    write_case("constant_nodes", model([
        node("Constant", [], ["c"], value=numpy_helper.from_array(f32(2), "v")),
        node("Constant", [], ["k"], value_float=2.0),
        node("Mul", ["x", "c"], ["m"]), node("Add", ["m", "k"], ["y"])], {"x": x2},
        [("y", TP.FLOAT)]), {"x": x2})
    write_case("constant_of_shape", model([
        node("Shape", ["x"], ["s"]),
        node("ConstantOfShape", ["s"], ["z"],
             value=numpy_helper.from_array(np.array([0.5], dtype=np.float32), "v")),
        node("Add", ["x", "z"], ["y"])], {"x": x2}, [("y", TP.FLOAT)]), {"x": x2})


def network_cases():
    x = f32(37, 13)
    w1, b1 = f32(13, 64), f32(64)
    w2, b2 = f32(64, 32), f32(32)
    w3, b3 = f32(32, 3), f32(3)
    # The new exporter's form (opset 18): MatMul + Add per layer, Softmax at the end.
    nodes = [node("MatMul", ["x", "w1"], ["h1"]), node("Add", ["h1", "b1"], ["a1"]),
             node("Relu", ["a1"], ["r1"]), node("MatMul", ["r1", "w2"], ["h2"]),
             node("Add", ["h2", "b2"], ["a2"]), node("Tanh", ["a2"], ["r2"]),
             node("MatMul", ["r2", "w3"], ["h3"]), node("Add", ["h3", "b3"], ["a3"]),
             node("Softmax", ["a3"], ["y"], axis=-1)]
    inits = [init(n, v) for n, v in
             [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("w3", w3), ("b3", b3)]]
    write_case("net_mlp_matmul_18", model(nodes, {"x": x}, [("y", TP.FLOAT)], inits, opset=18,
                                          ml=0, ir=10), {"x": x})
    # The legacy exporter's form (opset 17): Gemm with transB=1.
    nodes = [node("Gemm", ["x", "w1t", "b1"], ["h1"], transB=1), node("Relu", ["h1"], ["r1"]),
             node("Gemm", ["r1", "w2t", "b2"], ["h2"], transB=1), node("Sigmoid", ["h2"], ["r2"]),
             node("Gemm", ["r2", "w3t", "b3"], ["h3"], transB=1, alpha=0.5, beta=2.0),
             node("LogSoftmax", ["h3"], ["y"], axis=1)]
    inits = [init(n, v) for n, v in [("w1t", w1.T.copy()), ("b1", b1), ("w2t", w2.T.copy()),
                                     ("b2", b2), ("w3t", w3.T.copy()), ("b3", b3)]]
    write_case("net_mlp_gemm_17", model(nodes, {"x": x}, [("y", TP.FLOAT)], inits, ml=0),
               {"x": x})
    # The new exporter without its optimiser: Transpose of the weight, then MatMul + Add.
    nodes = [node("Transpose", ["w1t"], ["w1"], perm=[1, 0]), node("MatMul", ["x", "w1"], ["h"]),
             node("Add", ["h", "b1"], ["a"]), node("Relu", ["a"], ["y"])]
    write_case("net_transpose_matmul_18", model(nodes, {"x": x}, [("y", TP.FLOAT)],
                                                [init("w1t", w1.T.copy()), init("b1", b1)],
                                                opset=18, ml=0, ir=10), {"x": x})
    a, b = f32(2, 5, 4), f32(4, 3)
    write_case("net_matmul_3d", model([node("MatMul", ["a", "b"], ["y"])], {"a": a, "b": b},
                                      [("y", TP.FLOAT)]), {"a": a, "b": b})
    a, b = f32(2, 5, 4), f32(2, 4, 3)
    write_case("net_matmul_batched", model([node("MatMul", ["a", "b"], ["y"])],
                                           {"a": a, "b": b}, [("y", TP.FLOAT)]),
               {"a": a, "b": b})
    a, b = f32(6, 4), f32(4)
    write_case("net_matmul_vector", model([node("MatMul", ["a", "b"], ["y"])],
                                          {"a": a, "b": b}, [("y", TP.FLOAT)]), {"a": a, "b": b})
    gemm_in = {"a": f32(4, 6), "b": f32(4, 3), "c": f32(6, 1)}  # A transposed, C [M, 1]
    write_case("net_gemm_transA_matrixC", model([node("Gemm", ["a", "b", "c"], ["y"], transA=1)],
                                                gemm_in, [("y", TP.FLOAT)], dynamic_batch=False),
               gemm_in)
    xd = x.astype(np.float64)
    write_case("net_matmul_double", model([node("MatMul", ["x", "w"], ["y"])], {"x": xd},
                                          [("y", TP.DOUBLE)], [init("w", w1.astype(np.float64))]),
               {"x": xd})
    x4 = f32(6, 3, 4)
    write_case("net_softmax_12_axis1", model([node("Softmax", ["x"], ["y"])], {"x": x4},
                                             [("y", TP.FLOAT)], opset=12), {"x": x4})
    write_case("net_softmax_13_axis1", model([node("Softmax", ["x"], ["y"], axis=1)], {"x": x4},
                                             [("y", TP.FLOAT)], opset=13), {"x": x4})
    bn = [init("s", f32(3)), init("bb", f32(3)), init("m", f32(3)),
          init("v", np.abs(f32(3)) + 0.5)]
    write_case("net_batchnorm", model([node("BatchNormalization", ["x", "s", "bb", "m", "v"],
                                            ["y"], epsilon=1e-3)], {"x": x4}, [("y", TP.FLOAT)],
                                      bn), {"x": x4})


def ml_cases():
    ML = "ai.onnx.ml"
    x = f32(6, 3)
    x[1, 2] = np.nan
    write_case("ml_scaler", model([node("Scaler", ["x"], ["y"], ML, offset=[0.1, -0.2, 0.3],
                                        scale=[2.0, 0.5, 1.5])], {"x": x}, [("y", TP.FLOAT)]),
               {"x": x})
    xd = x.astype(np.float64)
    write_case("ml_scaler_double_one", model([node("Scaler", ["x"], ["y"], ML, offset=[1.0],
                                                   scale=[3.0])], {"x": xd}, [("y", TP.FLOAT)]),
               {"x": xd})
    write_case("ml_imputer", model([node("Imputer", ["x"], ["y"], ML,
                                         imputed_value_floats=[1.0, 2.0, 3.0],
                                         replaced_value_float=float("nan"))], {"x": x},
                                   [("y", TP.FLOAT)]), {"x": x})
    xi = np.array([[1, -1], [-1, 5]], dtype=np.int64)
    write_case("ml_imputer_int", model([node("Imputer", ["x"], ["y"], ML,
                                             imputed_value_int64s=[7],
                                             replaced_value_int64=-1)], {"x": xi},
                                       [("y", TP.INT64)]), {"x": xi})
    for norm in ["MAX", "L1", "L2"]:
        write_case("ml_normalizer_" + norm, model([node("Normalizer", ["x"], ["y"], ML,
                                                        norm=norm)], {"x": np.abs(f32(4, 3))},
                                                  [("y", TP.FLOAT)]), {"x": np.abs(f32(4, 3))})
    write_case("ml_binarizer", model([node("Binarizer", ["x"], ["y"], ML, threshold=0.2)],
                                     {"x": f32(4, 3)}, [("y", TP.FLOAT)]), {"x": f32(4, 3)})
    s = np.array([["red"], ["green"], ["blue"], ["pink"]], dtype=object)
    write_case("ml_onehot_strings", model([node("OneHotEncoder", ["x"], ["y"], ML,
                                                cats_strings=["blue", "green", "red"], zeros=1)],
                                          {"x": s}, [("y", TP.FLOAT)]), {"x": s})
    i = np.array([[3], [1], [9]], dtype=np.int64)
    write_case("ml_onehot_ints", model([node("OneHotEncoder", ["x"], ["y"], ML,
                                             cats_int64s=[1, 3, 5], zeros=1)], {"x": i},
                                       [("y", TP.FLOAT)]), {"x": i})
    a = f32(4, 5)
    write_case("ml_array_feature_extractor", model(
        [node("ArrayFeatureExtractor", ["x", "i"], ["y"], ML)], {"x": a}, [("y", TP.FLOAT)],
        [init("i", np.array([4, 0, 2], dtype=np.int64))]), {"x": a})
    write_case("ml_feature_vectorizer", model(
        [node("FeatureVectorizer", ["a", "b"], ["y"], ML, inputdimensions=[2, 3])],
        {"a": f32(4, 3), "b": f32(4, 2)}, [("y", TP.FLOAT)]),
        {"a": f32(4, 3), "b": f32(4, 2)})  # wider than its dimension: truncated; narrower: padded
    write_case("ml_label_encoder_2", model(
        [node("LabelEncoder", ["x"], ["y"], ML, keys_strings=["a", "b", "c"],
              values_int64s=[10, 20, 30], default_int64=-7)],
        {"x": np.array([["b"], ["z"], ["a"]], dtype=object)}, [("y", TP.INT64)], ml=2),
        {"x": np.array([["b"], ["z"], ["a"]], dtype=object)})
    write_case("ml_label_encoder_int_to_string", model(
        [node("LabelEncoder", ["x"], ["y"], ML, keys_int64s=[1, 2],
              values_strings=["one", "two"])],
        {"x": np.array([2, 3, 1], dtype=np.int64)}, [("y", TP.STRING)], ml=2),
        {"x": np.array([2, 3, 1], dtype=np.int64)})
    write_case("ml_label_encoder_float", model(
        [node("LabelEncoder", ["x"], ["y"], ML, keys_floats=[0.5, 1.5],
              values_floats=[5.0, 15.0], default_float=-1.0)],
        {"x": np.array([1.5, 0.5, 2.0], dtype=np.float32)}, [("y", TP.FLOAT)], ml=2),
        {"x": np.array([1.5, 0.5, 2.0], dtype=np.float32)})
    write_case("ml_label_encoder_4_tensor", model(
        [node("LabelEncoder", ["x"], ["y"], ML,
              keys_tensor=numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "k"),
              values_tensor=numpy_helper.from_array(np.array([0.25, 0.75]), "v"),
              default_tensor=numpy_helper.from_array(np.array([9.0]), "d"))],
        {"x": np.array([2, 5, 1], dtype=np.int64)}, [("y", TP.DOUBLE)], opset=18, ml=4, ir=9),
        {"x": np.array([2, 5, 1], dtype=np.int64)})
    names = np.array([["b"], ["q"], ["a"]], dtype=object)
    write_case("ml_label_encoder_1_to_index", model(
        [node("LabelEncoder", ["x"], ["y"], ML, classes_strings=["a", "b", "c"],
              default_int64=-5)], {"x": names}, [("y", TP.INT64)], ml=1), {"x": names})
    index = np.array([2, 7, 0], dtype=np.int64)
    write_case("ml_label_encoder_1_to_name", model(
        [node("LabelEncoder", ["x"], ["y"], ML, classes_strings=["a", "b", "c"],
              default_string="none")], {"x": index}, [("y", TP.STRING)], ml=1), {"x": index})
    write_case("ml_normalizer_double", model([node("Normalizer", ["x"], ["y"], ML, norm="L2")],
                                             {"x": xd}, [("y", TP.FLOAT)]), {"x": xd})
    # LinearClassifier: skl2onnx's binary form (doubled rows), multinomial, one-row binary.
    xl = f32(7, 3)
    coef = f32(3, 3).reshape(-1).tolist()
    for name, attrs, otype in [
        ("multi_softmax", dict(coefficients=coef, intercepts=[0.1, -0.2, 0.3],
                               classlabels_ints=[0, 1, 2], multi_class=1,
                               post_transform="SOFTMAX"), TP.INT64),
        ("binary_doubled", dict(coefficients=coef[:3] + [-c for c in coef[:3]],
                                intercepts=[0.2, -0.2], classlabels_strings=["no", "yes"],
                                post_transform="LOGISTIC"), TP.STRING),
        ("binary_single_row", dict(coefficients=coef[:3], intercepts=[0.2],
                                   classlabels_ints=[3, 9], post_transform="LOGISTIC"),
         TP.INT64),
        ("ovr_none", dict(coefficients=coef, intercepts=[0.1, -0.2, 0.3],
                          classlabels_ints=[5, 6, 7]), TP.INT64),
    ]:
        write_case("ml_linear_classifier_" + name, model(
            [node("LinearClassifier", ["x"], ["label", "scores"], ML, **attrs)], {"x": xl},
            [("label", otype), ("scores", TP.FLOAT)]), {"x": xl})
    write_case("ml_linear_regressor", model(
        [node("LinearRegressor", ["x"], ["y"], ML, coefficients=coef[:6], intercepts=[1.0, 2.0],
              targets=2)], {"x": xl}, [("y", TP.FLOAT)]), {"x": xl})
    write_case("ml_zipmap_ints", model(
        [node("LinearClassifier", ["x"], ["label", "scores"], ML, coefficients=coef,
              intercepts=[0.1, -0.2, 0.3], classlabels_ints=[0, 1, 2], post_transform="SOFTMAX"),
         node("Normalizer", ["scores"], ["n"], ML, norm="L1"),
         node("ZipMap", ["n"], ["probs"], ML, classlabels_int64s=[0, 1, 2])],
        {"x": xl}, [("label", TP.INT64), ("probs", "maps_int")]), {"x": xl})
    write_case("ml_zipmap_strings", model(
        [node("ZipMap", ["x"], ["probs"], ML, classlabels_strings=["a", "b", "c"])],
        {"x": xl}, [("probs", "maps_str")]), {"x": xl})


def pipeline_case():
    """skl2onnx's ColumnTransformer shape: one input per column, typed float/int64/string."""
    ML = "ai.onnx.ml"
    age = np.array([[31.0], [np.nan], [52.0], [18.0]], dtype=np.float32)
    count = np.array([[2], [0], [7], [1]], dtype=np.int64)
    city = np.array([["paris"], ["oslo"], ["rome"], ["lima"]], dtype=object)
    nodes = [
        node("Imputer", ["age"], ["age_i"], ML, imputed_value_floats=[40.0],
             replaced_value_float=float("nan")),
        node("Cast", ["count"], ["count_f"], to=TP.FLOAT),
        node("Concat", ["age_i", "count_f"], ["num"], axis=1),
        node("Scaler", ["num"], ["num_s"], ML, offset=[40.0, 2.5], scale=[0.1, 0.5]),
        node("OneHotEncoder", ["city"], ["city_oh"], ML, cats_strings=["oslo", "paris", "rome"],
             zeros=1),
        node("Reshape", ["city_oh", "shape"], ["city_2d"]),
        node("Concat", ["num_s", "city_2d"], ["features"], axis=1),
        node("LinearClassifier", ["features"], ["label", "scores"], ML,
             coefficients=f32(2, 5).reshape(-1).tolist(), intercepts=[0.3, -0.3],
             classlabels_ints=[0, 1], post_transform="LOGISTIC"),
        node("ZipMap", ["scores"], ["probabilities"], ML, classlabels_int64s=[0, 1]),
    ]
    inputs = {"age": age, "count": count, "city": city}
    write_case("pipeline_columns", model(nodes, inputs, [("label", TP.INT64),
                                                         ("probabilities", "maps_int")],
                                         [init("shape", np.array([-1, 3], dtype=np.int64))]),
               inputs)


def initializer_input_case():
    """An initializer also listed among the graph inputs (older exporters do it) is a constant."""
    x = f32(3, 2)
    m = model([node("Add", ["x", "w"], ["y"])], {"x": x}, [("y", TP.FLOAT)],
              [init("w", f32(2))])
    m.graph.input.append(helper.make_tensor_value_info("w", TP.FLOAT, [2]))
    write_case("initializer_listed_as_input", m, {"x": x})


def failing_case():
    x = f32(3, 2)
    write_case("broken_oracle", model([node("Relu", ["x"], ["y"])], {"x": x}, [("y", TP.FLOAT)]),
               {"x": x}, break_value=True)


def bad(name, m, expect, raw=None):
    path = os.path.join(OUT, "bad", name + ".onnx")
    if raw is not None:
        with open(path, "wb") as f:
            f.write(raw)
    else:
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
    with open(os.path.join(OUT, "bad", name + ".json"), "w") as f:
        json.dump({"expect": expect}, f)


def bad_cases():
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    x = f32(2, 2)
    bad("unsupported_op", model([node("Relu", ["x"], ["r"], name="act"),
                                 node("Hardmax", ["r"], ["y"], name="head")], {"x": x},
                                [("y", TP.FLOAT)]),
        ["'head'", "Hardmax", "ai.onnx", "opset 17"])
    bad("unsupported_domain", model([node("Foo", ["x"], ["y"], domain="com.acme", name="n")],
                                    {"x": x}, [("y", TP.FLOAT)], domains=["com.acme"]),
        ["'n'", "Foo", "com.acme", "opset 1"])
    m = model([node("Relu", ["x"], ["y"], name="r")], {"x": x}, [("y", TP.FLOAT)], opset=30,
              ir=10)
    bad("opset_too_new", m, ["'r'", "Relu", "opset 30"])
    bad("ml_opset_too_new", model([node("Scaler", ["x"], ["y"], "ai.onnx.ml", name="s",
                                        scale=[1.0])], {"x": x}, [("y", TP.FLOAT)], ml=9, ir=10),
        ["'s'", "Scaler", "ai.onnx.ml", "opset 9"])
    cyc = model([node("Add", ["x", "b"], ["a"], name="first"),
                 node("Relu", ["a"], ["b"], name="second"),
                 node("Identity", ["a"], ["y"], name="out")], {"x": x}, [("y", TP.FLOAT)],
                opset=18, ir=10)  # opset 18: past libonnx's checker, our own pass must see it
    bad("cycle", cyc, ["cycle", "'first'"])
    undef = model([node("Add", ["x", "ghost"], ["y"], name="adder")], {"x": x},
                  [("y", TP.FLOAT)], opset=18, ir=10)
    bad("undefined_input", undef, ["'adder'", "'ghost'"])
    good = model([node("Relu", ["x"], ["y"])], {"x": x}, [("y", TP.FLOAT)]).SerializeToString()
    bad("truncated", None, ["truncated or corrupt"], raw=good[: len(good) // 2])
    bad("garbage", None, ["truncated or corrupt"], raw=b"\xff\xfe not protobuf at all \x00\x01")
    bad("empty", None, ["empty"], raw=b"")
    ext = model([node("Add", ["x", "w"], ["y"])], {"x": x}, [("y", TP.FLOAT)],
                [init("w", np.ones((2, 2), dtype=np.float32))])
    from onnx.external_data_helper import convert_model_to_external_data
    convert_model_to_external_data(ext, all_tensors_to_one_file=True, location="weights.bin",
                                   size_threshold=0)
    bad("missing_external_data", ext, ["weights.bin", "missing"])
    half = helper.make_graph([node("Cast", ["x"], ["y"], to=TP.FLOAT)], "half",
                             [helper.make_tensor_value_info("x", TP.FLOAT16, ["N", 2])],
                             [helper.make_tensor_value_info("y", TP.FLOAT, None)])
    bad("float16_input", helper.make_model(half, opset_imports=[helper.make_opsetid("", 17)],
                                           ir_version=8), ["input 'x'", "float16", "float, double"])
    bad("bad_attribute", model([node("LinearClassifier", ["x"], ["l", "y"], "ai.onnx.ml",
                                     name="lin", coefficients=[1.0, 2.0, 3.0],
                                     intercepts=[0.0, 1.0], classlabels_ints=[0, 1])],
                               {"x": x}, [("l", TP.INT64), ("y", TP.FLOAT)]),
        ["'lin'", "LinearClassifier", "coefficients"])
    bad("cast_to_float16", model([node("Cast", ["x"], ["y"], to=TP.FLOAT16, name="c")], {"x": x},
                                 [("y", TP.FLOAT16)]), ["'c'", "Cast", "float16"])


def external_data_case():
    """A model whose initializer lives in a side file next to it (present this time)."""
    from onnx.external_data_helper import convert_model_to_external_data
    x = f32(3, 2)
    w = f32(2, 4)
    m = model([node("MatMul", ["x", "w"], ["y"])], {"x": x}, [("y", TP.FLOAT)], [init("w", w)])
    convert_model_to_external_data(m, all_tensors_to_one_file=True, location="ext_weights.bin",
                                   size_threshold=0)
    write_case("external_data", m, {"x": x})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    unary_cases()
    binary_cases()
    shape_cases()
    cast_cases()
    network_cases()
    ml_cases()
    pipeline_case()
    external_data_case()
    initializer_input_case()
    failing_case()
    bad_cases()
