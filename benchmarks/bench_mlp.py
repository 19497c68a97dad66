#!/usr/bin/env python3
"""MLP training-step and inference benchmark: numpy reference vs PyTorch (vs densenn).

For each config and backend it measures, after warm-up, the median wall time of
  * one full training step: forward through all layers, loss, backward,
    SGD update of every parameter (lr = 0.01), and
  * batch inference: forward only (for 'tiny' this is the batch-1 latency).
Backends are interleaved round-robin over several rounds (the start backend
rotates each round) so that machine drift hits all of them alike; every
measurement collects at least --min-time seconds of timed calls. Everything is
run once per thread setting (default: 1 and 2 threads).

Backends
  numpy           ref_numpy.py, textbook formulas in plain NumPy
  torch           eager nn.Sequential(nn.Linear, nn.ReLU, ...) + torch.optim.SGD,
                  zero_grad(set_to_none=True); inference under torch.inference_mode()
  torch-compiled  same, model+loss through torch.compile (only if a probe compile
                  works within --compile-timeout seconds)
  densenn         only when `import densenn` succeeds; see build_densenn()

All backends start from the same float32 weights and data; a one-step
cross-check against the numpy reference is printed before timing.

The machine has 2 cores: anything else running distorts the numbers (2-thread
ones by 100x and more). Each measurement records the CPU share used by other
processes; above --noise-limit it waits for a quiet machine and measures again
(within --max-wait-total), and flags what stayed noisy.

Examples
  python bench_mlp.py                       # full run
  python bench_mlp.py --quick               # short smoke run
  python bench_mlp.py --configs tiny,M --backends numpy,torch --threads 1
"""

import argparse
import datetime
import gc
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ref_numpy  # noqa: E402

LR = 0.01

CONFIGS = {
    # name: layer sizes, batch, loss ("mse" or "ce" = softmax cross-entropy, int labels)
    "tiny": dict(sizes=[16, 64, 64, 1], batch=1, loss="mse"),
    "S": dict(sizes=[64, 32, 32, 10], batch=32, loss="ce"),
    "M": dict(sizes=[784, 256, 128, 10], batch=64, loss="ce"),
    "L": dict(sizes=[1024, 1024, 1024, 1024], batch=256, loss="mse"),
}
ALL_BACKENDS = ["numpy", "torch", "torch-compiled", "densenn"]
ENV_VARS = [
    "DENSENN_SIMD",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "MKL_DEBUG_CPU_TYPE",
    "MKL_ENABLE_INSTRUCTIONS",
    "ATEN_CPU_CAPABILITY",
]


# ----------------------------------------------------------------------------- output hygiene
def _scrub(text):
    """Remove absolute file-system paths from messages that end up in the report."""
    text = str(text)
    for prefix in sorted(
        {HERE, sys.prefix, sys.base_prefix, os.path.expanduser("~"), tempfile.gettempdir()},
        key=len,
        reverse=True,
    ):
        if prefix and prefix != "/":
            text = text.replace(prefix, "<path>")
    return re.sub(r"(?<![\w<])/(?:[\w.+@-]+/)+[\w.+@-]*", "<path>", text)


def _showwarning(message, category, filename, lineno, file=None, line=None):
    print(f"  [warning] {category.__name__}: {_scrub(message)}".splitlines()[0], file=sys.stderr)


warnings.showwarning = _showwarning


def out(*args):
    print(*args, flush=True)


def flops(cfg, mode):
    """FLOPs of one step: train 6*batch*sum(in*out), forward 2*batch*sum(in*out)."""
    macs = sum(i * o for i, o in zip(cfg["sizes"][:-1], cfg["sizes"][1:]))
    return (6 if mode == "train" else 2) * cfg["batch"] * macs


# ----------------------------------------------------------------------------- problem data
def make_problem(cfg, seed=0):
    """Shared float32 weights [(W (out,in), b)], input x, and targets (float or int64 labels)."""
    rng = np.random.default_rng(seed)
    sizes, batch = cfg["sizes"], cfg["batch"]
    ref = ref_numpy.mlp(sizes, rng=rng)
    weights = [(d.W.copy(), d.b.copy()) for d in ref.layers if isinstance(d, ref_numpy.Dense)]
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    if cfg["loss"] == "mse":
        y = rng.standard_normal((batch, sizes[-1]), dtype=np.float32)
    else:
        y = rng.integers(0, sizes[-1], size=batch, dtype=np.int64)
    return weights, x, y


class Impl:
    """What the harness needs from a backend.

    train()   one full training step (return value: the loss, any type)
    infer()   forward pass only
    params()  list of numpy copies [W1, b1, W2, b2, ...] or None if not readable
    ctx       context-manager factory entered around timed inference calls (or None)
    """

    def __init__(self, train, infer, params, ctx=None, note=""):
        self.train, self.infer, self.params, self.ctx, self.note = train, infer, params, ctx, note


