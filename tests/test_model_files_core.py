"""Model files through the compiled core: round trips, safetensors and PyTorch interop, hostile files."""

import hashlib
import json
import os
import struct

import numpy as np
import pytest

import densenn as dn
from densenn import _core

safetensors_numpy = pytest.importorskip(
    "safetensors.numpy", reason="the safetensors package is not installed"
)

SUFFIX = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}


def core_layers(dtype):
    """One layer of every kind, sizes chaining 4 -> 3 -> 3 -> 5 -> 2."""
    s = SUFFIX[np.dtype(dtype)]
    dense = getattr(_core, f"Dense_{s}")
    first = dense(4, 3, seed=1)
    first.bias[:] = [0.5, -0.25, 0.125]
    return [
        first,
        getattr(_core, f"ReLU_{s}")(),
        dense(3, 3, seed=2, init="xavier"),
        getattr(_core, f"LeakyReLU_{s}")(0.3),
        getattr(_core, f"Sigmoid_{s}")(),
        dense(3, 5, seed=3, bias=False),
        getattr(_core, f"Tanh_{s}")(),
        dense(5, 2, seed=4),
        getattr(_core, f"Softmax_{s}")(),
    ]


def run(layers, x):
    for layer in layers:
        x = layer.forward(x, False)
    return x


def write_raw(path, header, data=b"", declared=None):
    """A safetensors file by hand: any header text, any declared length."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if declared is None else declared) + text + data)


def layer_order_digest(tensors, names):
    """The documented digest: SHA-256 of the tensors' bytes in layer order."""
    return hashlib.sha256(b"".join(np.ascontiguousarray(tensors[n]).tobytes() for n in names)).hexdigest()


def test_round_trip_is_bitwise(tmp_path, dtype):
    layers = core_layers(dtype)
    path = str(tmp_path / "model.safetensors")
    _core.save_model(layers, path)
    name, loaded, warnings = _core.load_model(path)
    assert name == SUFFIX[dtype] and warnings == []
    assert [type(a).__name__ for a in loaded] == [type(b).__name__ for b in layers]
    for a, b in zip(layers, loaded):
        if a.kind == "dense":
            assert b.weight.dtype == dtype and np.array_equal(a.weight, b.weight)
            assert (a.bias is None and b.bias is None) or np.array_equal(a.bias, b.bias)
    assert loaded[3].negative_slope == layers[3].negative_slope
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(dtype)
    assert np.array_equal(run(layers, x), run(loaded, x))


def test_file_contents(tmp_path):
    layers = core_layers(np.float32)
    path = tmp_path / "model.safetensors"
    _core.save_model(layers, str(path))
    metadata, tensors = _core.read_safetensors(str(path))
    assert list(tensors) == ["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "7.weight", "7.bias"]
    assert np.array_equal(tensors["5.weight"], layers[5].weight) and tensors["0.bias"].dtype == np.float32
    assert metadata["format"] == "pt" and metadata["densenn.dtype"] == "float32"
    arch = json.loads(metadata["densenn.architecture"])
    assert arch[0] == {"kind": "dense", "in_features": 4, "out_features": 3, "bias": True}
    assert [a["kind"] for a in arch[1:5]] == ["relu", "dense", "leaky_relu", "sigmoid"]
    assert np.float32(arch[3]["negative_slope"]) == np.float32(0.3)
    assert metadata["densenn.digest"] == layer_order_digest(tensors, list(tensors))
    check_in = np.array(json.loads(metadata["densenn.check_input"]), np.float32)
    check_out = np.array(json.loads(metadata["densenn.check_output"]), np.float32)
    assert check_in.shape == (2, 4) and np.all(np.abs(check_in) <= 1)
    assert np.array_equal(run(layers, check_in), check_out)
    # The reference reader agrees on every byte.
    reference = safetensors_numpy.load_file(str(path))
    assert reference.keys() == tensors.keys()
    assert all(np.array_equal(reference[k], tensors[k]) for k in tensors)


def test_reads_files_of_the_safetensors_package(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {
        "a": rng.normal(size=(3, 5)).astype(np.float32),
        "b": rng.normal(size=(7,)),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 4), np.float32),
    }
    path = str(tmp_path / "plain.safetensors")
    safetensors_numpy.save_file(arrays, path, metadata={"author": "é ✓", "k": "v"})
    metadata, tensors = _core.read_safetensors(path)
    assert metadata == {"author": "é ✓", "k": "v"}
    assert tensors.keys() == arrays.keys()
    for k, v in arrays.items():
        assert tensors[k].dtype == v.dtype and tensors[k].shape == v.shape and np.array_equal(tensors[k], v)
    with pytest.raises(ValueError, match="not a densenn model file"):
        _core.load_model(path)
    safetensors_numpy.save_file({"h": np.ones(3, np.float16)}, path)
    with pytest.raises(ValueError, match="has dtype F16"):
        _core.read_safetensors(path)


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_torch_loads_densenn_files(tmp_path, torch, dtype_name):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    dtype = np.dtype(dtype_name)
    dense = getattr(_core, f"Dense_{dtype_name}")
    layers = [dense(4, 8, seed=0), getattr(_core, f"ReLU_{dtype_name}")(), dense(8, 3, seed=1)]
    path = str(tmp_path / "model.safetensors")
    _core.save_model(layers, path)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(tdtype)
    net.load_state_dict(safetensors_torch.load_file(path))  # strict: exactly these keys and shapes
    x = np.random.default_rng(2).normal(size=(6, 4)).astype(dtype)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(run(layers, x), expected, rtol=tol, atol=tol)


