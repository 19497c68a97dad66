"""Model files through the public API: model.save / dn.load, PyTorch interop, the self-check, bad files."""

import hashlib
import json
import os
import struct
import warnings

import numpy as np
import pytest

import densenn as dn

safetensors_numpy = pytest.importorskip(
    "safetensors.numpy", reason="the safetensors package is not installed"
)


def every_kind(dtype=np.float32):
    return dn.Sequential(
        dn.Dense(5, 7, dtype=dtype, seed=1), dn.ReLU(),
        dn.Dense(7, 6, dtype=dtype, seed=2, init="xavier"), dn.LeakyReLU(0.3), dn.Sigmoid(),
        dn.Dense(6, 4, dtype=dtype, seed=3, bias=False), dn.Tanh(),
        dn.Dense(4, 3, dtype=dtype, seed=4), dn.Softmax(),
    )  # fmt: skip


def x_for(model, rows=6):
    return np.random.default_rng(7).normal(size=(rows, model.in_features))


def read_file(path):
    """(header dict, data bytes) of a safetensors file."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def write_file(path, header, data):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def test_save_and_load_round_trip_bitwise(tmp_path, dtype):
    model = every_kind(dtype)
    model[0].bias[:] = np.linspace(-1, 1, 7)
    path = tmp_path / "model.safetensors"
    model.save(path)  # a pathlib.Path works as well as a str
    loaded = dn.load(str(path))
    assert isinstance(loaded, dn.Sequential) and loaded.dtype == dtype
    assert [type(a) for a in loaded] == [type(b) for b in model]
    assert loaded[3].negative_slope == 0.3 and loaded[5].bias is None  # exactly: the slope as written
    assert [k for k, _ in loaded.named_parameters()] == [k for k, _ in model.named_parameters()]
    assert all(a.tobytes() == b.tobytes() for a, b in zip(loaded.parameters(), model.parameters()))
    x = x_for(model)
    assert loaded.predict(x).tobytes() == model.predict(x).tobytes()


def test_file_holds_torch_keys_and_readable_architecture(tmp_path):
    model = every_kind()
    model.save(tmp_path / "m.safetensors")
    header, _ = read_file(tmp_path / "m.safetensors")
    meta = header.pop("__metadata__")
    assert sorted(header) == sorted(k for k, _ in model.named_parameters())
    assert header["0.weight"]["shape"] == [7, 5] and header["0.weight"]["dtype"] == "F32"
    kinds = [layer["kind"] for layer in json.loads(meta["densenn.architecture"])]
    assert kinds == ["dense", "relu", "dense", "leaky_relu", "sigmoid", "dense", "tanh", "dense", "softmax"]
    # A float32 model's slope in its own shortest words: 0.3, not 0.30000001192092896.
    assert '{"kind":"leaky_relu","negative_slope":0.3}' in meta["densenn.architecture"]
    assert meta["densenn.version"] == dn.__version__ and meta["densenn.dtype"] == "float32"
    tensors = safetensors_numpy.load_file(str(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(tensors["2.weight"], model[2].weight)


def test_torch_reads_the_file_as_it_is(tmp_path, torch):
    import safetensors.torch

    model = dn.Sequential(
        dn.Dense(5, 8, seed=0, dtype=np.float64), dn.Tanh(), dn.Dense(8, 2, seed=1, dtype=np.float64)
    )
    model.save(tmp_path / "m.safetensors")
    twin = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    twin.load_state_dict(safetensors.torch.load_file(str(tmp_path / "m.safetensors")))  # strict
    x = x_for(model)
    np.testing.assert_allclose(
        twin(torch.from_numpy(x)).detach().numpy(), model.predict(x), rtol=1e-12, atol=1e-12
    )


def test_to_torch_and_from_torch(torch):
    model = every_kind(np.float64)
    x = x_for(model)
    module = model.to_torch()
    np.testing.assert_allclose(
        module(torch.from_numpy(x)).detach().numpy(), model.predict(x), rtol=1e-12, atol=1e-12
    )
    back = dn.from_torch(module)
    assert back.dtype == np.float64 and back.predict(x).tobytes() == model.predict(x).tobytes()
    with pytest.raises(TypeError, match="no densenn counterpart"):
        dn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nested_sequentials_convert_to_and_from_torch(torch, dtype):
    inner = dn.Sequential(dn.Dense(4, 5, seed=0, dtype=dtype), dn.Tanh())
    model = dn.Sequential(inner, dn.Dense(5, 3, seed=1, dtype=dtype), dn.Sequential(dn.Softmax()))
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(dtype)
    module = model.to_torch()
    assert isinstance(module[0], torch.nn.Sequential)
    assert (
        list(module.state_dict())
        == list(model.state_dict())
        == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    )
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), model.predict(x), rtol=1e-6)
    back = dn.from_torch(module)
    assert isinstance(back[0], dn.Sequential) and back.dtype == dtype
    assert back.predict(x).tobytes() == model.predict(x).tobytes()


def test_tensors_changed_by_another_tool_load_with_a_warning(tmp_path):
    model = every_kind()
    path = tmp_path / "m.safetensors"
    model.save(path)
    header, data = read_file(path)
    tensors = safetensors_numpy.load_file(str(path))
    tensors["0.weight"] = tensors["0.weight"] * 2
    safetensors_numpy.save_file(tensors, str(path), metadata=header["__metadata__"])
    with pytest.warns(dn.ModelFileWarning, match="self-check"):
        loaded = dn.load(path)
    np.testing.assert_array_equal(loaded[0].weight, model[0].weight * 2)  # the new weights load


def test_self_check_refuses_a_file_that_predicts_otherwise(tmp_path):
    model = dn.Sequential(dn.Dense(4, 4, seed=0), dn.ReLU(), dn.Dense(4, 2, seed=1))
    path = tmp_path / "m.safetensors"
    model.save(path)
    header, data = read_file(path)
    begin, end = header["0.weight"]["data_offsets"]
    transposed = np.frombuffer(data[begin:end], np.float32).reshape(4, 4).T.tobytes()
    data = data[:begin] + transposed + data[end:]
    names = [k for k, _ in model.named_parameters()]
    tensors = {k: data[slice(*header[k]["data_offsets"])] for k in names}
    header["__metadata__"]["densenn.digest"] = hashlib.sha256(b"".join(tensors[k] for k in names)).hexdigest()
    write_file(path, header, data)
    with pytest.raises(ValueError, match="self-check"):
        dn.load(path)
    loaded = dn.load(path, verify=False)  # the check skipped on request: the file's weights load
    np.testing.assert_array_equal(loaded[0].weight, model[0].weight.T)


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        dn.load(tmp_path / "missing.safetensors")
    with pytest.raises(OSError):
        dn.load(tmp_path)
    safetensors_numpy.save_file(
        {"0.weight": np.ones((2, 2), np.float32)}, str(tmp_path / "plain.safetensors")
    )
    with pytest.raises(ValueError, match="densenn"):
        dn.load(tmp_path / "plain.safetensors")
    every_kind().save(tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    for cut in (0, 7, 8, 100, len(raw) // 2, len(raw) - 1):
        (tmp_path / "cut.safetensors").write_bytes(raw[:cut])
        with pytest.raises(ValueError):
            dn.load(tmp_path / "cut.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(ValueError):
        dn.load(tmp_path / "junk.safetensors")


def test_only_built_in_layers_can_be_saved(tmp_path):
    class Identity:
        def forward(self, x):
            return x

        def backward(self, g):
            return g

    with pytest.raises(TypeError, match="can be saved"):
        dn.Sequential(dn.Dense(2, 2, seed=0), Identity()).save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_a_loaded_model_trains_like_the_original(tmp_path):
    model = every_kind(np.float64)
    model.save(tmp_path / "m.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fresh file loads without warnings
        loaded = dn.load(tmp_path / "m.safetensors")
    x, y = x_for(model), np.array([0, 1, 2, 0, 1, 2])
    for net in (model, loaded):
        net.train_step(x, y, dn.SoftmaxCrossEntropyLoss(), 0.1)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(loaded.parameters(), model.parameters()))


def test_a_path_with_a_null_byte_is_refused(tmp_path):
    # fopen would stop at the NUL and use another file: refused instead, as open() refuses it.
    model = dn.Sequential(dn.Dense(2, 2, seed=0))
    with pytest.raises(ValueError, match="null byte"):
        model.save(str(tmp_path / "m.safetensors") + "\0.bak")
    assert not (tmp_path / "m.safetensors").exists()
    model.save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError):
        dn.load(str(tmp_path / "m.safetensors") + "\0ignored")


def test_a_bytes_path_saves_and_loads(tmp_path):
    model = dn.Sequential(dn.Dense(3, 2, seed=0), dn.ReLU())
    path = os.fsencode(tmp_path / "m.safetensors")
    model.save(path)
    loaded = dn.load(path)
    assert loaded[0].weight.tobytes() == model[0].weight.tobytes()
    with pytest.raises(ValueError, match="null byte"):
        dn.load(path + b"\0ignored")


def test_conversions_refuse_modules_and_layers_that_compute_in_their_own_way(torch):
    # A subclass with its own forward (or a forward hook) computes something else than its base
    # class: converting it as the base would silently change the model.
    nn = torch.nn

    class Residual(nn.Sequential):
        def forward(self, x):
            return x + super().forward(x)

    class Tripled(nn.Linear):
        def forward(self, x):
            return 3 * super().forward(x)

    class Steeper(nn.LeakyReLU):
        def forward(self, x):
            return 2 * super().forward(x)

    hooked = nn.Linear(3, 3)
    hooked.register_forward_hook(lambda module, args, out: out + 1)
    for module in (Residual(nn.Tanh(), nn.Linear(3, 3)), Tripled(3, 3), Steeper(), hooked):
        with pytest.raises(TypeError, match="no densenn counterpart"):
            dn.from_torch(nn.Sequential(nn.Linear(3, 3), module))
    with pytest.raises(TypeError, match="torch's own forward"):
        dn.from_torch(Residual(nn.Linear(3, 3)))

    class Named(nn.Sequential):  # a subclass that keeps torch's forward converts
        pass

    assert len(dn.from_torch(nn.Sequential(Named(nn.Linear(3, 3), nn.ReLU())))[0]) == 2

    class Scaled(dn.Dense):
        def forward(self, x):
            return 3 * super().forward(x)

    class Plain(dn.Dense):  # no computation of its own: still a Dense for torch
        pass

    with pytest.raises(TypeError, match="no torch.nn counterpart"):
        dn.Sequential(Scaled(3, 2, seed=0)).to_torch()
    model = dn.Sequential(Plain(3, 2, seed=0))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.to_torch()(torch.from_numpy(x)).detach().numpy(), model.predict(x))


def test_half_precision_torch_modules_convert_in_float32(torch):
    for dtype in (torch.float16, torch.bfloat16):
        module = torch.nn.Sequential(torch.nn.Linear(3, 2, dtype=dtype))
        model = dn.from_torch(module)
        assert model.dtype == np.float32
        np.testing.assert_array_equal(model[0].weight, module[0].weight.detach().float().numpy())


def test_saving_says_why_a_model_cannot_be_saved(tmp_path):
    nested = dn.Sequential(dn.Sequential(dn.Dense(2, 3, seed=0)), dn.ReLU())
    with pytest.raises(TypeError, match="layer 0 is a nested Sequential"):
        nested.save(tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="no Dense layer"):
        dn.Sequential(dn.ReLU()).save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()