# ----------------------------------------------------------------------------- backends
def build_numpy(cfg, weights, x, y, threads):
    model = ref_numpy.mlp(cfg["sizes"])
    dense = [d for d in model.layers if isinstance(d, ref_numpy.Dense)]
    for layer, (W, b) in zip(dense, weights):
        layer.W, layer.b = W.copy(), b.copy()
    loss_fn = ref_numpy.MSELoss() if cfg["loss"] == "mse" else ref_numpy.SoftmaxCrossEntropyLoss()

    def train():
        return ref_numpy.train_step(model, loss_fn, x, y, LR)

    def infer():
        return model.forward(x)

    return Impl(train, infer, lambda: [p.copy() for p in model.parameters()])


def _torch_model(cfg, weights):
    import torch
    import torch.nn as nn

    layers = []
    for i, (W, b) in enumerate(weights):
        if i:
            layers.append(nn.ReLU())
        lin = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
    model = nn.Sequential(*layers)
    loss_fn = nn.MSELoss() if cfg["loss"] == "mse" else nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return model, loss_fn, opt


def build_torch(cfg, weights, x, y, threads):
    import torch

    model, loss_fn, opt = _torch_model(cfg, weights)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def train():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    def infer():
        return model(xt)

    return Impl(
        train,
        infer,
        lambda: [p.detach().numpy().copy() for p in model.parameters()],
        ctx=torch.inference_mode,
    )


def build_torch_compiled(cfg, weights, x, y, threads):
    import torch

    torch._dynamo.reset()  # fresh caches: no recompile limit across configs/thread settings
    model, loss_fn, opt = _torch_model(cfg, weights)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_c = torch.compile(lambda a, b: loss_fn(model(a), b), fullgraph=True)
    model_c = torch.compile(model, fullgraph=True)

    def train():
        opt.zero_grad(set_to_none=True)
        loss = loss_c(xt, yt)
        loss.backward()
        opt.step()
        return loss

    def infer():
        return model_c(xt)

    t0 = time.perf_counter()
    train()  # compile now (this step is undone below by rebuilding the weights)
    with torch.inference_mode():
        infer()
    compile_s = time.perf_counter() - t0
    with torch.no_grad():
        lins = [m for m in model if isinstance(m, torch.nn.Linear)]
        for lin, (W, b) in zip(lins, weights):
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
    return Impl(
        train,
        infer,
        lambda: [p.detach().numpy().copy() for p in model.parameters()],
        ctx=torch.inference_mode,
        note=f"compile {compile_s:.1f}s",
    )


def build_densenn(cfg, weights, x, y, threads):
    """densenn through its public Python API: Dense/ReLU in a Sequential and one
    model.train_step(x, target, loss, lr) per step (forward, loss, backward and the in-place SGD
    update in one call into C++; the same results as the four separate calls). The shared weights
    are copied into the writable .weight/.bias views; dn.set_num_threads sets the thread count."""
    import densenn as dn

    dn.set_num_threads(threads)
    layers, dense = [], []
    for i, (W, b) in enumerate(weights):
        if i:
            layers.append(dn.ReLU())
        d = dn.Dense(W.shape[1], W.shape[0], seed=i)
        d.weight[...] = W
        d.bias[...] = b
        dense.append(d)
        layers.append(d)
    model = dn.Sequential(*layers)
    loss_fn = dn.MSELoss() if cfg["loss"] == "mse" else dn.SoftmaxCrossEntropyLoss()
    target = y  # float32 (batch, out) for MSE, int64 (batch,) labels for cross-entropy

    def train():
        return model.train_step(x, target, loss_fn, LR)

    def infer():
        return model.predict(x)

    def params():
        return [np.array(p, dtype=np.float32) for d in dense for p in (d.weight, d.bias)]

    return Impl(train, infer, params)


BUILDERS = {
    "numpy": build_numpy,
    "torch": build_torch,
    "torch-compiled": build_torch_compiled,
    "densenn": build_densenn,
}


# ----------------------------------------------------------------------------- threads
class Threads:
    """Set 1 or 2 threads for every library in the process (numpy's BLAS, torch, densenn)."""

    def __init__(self):
        self._limiter = None

    def set(self, n):
        import threadpoolctl

        if self._limiter is not None:
            self._limiter.restore_original_limits()
        self._limiter = threadpoolctl.threadpool_limits(limits=n)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(n)


def dn_threads(n):
    """densenn's own pool is not seen by threadpoolctl: set it directly."""
    import densenn as dn

    dn.set_num_threads(n)


# ----------------------------------------------------------------------------- machine load
class CpuMonitor:
    """CPU used by *other* processes (and hypervisor steal) while we measure.

    The machine has only 2 cores; anything else running (another session's tests, a build)
    distorts the numbers, the 2-thread ones most. Reads /proc/stat and our own CPU time."""

    def __init__(self):
        self.ok = os.path.exists("/proc/stat")
        self.hz = os.sysconf("SC_CLK_TCK") if self.ok else 100
        self.ncpu = os.cpu_count() or 1
        self.worst = 0.0

    def _read(self):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
        steal = v[7] if len(v) > 7 else 0
        t = os.times()
        return time.perf_counter(), busy / self.hz, steal / self.hz, t.user + t.system

    def start(self):
        self._s = self._read() if self.ok else None

    def stop(self):
        """-> (other processes' CPU as % of the whole machine, steal %)."""
        if not self.ok or self._s is None:
            return float("nan"), float("nan")
        e = self._read()
        wall = max(e[0] - self._s[0], 1e-9) * self.ncpu
        other = max(0.0, (e[1] - self._s[1]) - (e[3] - self._s[3])) / wall * 100
        steal = (e[2] - self._s[2]) / wall * 100
        return other, steal


