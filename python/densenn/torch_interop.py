"""Conversions between densenn's Sequential and torch.nn.Sequential (torch is imported only here, lazily)."""

from __future__ import annotations

import numpy as np

from .layers import Dense, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, _densenn_method


def to_torch(model):
    """A torch.nn.Sequential with the same layers and a copy of the parameters, in the model's dtype
    (nested Sequentials become nested torch.nn.Sequentials, with the same state-dict keys)."""
    import torch

    dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[np.dtype(model.dtype)]
    return _to_torch(model, dtype)


def _to_torch(model, dtype):
    import torch
    from torch import nn

    from .sequential import Sequential

    modules = []
    for layer in model:
        if not (_densenn_method(layer, "forward") and _densenn_method(layer, "backward")):
            raise TypeError(
                f"{type(layer).__name__} has no torch.nn counterpart: it computes with a forward or "
                "backward of its own"
            )
        if isinstance(layer, Sequential):
            modules.append(_to_torch(layer, dtype))
        elif isinstance(layer, Dense):
            sizes = (layer.in_features, layer.out_features)
            linear = nn.Linear(*sizes, bias=layer.bias is not None, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.weight.copy()))
                if layer.bias is not None:
                    linear.bias.copy_(torch.from_numpy(layer.bias.copy()))
            modules.append(linear)
        elif isinstance(layer, LeakyReLU):
            modules.append(nn.LeakyReLU(layer.negative_slope))
        elif isinstance(layer, Softmax):
            modules.append(nn.Softmax(dim=-1))
        elif type(layer) in _TO_TORCH:
            modules.append(getattr(nn, _TO_TORCH[type(layer)])())
        else:
            raise TypeError(f"{type(layer).__name__} has no torch.nn counterpart")
    return nn.Sequential(*modules)


_TO_TORCH = {ReLU: "ReLU", Sigmoid: "Sigmoid", Tanh: "Tanh"}


def from_torch(module):
    """A densenn Sequential from a torch.nn.Sequential of Linear, ReLU, LeakyReLU, Sigmoid, Tanh,
    Softmax(dim=-1) and nested Sequential modules, with a copy of its parameters (float32 or
    float64, as the module)."""
    import torch
    from torch import nn

    from .sequential import Sequential

    if not _stock(module, nn.Sequential):
        raise TypeError(
            f"expected a torch.nn.Sequential (with torch's own forward), got {type(module).__name__}"
        )
    dtypes = {p.dtype for p in module.parameters()}
    if len(dtypes) > 1:
        raise ValueError(f"the module mixes dtypes {sorted(map(str, dtypes))}")
    dtype = np.float64 if dtypes == {torch.float64} else np.float32  # float16 and bfloat16 widen
    torch_dtype = torch.float64 if dtype is np.float64 else torch.float32
    layers = []
    for index, m in enumerate(module):
        if _stock(m, nn.Sequential):
            layers.append(from_torch(m))
        elif _stock(m, nn.Linear):
            dense = Dense(m.in_features, m.out_features, bias=m.bias is not None, dtype=dtype, init="zeros")
            dense.weight[...] = m.weight.detach().cpu().to(torch_dtype).numpy()
            if m.bias is not None:
                dense.bias[...] = m.bias.detach().cpu().to(torch_dtype).numpy()
            layers.append(dense)
        elif _stock(m, nn.LeakyReLU):
            layers.append(LeakyReLU(m.negative_slope))
        elif _stock(m, nn.Softmax) and m.dim in (-1, 1, None):
            layers.append(Softmax())
        elif type(m) in (nn.ReLU, nn.Sigmoid, nn.Tanh) and _stock(m, type(m)):
            layers.append({nn.ReLU: ReLU, nn.Sigmoid: Sigmoid, nn.Tanh: Tanh}[type(m)]())
        else:
            raise TypeError(f"module {index} ({m!r}) has no densenn counterpart")
    return Sequential(*layers)


def _stock(module, kind) -> bool:
    """Whether ``module`` computes exactly as torch's ``kind`` does: an instance whose forward is
    torch's own (not a subclass's), without hooks that would change what it computes."""
    return (
        isinstance(module, kind)
        and type(module).forward is kind.forward
        and not module._forward_hooks
        and not module._forward_pre_hooks
    )