def test_files_rewritten_by_another_tool(tmp_path, torch):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = str(tmp_path / "model.safetensors")
    layers = core_layers(np.float64)
    _core.save_model(layers, path)
    metadata, _ = _core.read_safetensors(path)
    state = safetensors_torch.load_file(path)
    # Same tensors in the other tool's byte layout: the digest still matches and the check passes.
    safetensors_torch.save_file(state, path, metadata=metadata)
    assert _core.load_model(path)[2] == []
    # New weights under the old metadata: they load, with a warning that the check was skipped.
    state["7.bias"] += 1.0
    safetensors_torch.save_file(state, path, metadata=metadata)
    _, loaded, warnings = _core.load_model(path)
    assert len(warnings) == 1 and "tensors changed since the file was written" in warnings[0]
    assert np.array_equal(loaded[7].bias, layers[7].bias + 1.0)


def test_self_check_catches_a_transposed_weight(tmp_path):
    path = str(tmp_path / "model.safetensors")
    _core.save_model(
        [_core.Dense_float32(3, 3, seed=5), _core.Tanh_float32(), _core.Dense_float32(3, 2, seed=6)], path
    )
    metadata, tensors = _core.read_safetensors(path)
    tensors["0.weight"] = np.ascontiguousarray(tensors["0.weight"].T)
    metadata["densenn.digest"] = layer_order_digest(tensors, list(tensors))
    safetensors_numpy.save_file(tensors, path, metadata=metadata)
    with pytest.raises(ValueError, match="self-check failed"):
        _core.load_model(path)
    _, loaded, warnings = _core.load_model(path, verify=False)
    assert warnings == [] and np.array_equal(loaded[0].weight, tensors["0.weight"])


TENSOR = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
HOSTILE = {
    "empty file": (b"", b"", None, "shorter than the 8-byte header length"),
    "header beyond the file": ({"t": TENSOR}, bytes(8), 10**6, "runs past the end"),
    "header over 100 MB": ({}, b"", 2**63, "exceeds the 100 MB limit"),
    "malformed JSON": (b'{"t": {"dtype"', b"", None, "invalid JSON"),
    "non-UTF-8 JSON": (b'{"\xff": 1}', b"", None, "invalid UTF-8"),
    "duplicate names": (b'{"t": {}, "t": {}}', b"", None, "duplicate key"),
    "shape vs bytes": ({"t": {**TENSOR, "shape": [3]}}, bytes(8), None, "needs 12 bytes"),
    "out of range": ({"t": {**TENSOR, "data_offsets": [0, 8]}}, bytes(4), None, "beyond the data section"),
    "overlap": ({"t": TENSOR, "u": {**TENSOR, "data_offsets": [4, 12]}}, bytes(12), None, "overlap"),
    "bytes after the last tensor": ({"t": TENSOR}, bytes(12), None, "cover 8 bytes"),
    "unknown dtype": ({"t": {**TENSOR, "dtype": "Q7"}}, bytes(8), None, "unknown dtype"),
    "huge shape": ({"t": {**TENSOR, "shape": [2**40, 2**40]}}, bytes(8), None, "too large"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_files_raise_value_error(tmp_path, case):
    header, data, declared, message = HOSTILE[case]
    path = tmp_path / "bad.safetensors"
    if header == b"":
        path.write_bytes(b"")
    else:
        write_raw(path, header, data, declared)
    with pytest.raises(ValueError, match=message):
        _core.load_model(str(path))
    with pytest.raises(ValueError):
        _core.read_safetensors(str(path))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_after_its_first_bytes(device):
    # Only what the header announces is read: an endless stream is refused, not read to its end.
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(ValueError, match="safetensors header"):
        _core.read_safetensors(device)
    with pytest.raises(ValueError):
        dn.load(device)


def test_every_truncation_raises_value_error(tmp_path):
    path = tmp_path / "model.safetensors"
    _core.save_model(core_layers(np.float32), str(path))
    good = path.read_bytes()
    for n in range(0, len(good), 7):
        path.write_bytes(good[:n])
        with pytest.raises(ValueError):
            _core.load_model(str(path))


def test_architecture_disagreeing_with_tensors(tmp_path):
    path = str(tmp_path / "model.safetensors")
    _core.save_model([_core.Dense_float32(4, 3, seed=0)], path)
    metadata, tensors = _core.read_safetensors(path)
    metadata["densenn.architecture"] = (
        '[{"kind": "dense", "in_features": 3, "out_features": 4, "bias": true}]'
    )
    safetensors_numpy.save_file(tensors, path, metadata=metadata)
    with pytest.raises(ValueError, match="shape that disagrees with the architecture"):
        _core.load_model(path)


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        _core.load_model(str(tmp_path / "missing.safetensors"))
    with pytest.raises(FileNotFoundError):
        _core.read_safetensors(str(tmp_path / "missing.safetensors"))
    with pytest.raises(FileNotFoundError):
        _core.save_model([_core.ReLU_float32()], str(tmp_path / "no_dir" / "m.safetensors"))
    with pytest.raises(IsADirectoryError):
        _core.load_model(str(tmp_path))


def test_save_refuses_mixed_dtypes_and_unchained_sizes(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(TypeError, match="one dtype"):
        _core.save_model([_core.Dense_float32(2, 2, seed=0), _core.ReLU_float64()], str(path))
    with pytest.raises(ValueError, match="expects 3 input features"):
        _core.save_model([_core.Dense_float32(2, 2, seed=0), _core.Dense_float32(3, 2, seed=0)], str(path))
    assert not path.exists()