def busy_processes(min_pct=20.0, window=1.0):
    """Other processes using >= min_pct of a CPU over `window` seconds: [(pid, pct, name)]."""

    def snap():
        d = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read()
                name = st[st.index("(") + 1 : st.rindex(")")]
                fields = st[st.rindex(")") + 2 :].split()
                d[pid] = (int(fields[11]) + int(fields[12]), name)
            except (OSError, ValueError, IndexError):
                pass
        return d

    try:
        a = snap()
        time.sleep(window)
        b = snap()
    except OSError:
        return []
    hz = os.sysconf("SC_CLK_TCK")
    res = []
    for pid, (ticks, name) in b.items():
        if pid in a:
            pct = (ticks - a[pid][0]) / hz / window * 100
            if pct >= min_pct:
                res.append((int(pid), pct, name))
    return sorted(res, key=lambda r: -r[1])


def machine_busy(window=2.0):
    """% of the machine's CPU used by other processes (short-lived ones included) over `window` s."""
    m = CpuMonitor()
    if not m.ok:
        return 0.0
    m.start()
    time.sleep(window)
    return m.stop()[0]


_WAIT_BUDGET = [1800.0]  # seconds of waiting left for the whole run (--max-wait-total)


def wait_quiet(max_wait, limit=5.0):
    """Wait (up to max_wait s, and within the run's total budget) until other processes use
    < limit % of the machine. -> (waited s, last %)."""
    t0 = time.perf_counter()
    max_wait = min(max_wait, _WAIT_BUDGET[0])
    while True:
        busy = machine_busy()
        waited = time.perf_counter() - t0
        if busy < limit or waited > max_wait:
            _WAIT_BUDGET[0] = max(0.0, _WAIT_BUDGET[0] - waited)
            return waited, busy


def quiet_measure(fn, mon, args, what):
    """Run fn() under the CPU monitor; if other processes used > --noise-limit % of the machine,
    wait for a quiet machine and measure again (up to --retries times). -> (result, other%, steal%)."""
    for attempt in range(args.retries + 1):
        mon.start()
        res = fn()
        other, steal = mon.stop()
        if not other > args.noise_limit or attempt == args.retries or _WAIT_BUDGET[0] <= 0:
            break
        out(f"   ({what}: other processes used {other:.0f}% of the machine; waiting for quiet, re-measuring)")
        wait_quiet(args.wait_quiet, args.noise_limit)
    mon.worst = max(mon.worst, other)
    return res, other, steal


# ----------------------------------------------------------------------------- timing
class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _ctx(impl):
    return impl.ctx() if impl.ctx is not None else _Null()


def timed_block(fn, n, ctx):
    """One untimed call (re-warms caches after another backend ran), then n timed calls."""
    pc = time.perf_counter_ns
    times = [0] * n
    with ctx:
        fn()
        gc.disable()
        try:
            for i in range(n):
                t0 = pc()
                fn()
                times[i] = pc() - t0
        finally:
            gc.enable()
    return times


