"""Optimizers with torch.optim's update rules (SGD, Adam, AdamW); the updates and state live in C++.

    opt = dn.Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        loss = loss_fn.forward(model.forward(xb), yb)
        model.backward(loss_fn.backward())
        opt.step()                      # in place, one call into the C++ core per parameter group

``params`` is what ``model.parameters()`` returns, a part of it, or torch-style parameter groups
(``[{"params": [...], "lr": 0.1}, ...]``). Each parameter array must be one of densenn's own
parameter views: the optimizer updates the layer's buffer in place and reads the gradient that
``backward`` wrote next to it. Settings can be changed between steps through ``param_groups``, as
torch's learning-rate schedulers do.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._convert import as_numeric_array, real_scalar

_SUFFIX = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}
_DENSE_TYPES = (_core.Dense_float32, _core.Dense_float64)


def _gradient_of(param, where: str) -> np.ndarray:
    """The gradient array that ``backward`` writes for ``param``, a view of a densenn layer's buffer."""
    if not isinstance(param, np.ndarray):
        raise TypeError(
            f"{where} is a {type(param).__name__}: optimizers take the arrays of model.parameters() "
            f"(or layer.parameters())"
        )
    owner = param.base
    while isinstance(owner, np.ndarray):
        owner = owner.base
    if isinstance(owner, _DENSE_TYPES):
        address = param.__array_interface__["data"][0]
        for view, grad in ((owner.weight, owner.grad_weight), (owner.bias, owner.grad_bias)):
            if (
                view is not None
                and view.__array_interface__["data"][0] == address
                and view.shape == param.shape
                and view.dtype == param.dtype
            ):
                return grad
    raise TypeError(
        f"{where} (shape {param.shape}, dtype {param.dtype}) is not a densenn parameter: optimizers update "
        f"layers in place, so they take the arrays of model.parameters() or layer.parameters() "
        f"themselves, not copies, slices or other arrays"
    )


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _settings(group: dict) -> dict:
    """A group's settings without its params, as comparable values: lists and arrays become tuples
    (a copy, so that changing one in place is seen, and no array comparison to truth-test)."""

    def frozen(v):
        if isinstance(v, np.ndarray) and v.ndim > 0:
            return tuple(v.tolist())
        return tuple(v) if isinstance(v, list) else v

    return {k: frozen(v) for k, v in group.items() if k != "params"}


