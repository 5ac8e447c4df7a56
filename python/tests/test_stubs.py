"""plinth/_plinth.pyi (hand-written, shipped in the wheel) names the functions, methods and
parameters the extension module has, as nanobind's stub generator reads them off the module."""

import ast
import subprocess
import sys
from pathlib import Path

import plinth

STUBS = Path(plinth.__file__).parent / "_plinth.pyi"


def signatures(source):
    """{"drift": ["reference", ...], "Model.predict_stream": ["self", ...], ...}"""
    out = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.FunctionDef):
                out[prefix + node.name] = [a.arg for a in node.args.args]
            elif isinstance(node, ast.ClassDef):
                visit(node.body, node.name + ".")

    visit(ast.parse(source).body, "")
    return out


def test_stubs_match_the_module(tmp_path):
    generated = tmp_path / "generated.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "plinth._plinth", "-o",
                    generated], check=True, capture_output=True)
    expected = signatures(generated.read_text())
    assert "drift" in expected and "Model.predict_stream" in expected
    assert signatures(STUBS.read_text()) == expected