def measure_interleaved(fns, min_time, rounds, warmup_time):
    """fns: {name: (callable, ctx_factory)} -> {name: stats}. Round-robin, rotating start."""
    names = list(fns)
    per_call = {}
    for name in names:  # warm-up and per-call estimate
        fn, ctxf = fns[name]
        ts, t_end = [], time.perf_counter() + warmup_time
        with ctxf():
            while len(ts) < 3 or (time.perf_counter() < t_end and len(ts) < 100000):
                t0 = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t0)
        per_call[name] = statistics.median(ts[len(ts) // 2 :])
    block_s = min_time / rounds
    n_block = {k: max(1, int(math.ceil(block_s / max(v, 1e-9)))) for k, v in per_call.items()}
    samples = {k: [] for k in names}
    round_medians = {k: [] for k in names}
    r = 0
    while True:
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn, ctxf = fns[name]
            ts = timed_block(fn, n_block[name], ctxf())
            samples[name] += ts
            round_medians[name].append(statistics.median(ts))
            gc.collect()
        r += 1
        done = all(sum(samples[k]) * 1e-9 >= min_time for k in names)
        if (r >= rounds and done) or r >= 3 * rounds:
            break
    res = {}
    for k in names:
        s = sorted(samples[k])
        med = statistics.median(s)
        rm = round_medians[k]
        res[k] = dict(
            median_ns=med,
            n=len(s),
            total_s=sum(s) * 1e-9,
            rounds=len(rm),
            p99_ns=s[min(len(s) - 1, int(0.99 * len(s)))],
            min_ns=s[0],
            spread=(max(rm) - min(rm)) / med if med else 0.0,
        )
    return res


# ----------------------------------------------------------------------------- checks
def cross_check(name, impl, ref_loss, ref_params, ref_out, ctx):
    """One training step from the shared start; compare loss, updated params, and forward output."""
    loss = impl.train()
    loss = float(loss.detach() if hasattr(loss, "detach") else loss)
    params = impl.params()
    with ctx:
        o = impl.infer()
    o = np.asarray(o.detach().numpy() if hasattr(o, "detach") else o, dtype=np.float32)
    loss_rel = abs(loss - ref_loss) / max(abs(ref_loss), 1e-12)
    out_rel = float(np.max(np.abs(o - ref_out)) / max(np.max(np.abs(ref_out)), 1e-12))
    msg = f"loss {loss:.6g} (rel diff {loss_rel:.1e}), forward rel diff {out_rel:.1e}"
    ok = loss_rel < 1e-4 and out_rel < 1e-3
    if params is not None:
        pdiff = max(float(np.max(np.abs(p - q))) for p, q in zip(params, ref_params))
        msg += f", params max abs diff {pdiff:.1e}"
        ok = ok and pdiff < 1e-5
    else:
        msg += ", params not compared"
    return ok, msg


# ----------------------------------------------------------------------------- peak matmul
def matmul_gflops(n, min_time, lib="numpy"):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    if lib == "numpy":

        def f():
            np.matmul(a, b, out=c)
    else:
        import torch

        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)

        def f():
            torch.mm(ta, tb, out=tc)

    f()
    f()
    ts = []
    t_end = time.perf_counter() + min_time
    while time.perf_counter() < t_end or len(ts) < 5:
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    fl = 2.0 * n**3
    return fl / statistics.median(ts) / 1e9, fl / min(ts) / 1e9, len(ts)


# ----------------------------------------------------------------------------- layer kernels
def layer_kernel_rates(cfg, min_time, rounds, warmup):
    """GFLOP/s of one Dense layer's products at the config's first layer shape, NumPy's matmul
    vs densenn's own kernels (through the public Dense.predict and Dense.backward):
      forward   Y = X W^T            numpy matmul(x, w.T)        densenn predict (+ bias)
      backward  dX = dY W, dW = dY^T X  numpy both matmuls       densenn backward (+ db)
    -> {product: {backend: GFLOP/s}}."""
    import densenn as dn

    batch, n_in, n_out = cfg["batch"], cfg["sizes"][0], cfg["sizes"][1]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, n_in), dtype=np.float32)
    dy = rng.standard_normal((batch, n_out), dtype=np.float32)
    w = rng.standard_normal((n_out, n_in), dtype=np.float32)
    y, dx, dw = (np.empty(s, np.float32) for s in ((batch, n_out), (batch, n_in), (n_out, n_in)))
    layer = dn.Dense(n_in, n_out, seed=0)
    layer.weight[...] = w
    layer.forward(x)  # the training forward that backward differentiates

    def np_backward():
        np.matmul(dy, w, out=dx)
        np.matmul(dy.T, x, out=dw)

    products = {
        "forward X W^T": (2, lambda: np.matmul(x, w.T, out=y), lambda: layer.predict(x)),
        "backward dY W, dY^T X": (4, np_backward, lambda: layer.backward(dy)),
    }
    rates = {}
    for name, (macs_factor, np_fn, dn_fn) in products.items():
        fns = {"numpy": (np_fn, _Null), "densenn": (dn_fn, _Null)}
        res = measure_interleaved(fns, min_time, rounds, warmup)
        fl = macs_factor * batch * n_in * n_out
        rates[name] = {b: fl / r["median_ns"] for b, r in res.items()}
    return rates