class Optimizer:
    """Base of densenn's optimizers: torch.optim's ``param_groups``, ``step``, ``zero_grad``, state dicts.

    Each parameter group has one C++ optimizer per dtype, which holds the group's buffers and
    their state; ``step()`` makes one call into it per group.
    """

    _core_name = ""

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self._check(self.defaults)  # a bad default fails here, before anything is registered
        self.param_groups: list[dict] = []
        self._slots: list[tuple[object, int]] = []  # (C++ optimizer, index in it) per parameter, in order
        self._impls: list[dict] = []  # per group: {dtype: C++ optimizer}
        self._applied: list[tuple] = []  # per group: the options its C++ optimizers hold
        self._raw: list[dict] = []  # per group: the settings as given, when last applied
        self._addresses: set[int] = set()
        if isinstance(params, (np.ndarray, dict)) or not hasattr(params, "__iter__"):
            raise TypeError(
                "params must be a list of parameter arrays (model.parameters()) or of parameter-group "
                f"dicts, got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Adds a group ``{"params": [...], **settings}``; settings left out take the defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        params = param_group["params"]
        if isinstance(params, np.ndarray):
            params = [params]
        params = list(params)
        first = len(self._slots)
        grads = [_gradient_of(p, f"parameter {first + i}") for i, p in enumerate(params)]
        addresses = [p.__array_interface__["data"][0] for p in params]
        if len(set(addresses)) != len(addresses) or self._addresses.intersection(addresses):
            raise ValueError("some parameters appear more than once (in one group or in several)")
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        options = self._check(group)
        impls: dict = {}
        for p in params:
            if p.dtype not in impls:
                impls[p.dtype] = getattr(_core, f"{self._core_name}_{_SUFFIX[p.dtype]}")(*options)
        # Everything is checked: now register (nothing above changed the optimizer).
        for p, g in zip(params, grads):
            impl = impls[p.dtype]
            impl.add(p, g)
            self._slots.append((impl, len(impl) - 1))
        self._addresses.update(addresses)
        group["params"] = params
        self.param_groups.append(group)
        self._impls.append(impls)
        self._applied.append(options)
        self._raw.append(_settings(group))

    def _options(self, group: dict) -> tuple:
        """The group's settings as the C++ constructor's arguments; TypeError for non-numbers."""
        raise NotImplementedError

    def _check(self, group: dict) -> tuple:
        """The group's options, checked by the C++ core as torch.optim checks them (ValueError)."""
        options = self._options(group)
        getattr(_core, f"{self._core_name}_float64")(*options)
        return options

    def _sync(self, index: int) -> None:
        """Hands changed settings of group ``index`` (a scheduler's new lr, say) to its C++ optimizers."""
        group = self.param_groups[index]
        raw = _settings(group)
        if raw == self._raw[index]:  # the common case, kept cheap: nothing changed since the last step
            return
        options = self._options(group)
        if options != self._applied[index]:
            for impl in self._impls[index].values():
                impl.set_options(*options)  # checked in C++: ValueError for what torch.optim rejects
            self._applied[index] = options
        self._raw[index] = raw

    def step(self, closure=None):
        """One update of every parameter, in place, from the gradients of the last backward.

        ``closure`` (optional, as in torch.optim) is called first and its result returned.
        """
        loss = closure() if closure is not None else None
        for index in range(len(self.param_groups)):
            self._sync(index)
        for impls in self._impls:
            for impl in impls.values():
                impl.step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Zeroes the gradients. densenn's backward overwrites them, so this is only for PyTorch habits;
        ``set_to_none`` is accepted for compatibility (gradient buffers always exist). Unlike PyTorch
        after ``set_to_none``, a ``step()`` with no backward in between still applies momentum and
        weight decay (to zero gradients)."""
        for impls in self._impls:
            for impl in impls.values():
                impl.zero_grad()

    # ---- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {i: {...}}, "param_groups": [...]}`` as torch.optim lays it out (copies).

        Parameters are numbered in the order the groups list them; ``state[i]`` holds ``step`` and
        the state buffers that exist (shaped like the parameter).
        """
        state = {}
        params = [p for group in self.param_groups for p in group["params"]]
        for i, (impl, k) in enumerate(self._slots):
            entry = {"step": impl.steps(k)}
            for b, name in enumerate(impl.buffer_names):
                values = impl.buffer(k, b)
                if values is not None:
                    entry[name] = values.reshape(params[i].shape)
            state[i] = entry
        groups, start = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            settings = {k: v for k, v in group.items() if k != "params"}
            groups.append({**settings, "params": list(range(start, start + n))})
            start += n
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restores settings and state from ``state_dict()``'s output: all of it, or nothing.

        Group and parameter counts and every buffer's shape must match; otherwise ``ValueError``
        (``TypeError`` for values of the wrong type) and the optimizer is left unchanged.
        """
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (TypeError, KeyError) as e:
            raise ValueError("optimizer state_dict must have 'state' and 'param_groups' entries") from e
        if not isinstance(state, dict) or not all(isinstance(g, dict) and "params" in g for g in groups):
            raise ValueError(
                "optimizer state_dict: 'state' must be a dict and each group a dict with 'params'"
            )
        counts = [len(saved["params"]) for saved in groups]
        if counts != [len(group["params"]) for group in self.param_groups]:
            raise ValueError("loaded state dict has a different number of parameter groups or parameters")
        new_groups = []
        for saved, mine in zip(groups, self.param_groups):
            group = {**mine, **{k: v for k, v in saved.items() if k != "params"}}
            self._check(group)  # before anything changes
            new_groups.append(group)
        params = [p for group in self.param_groups for p in group["params"]]
        staged = []  # (impl, k, step, [(buffer index, flat values or None)])
        for i, (impl, k) in enumerate(self._slots):
            entry = state.get(i, state.get(str(i), {}))
            step = entry.get("step", 0)
            step = int(real_scalar(step.item() if hasattr(step, "item") else step, f"state[{i}]['step']"))
            if step < 0:
                raise ValueError(f"state[{i}]['step'] must not be negative, got {step}")
            buffers = []
            for b, name in enumerate(impl.buffer_names):
                value = entry.get(name)
                if value is not None:
                    value = as_numeric_array(value, f"state[{i}][{name!r}]")
                    if value.shape != params[i].shape:
                        raise ValueError(
                            f"state[{i}][{name!r}]: expected shape {params[i].shape}, got {value.shape}"
                        )
                    value = np.ascontiguousarray(value, dtype=params[i].dtype).reshape(-1)
                buffers.append((b, value))
            staged.append((impl, k, step, buffers))
        for i, (impl, k, step, buffers) in enumerate(staged):  # everything checked: now copy
            impl.set_steps(k, step)
            for b, value in buffers:
                impl.set_buffer(k, b, value if value is not None else np.empty(0, params[i].dtype))
        for index, group in enumerate(new_groups):
            group["params"] = self.param_groups[index]["params"]
            self.param_groups[index] = group
            self._sync(index)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent exactly as ``torch.optim.SGD`` (PyTorch's momentum).

    Per step, with ``g`` the gradient: ``g += weight_decay * p``; with momentum,
    ``v = g`` on the first step and ``v = momentum * v + (1 - dampening) * g`` after, then
    ``g = g + momentum * v`` (Nesterov) or ``g = v``; finally ``p -= lr * g``.
    With ``maximize``, ``-g`` takes the place of ``g`` (gradient ascent).
    Positional order: ``SGD(params, lr, momentum, weight_decay, nesterov)`` as densenn's
    specification gives it; ``dampening`` (torch.optim.SGD's fourth argument) is keyword-only,
    so name the settings when porting code that passes them positionally to torch.
    ``foreach``, ``differentiable`` and ``fused`` choose among torch's implementations; they are
    taken (and kept in ``param_groups``) so that torch code and state dicts port as they are, and
    change nothing: densenn has one implementation.
    """

    _core_name = "SGD"

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        weight_decay=0.0,
        nesterov=False,
        *,
        dampening=0.0,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _options(self, group):
        options = (
            real_scalar(group["lr"], "lr"),
            real_scalar(group["momentum"], "momentum"),
            real_scalar(group["dampening"], "dampening"),
            real_scalar(group["weight_decay"], "weight_decay"),
            _flag(group["nesterov"], "nesterov"),
            _flag(group["maximize"], "maximize"),
        )
        return options


class Adam(Optimizer):
    """Adam exactly as ``torch.optim.Adam``: bias-corrected moments, L2 weight decay, AMSGrad.

    Per step t: ``g += weight_decay * p`` (or, with ``decoupled_weight_decay``, AdamW's
    ``p *= 1 - lr * weight_decay``); ``m = beta1 m + (1 - beta1) g``;
    ``v = beta2 v + (1 - beta2) g^2``; ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with
    ``m_hat = m / (1 - beta1^t)``, ``v_hat = v / (1 - beta2^t)`` (``v`` replaced by its running
    maximum with ``amsgrad``). With ``maximize``, ``-g`` takes the place of ``g``.
    ``foreach``, ``capturable``, ``differentiable`` and ``fused`` are taken and change nothing, as
    for SGD.
    """

    _core_name = "Adam"

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _options(self, group):
        betas = group["betas"]
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        options = (
            real_scalar(group["lr"], "lr"),
            real_scalar(betas[0], "betas[0]"),
            real_scalar(betas[1], "betas[1]"),
            real_scalar(group["eps"], "eps"),
            real_scalar(group["weight_decay"], "weight_decay"),
            _flag(group["amsgrad"], "amsgrad"),
            _flag(group["decoupled_weight_decay"], "decoupled_weight_decay"),
            _flag(group["maximize"], "maximize"),
        )
        return options


class AdamW(Adam):
    """AdamW as ``torch.optim.AdamW``: Adam with decoupled weight decay ``p *= 1 - lr * weight_decay``.

    The keyword-only settings (``maximize``, torch's implementation switches) are Adam's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, **kw):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kw, decoupled_weight_decay=True)