# ----------------------------------------------------------------------------- RSS workers
def _vm_hwm_kib():
    """Peak RSS of this process image. (ru_maxrss is not used: on Linux it keeps the
    parent's RSS at fork across exec, so a child of a big process reports the parent's size.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_worker(backend, steps, threads):
    """Runs in its own process: import the backend, train config M for `steps` steps."""
    t0 = time.perf_counter()
    if backend == "torch":
        import torch  # noqa: F401
    elif backend == "densenn":
        import densenn  # noqa: F401
    import_s = time.perf_counter() - t0
    rss_import = _vm_hwm_kib()
    if steps:
        Threads().set(threads)
        cfg = CONFIGS["M"]
        weights, x, y = make_problem(cfg)
        impl = BUILDERS[backend](cfg, weights, x, y, threads)
        for _ in range(steps):
            impl.train()
    rss = _vm_hwm_kib()
    print(
        json.dumps(
            dict(
                backend=backend,
                steps=steps,
                maxrss_kib=rss,
                import_maxrss_kib=rss_import,
                torch_loaded="torch" in sys.modules,
                import_s=import_s,
                total_s=time.perf_counter() - t0,
            )
        )
    )


def run_rss(backends, threads, reps):
    gnu_time = shutil.which("time")  # GNU time (not the shell keyword), if installed
    out(f"\n== Peak RSS of a fresh process (config M, batch 64, {threads} threads; median of {reps} runs) ==")
    out(
        "VmHWM: the worker's own peak RSS (VmHWM in its proc status)"
        + ("; time -v: 'Maximum resident set size' reported by GNU time -v" if gnu_time else "")
    )
    out(f"{'process':40s} {'VmHWM MiB':>10s} {'range MiB':>14s} {'time -v MiB':>11s} {'wall s':>7s}")
    results = {}
    for b in backends:
        for steps in (0, 100):
            vals, tv, walls = [], [], []
            for _ in range(reps):
                cmd = [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--rss-worker",
                    b,
                    "--rss-steps",
                    str(steps),
                    "--threads",
                    str(threads),
                ]
                p = subprocess.run(
                    ([gnu_time, "-v"] if gnu_time else []) + cmd, capture_output=True, text=True, timeout=600
                )
                if p.returncode != 0:
                    out(f"  {b}: worker failed: {_scrub(p.stderr.strip().splitlines()[-1:])}")
                    break
                d = json.loads(p.stdout.strip().splitlines()[-1])
                vals.append(d["maxrss_kib"] / 1024)
                walls.append(d["total_s"])
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
                if m:
                    tv.append(int(m.group(1)) / 1024)
            if not vals:
                continue
            label = f"python + {'numpy' if b == 'numpy' else b + ' (+numpy)'}: " + (
                "import only" if steps == 0 else f"train M x{steps}"
            )
            results[(b, steps)] = statistics.median(vals)
            tvs = f"{statistics.median(tv):11.1f}" if tv else f"{'-':>11s}"
            out(
                f"{label:40s} {statistics.median(vals):10.1f} {min(vals):6.1f}-{max(vals):6.1f} "
                f"{tvs} {statistics.median(walls):7.2f}"
            )
    if ("torch", 100) in results and ("numpy", 100) in results:
        out(
            f"torch/numpy peak RSS ratio (train M x100): "
            f"{results[('torch', 100)] / results[('numpy', 100)]:.2f}x "
            f"(+{results[('torch', 100)] - results[('numpy', 100)]:.0f} MiB)"
        )


# ----------------------------------------------------------------------------- compile probe
PROBE_CODE = r"""
import time, torch, torch.nn as nn
t0 = time.perf_counter()
m = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))
lf = nn.MSELoss(); opt = torch.optim.SGD(m.parameters(), lr=0.01)
f = torch.compile(lambda a, b: lf(m(a), b), fullgraph=True)
x, y = torch.randn(4, 16), torch.randn(4, 1)
for _ in range(3):
    opt.zero_grad(set_to_none=True); l = f(x, y); l.backward(); opt.step()
print("probe-ok %.1f" % (time.perf_counter() - t0))
"""


def probe_compile(timeout):
    try:
        p = subprocess.run(
            [sys.executable, "-c", PROBE_CODE], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return False, f"probe compile took over {timeout}s"
    lines = p.stdout.strip().splitlines()
    if p.returncode == 0 and lines and lines[-1].startswith("probe-ok"):
        return True, f"probe compile {lines[-1].split()[1]}s"
    err = (p.stderr.strip().splitlines() or ["no output"])[-1]
    return False, "probe failed: " + _scrub(err)[:200]


# ----------------------------------------------------------------------------- report
def machine_summary():
    """'<cpu model>, <n> logical CPUs, ISA <flags>, <os>' for the report."""
    model, isa = "?", "?"
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        model = next(
            (ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "?"
        )
        flags = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
        isa = ",".join(x for x in ("avx2", "fma", "avx512f") if f" {x}" in flags) or "-"
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, ISA {isa}, {platform.system()} {platform.release()}"


def versions_summary(backends):
    """Library versions (and densenn's SIMD level, when it says) for the report."""
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    try:
        import threadpoolctl

        blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            parts[-1] += (
                f" ({blas[0].get('internal_api')} {blas[0].get('version')}, {blas[0].get('architecture')})"
            )
    except Exception:  # pragma: no cover
        pass
    if "torch" in sys.modules:
        parts.append(f"PyTorch {sys.modules['torch'].__version__}")
    if "densenn" in backends:
        import densenn as dn

        level = (
            dn.simd_level() if hasattr(dn, "simd_level") else os.environ.get("DENSENN_SIMD", "best available")
        )
        parts.append(f"densenn {dn.__version__} (SIMD {level})")
    return ", ".join(parts)


def markdown_report(report):
    """The results as Markdown: time per call of each backend and densenn's speed-ups, then the
    layer kernels' GFLOP/s against NumPy's matmul."""
    lines = [
        f"Measured {report['date'].replace('T', ' ')} on {report['machine']}; {report['versions']}.",
        f"Command: `{report['command']}`. Median time per call in microseconds; "
        "speed-up = other backend's time / densenn's time (> 1: densenn is faster).",
    ]
    if report["max_other_cpu_pct"] > 5:
        lines.append(
            f"Other processes used up to {report['max_other_cpu_pct']:.0f}% of the machine during a "
            "measurement: those numbers are noisy."
        )
    times = {(r["threads"], r["config"], r["mode"], r["backend"]): r["median_us"] for r in report["results"]}
    backends = [b for b in ALL_BACKENDS if any(k[3] == b for k in times)]
    others = [b for b in backends if b != "densenn"]
    head = ["config", "mode", "threads"] + [f"{b} µs" for b in backends]
    if "densenn" in backends:
        head += [f"vs {b}" for b in others]
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * (len(head) - 3)]
    keys = sorted({k[:3] for k in times}, key=lambda k: (list(CONFIGS).index(k[1]), k[2] != "train", k[0]))
    for t, c, m in keys:
        label = "infer b=1" if (c == "tiny" and m == "infer") else m
        cells = [c, label, str(t)]
        cells += [f"{times[(t, c, m, b)]:.1f}" if (t, c, m, b) in times else "-" for b in backends]
        mine = times.get((t, c, m, "densenn"))
        if "densenn" in backends:
            cells += [
                f"{times[(t, c, m, b)] / mine:.2f}×" if mine and (t, c, m, b) in times else "-"
                for b in others
            ]
        lines.append("| " + " | ".join(cells) + " |")
    if report.get("kernels"):
        cfg = CONFIGS["L"]
        lines += [
            "",
            f"Dense layer products at the L shape (batch {cfg['batch']}, {cfg['sizes'][0]} -> "
            f"{cfg['sizes'][1]}), GFLOP/s: densenn's own kernels (Dense.predict, Dense.backward) "
            "against NumPy's matmul.",
            "",
            "| product | threads | NumPy GFLOP/s | densenn GFLOP/s | densenn / NumPy |",
            "|---|---:|---:|---:|---:|",
        ]
        for k in report["kernels"]:
            lines.append(
                f"| {k['product']} | {k['threads']} | {k['numpy']:.1f} | {k['densenn']:.1f} | "
                f"{k['densenn'] / k['numpy']:.0%} |"
            )
    return "\n".join(lines) + "\n"


def header(args, backends):
    out("# densenn benchmark: MLP train step and inference")
    out(f"date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S')}")
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
        isa = ",".join(
            x for x in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni") if f" {x}" in flags
        )
    except OSError:
        isa = "?"
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    out(
        f"machine: {model}, {os.cpu_count()} logical CPUs, {mem} RAM, ISA {isa}, "
        f"{platform.system()} {platform.release()}"
    )
    out(f"python {platform.python_version()}, numpy {np.__version__}")
    try:
        import threadpoolctl

        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                out(
                    f"numpy BLAS: {info.get('internal_api')} {info.get('version')}, "
                    f"kernel/architecture {info.get('architecture')}, "
                    f"threading {info.get('threading_layer')}, default threads {info.get('num_threads')}"
                )
    except Exception as e:  # pragma: no cover
        out(f"threadpoolctl unavailable: {_scrub(e)}")
    if any(b.startswith("torch") for b in backends):
        import torch

        out(
            f"torch {torch.__version__}: cpu capability {torch.backends.cpu.get_cpu_capability()}, "
            f"MKL {torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}, "
            f"interop threads {torch.get_num_interop_threads()}"
        )
    for v in ENV_VARS:
        out(f"env {v}={os.environ.get(v, '<unset>')}")
    try:
        with open("/proc/loadavg") as f:
            out(f"load average at start: {' '.join(f.read().split()[:3])}")
    except OSError:
        pass
    busy = busy_processes()
    out("other busy processes at start: " + (", ".join(f"{n} {p:.0f}%" for _, p, n in busy) or "none"))
    out(
        f"settings: configs {','.join(args.configs)}; backends {','.join(backends)}; "
        f"threads {','.join(map(str, args.threads))}; min {args.min_time}s of timed calls per "
        f"measurement, >= {args.rounds} interleaved rounds, warm-up {args.warmup}s; lr {LR}; float32"
    )
    out(
        "timing: median of per-call wall times (perf_counter_ns); each block = 1 untimed call + n "
        "timed calls, gc disabled inside a block; torch inference timed inside torch.inference_mode()"
    )
    out(
        "columns: median_us = median time per call; vs_torch = time / torch-eager time (<1 = faster "
        "than torch); GFLOP/s = train 6*batch*sum(in*out) / t, infer 2*batch*sum(in*out) / t; "
        "spread% = (max - min of per-round medians) / median; calls = timed calls; p99 for tiny"
    )


def print_table(threads, cfg_name, cfg, mode, res, notes):
    tref = res.get("torch", {}).get("median_ns")
    for name, r in res.items():
        us = r["median_ns"] / 1e3
        ratio = f"{r['median_ns'] / tref:6.2f}x" if tref else "     -"
        gf = flops(cfg, mode) / r["median_ns"]  # FLOP per ns == GFLOP/s
        label = mode if not (cfg_name == "tiny" and mode == "infer") else "infer b=1"
        extra = f" p99 {r['p99_ns'] / 1e3:.1f}us" if cfg_name == "tiny" else ""
        note = f" {notes.get(name)}" if notes.get(name) else ""
        out(
            f"{threads:>2d} {cfg_name:5s} {label:10s} {name:15s} {us:11.1f} {ratio:>8s} {gf:8.2f} "
            f"{r['spread'] * 100:7.1f} {r['n']:7d}{extra}{note}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="tiny,S,M,L", help="comma list from tiny,S,M,L")
    ap.add_argument(
        "--backends", default=",".join(ALL_BACKENDS), help="comma list from " + ",".join(ALL_BACKENDS)
    )
    ap.add_argument("--threads", default="1,2", help="comma list of thread counts (default 1,2)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="short run: 0.2s per measurement, 3 rounds, "
        "no RSS, peak at 1024 only, at most 60s of waiting for a quiet machine",
    )
    ap.add_argument("--min-time", type=float, default=1.2, help="seconds of timed calls per measurement")
    ap.add_argument("--rounds", type=int, default=7, help="minimum interleaved rounds")
    ap.add_argument("--warmup", type=float, default=0.3, help="warm-up seconds per backend and mode")
    ap.add_argument(
        "--noise-limit",
        type=float,
        default=5.0,
        help="max %% of machine CPU other processes may use during a measurement",
    )
    ap.add_argument(
        "--retries",
        type=int,
        default=6,
        help="max re-measurements of a noisy measurement (bounded by --max-wait-total)",
    )
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=300,
        help="max seconds to wait for a quiet machine, at start and before a re-measurement",
    )
    ap.add_argument(
        "--max-wait-total",
        type=float,
        default=1800,
        help="max seconds spent waiting for a quiet machine over the whole run",
    )
    ap.add_argument("--no-peak", action="store_true", help="skip the matmul GFLOP/s measurement")
    ap.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    ap.add_argument(
        "--no-kernels", action="store_true", help="skip the Dense layer kernel GFLOP/s at the L shape"
    )
    ap.add_argument("--rss-reps", type=int, default=3)
    ap.add_argument("--json", metavar="FILE", help="also write the timing results as JSON to FILE")
    ap.add_argument("--markdown", metavar="FILE", help="also write the Markdown summary table to FILE")
    ap.add_argument(
        "--from-json",
        metavar="FILE",
        help="measure nothing: print the Markdown summary of a JSON file written by --json",
    )
    ap.add_argument(
        "--compile-timeout", type=int, default=240, help="seconds allowed for the torch.compile probe"
    )
    ap.add_argument("--rss-worker", help=argparse.SUPPRESS)
    ap.add_argument("--rss-steps", type=int, default=100, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.from_json:
        with open(args.from_json) as f:
            print(markdown_report(json.load(f)))
        return
    args.threads = [int(t) for t in args.threads.split(",") if t]
    if args.rss_worker:
        rss_worker(args.rss_worker, args.rss_steps, args.threads[0])
        return
    args.configs = [c for c in args.configs.split(",") if c]
    for c in args.configs:
        if c not in CONFIGS:
            ap.error(f"unknown config {c}")
    wanted = [b for b in args.backends.split(",") if b]
    for b in wanted:
        if b not in ALL_BACKENDS:
            ap.error(f"unknown backend {b}")
    if args.quick:
        args.min_time, args.rounds, args.warmup, args.no_rss = 0.2, 3, 0.1, True
        args.wait_quiet, args.max_wait_total = min(args.wait_quiet, 10), min(args.max_wait_total, 60)

    # Which backends can run here.
    backends, skipped, skipped_note = [], {}, ""
    for b in wanted:
        if b == "densenn":
            try:
                import densenn  # noqa: F401
            except Exception as e:
                skipped[b] = f"import densenn failed ({type(e).__name__})"
                continue
        if b.startswith("torch"):
            try:
                import torch  # noqa: F401
            except Exception as e:
                skipped[b] = f"import torch failed ({type(e).__name__})"
                continue
        if b == "torch-compiled":
            ok, why = probe_compile(args.compile_timeout)
            if not ok:
                skipped[b] = why
                continue
            skipped_note = why
        backends.append(b)

    header(args, backends)
    for b, why in skipped.items():
        out(f"backend {b}: skipped: {why}")
    if "torch-compiled" in backends:
        out(
            f"backend torch-compiled: enabled ({skipped_note}); torch.compile(fullgraph=True) of "
            "model+loss (train) and of the model (inference); optimizer step eager"
        )

    _WAIT_BUDGET[0] = args.max_wait_total
    waited, busy = wait_quiet(args.wait_quiet, args.noise_limit)
    out(f"waited {waited:.0f}s for a quiet machine (other processes now {busy:.1f}% of the machine)")
    th = Threads()
    pm = CpuMonitor()
    if not args.no_peak:
        out("\n== Practical machine peak: float32 matmul C = A @ B (n x n), GFLOP/s = 2n^3/t ==")
        sizes = [1024] if args.quick else [1024, 2048]
        libs = ["numpy"] + (["torch.mm"] if "torch" in sys.modules else [])
        for t in args.threads:
            th.set(t)
            for lib in libs:
                for n in sizes:
                    (med, best, cnt), other, _ = quiet_measure(
                        lambda n=n, lib=lib: matmul_gflops(
                            n, args.min_time, "numpy" if lib == "numpy" else "torch"
                        ),
                        pm,
                        args,
                        f"matmul {n}",
                    )
                    out(
                        f"threads {t}  {lib:8s} n={n:5d}: median {med:7.1f} GFLOP/s, best {best:7.1f} "
                        f"GFLOP/s ({cnt} calls; other processes {other:.0f}% CPU)"
                    )

    kernel_rates = []
    if not args.no_kernels and "densenn" in backends and "L" in args.configs:
        cfg = CONFIGS["L"]
        out(
            f"\n== Dense layer products at the L shape (batch {cfg['batch']}, {cfg['sizes'][0]} -> "
            f"{cfg['sizes'][1]}): NumPy matmul vs densenn's own kernels, GFLOP/s =="
        )
        for t in args.threads:
            th.set(t)
            dn_threads(t)
            rates, other, _ = quiet_measure(
                lambda: layer_kernel_rates(cfg, args.min_time, args.rounds, args.warmup), pm, args, "kernels"
            )
            for name, r in rates.items():
                kernel_rates.append(dict(threads=t, product=name, other_cpu_pct=other, **r))
                out(
                    f"threads {t}  {name:22s}: numpy {r['numpy']:7.1f}, densenn {r['densenn']:7.1f} "
                    f"GFLOP/s ({r['densenn'] / r['numpy']:.0%} of numpy; other processes {other:.0f}% CPU)"
                )

    all_results = {}
    mon = CpuMonitor()
    for t in args.threads:
        th.set(t)
        out(f"\n== threads = {t} ==")
        out(
            f"{'th':>2s} {'cfg':5s} {'mode':10s} {'backend':15s} {'median_us':>11s} {'vs_torch':>8s} "
            f"{'GFLOP/s':>8s} {'spread%':>7s} {'calls':>7s}"
        )
        for cname in args.configs:
            cfg = CONFIGS[cname]
            weights, x, y = make_problem(cfg)
            impls, notes = {}, {}
            ref = build_numpy(cfg, weights, x, y, t)
            ref_loss = float(ref.train())
            ref_params = ref.params()
            ref_out = np.asarray(ref.infer())
            for b in backends:
                try:
                    impl = BUILDERS[b](cfg, weights, x, y, t)
                    ok, msg = cross_check(b, impl, ref_loss, ref_params, ref_out, _ctx(impl))
                    out(
                        f"   check {cname} {b}: {'OK' if ok else 'MISMATCH'}: {msg}"
                        + (f" [{impl.note}]" if impl.note else "")
                    )
                    impls[b] = impl
                    notes[b] = "" if ok else "(check mismatch)"
                except Exception as e:
                    out(f"   {cname} {b}: skipped: {type(e).__name__}: {_scrub(e).splitlines()[0][:200]}")
            for mode in ("train", "infer"):
                fns = {
                    b: (
                        (i.train if mode == "train" else i.infer),
                        (lambda i=i: _ctx(i)) if mode == "infer" else _Null,
                    )
                    for b, i in impls.items()
                }
                res, other, steal = quiet_measure(
                    lambda fns=fns: measure_interleaved(fns, args.min_time, args.rounds, args.warmup),
                    mon,
                    args,
                    f"{cname} {mode}",
                )
                all_results[(t, cname, mode)] = res
                print_table(t, cname, cfg, mode, res, notes)
                flag = "  <-- machine not quiet, numbers above unreliable" if other > 5 else ""
                out(f"   (other processes {other:.1f}% of machine CPU, steal {steal:.1f}%){flag}")
            for b, impl in impls.items():  # training must not have blown up
                lv = impl.train()
                lv = float(lv.detach() if hasattr(lv, "detach") else lv)
                if not math.isfinite(lv):
                    out(f"   WARNING {cname} {b}: loss not finite after timing ({lv})")
            del impls
            gc.collect()

    # Compact summary: ratios vs torch, per thread setting.
    out("\n== Summary: median time in us (ratio vs torch eager; >1 = slower than torch) ==")
    for (t, cname, mode), res in all_results.items():
        tref = res.get("torch", {}).get("median_ns")
        cells = []
        for b, r in res.items():
            cells.append(
                f"{b} {r['median_ns'] / 1e3:.1f}" + (f" ({r['median_ns'] / tref:.2f}x)" if tref else "")
            )
        out(f"th{t} {cname:4s} {mode:5s}: " + "; ".join(cells))

    if not args.no_peak:  # same kernel as at the start: did the machine's speed drift during the run?
        th.set(1)
        (med, best, cnt), other, _ = quiet_measure(
            lambda: matmul_gflops(1024, args.min_time), pm, args, "matmul 1024"
        )
        out(
            f"\nend-of-run drift check: threads 1 numpy n= 1024: median {med:7.1f} GFLOP/s, best "
            f"{best:7.1f} GFLOP/s ({cnt} calls; other processes {other:.0f}% CPU)"
        )
    out(
        f"\nmax CPU share used by other processes during any measurement: {mon.worst:.1f}% "
        "of the machine" + ("  <-- rerun on a quiet machine" if mon.worst > 5 else "")
    )
    rows = [
        dict(
            threads=t,
            config=c,
            mode=m,
            backend=b,
            median_us=r["median_ns"] / 1e3,
            p99_us=r["p99_ns"] / 1e3,
            spread=r["spread"],
            calls=r["n"],
            gflops=flops(CONFIGS[c], m) / r["median_ns"],
        )
        for (t, c, m), res in all_results.items()
        for b, r in res.items()
    ]
    report = dict(
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        command=_scrub(" ".join(["python benchmarks/bench_mlp.py"] + sys.argv[1:])),
        machine=machine_summary(),
        versions=versions_summary(backends),
        max_other_cpu_pct=mon.worst,
        results=rows,
        kernels=kernel_rates,
    )
    markdown = markdown_report(report)
    out("\n== Markdown summary ==\n" + markdown)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    if not args.no_rss:
        rss_backends = [b for b in ("numpy", "torch", "densenn") if b in backends]
        run_rss(rss_backends, max(args.threads), args.rss_reps)
    out("\ndone.")


if __name__ == "__main__":
    main()
