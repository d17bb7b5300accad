#!/usr/bin/env python3
"""Runs chainrule, SymPy and SymEngine on the same workloads in one run and prints the ratios.

Usage (see BENCHMARKS.md):

    python3 -m venv .venv && .venv/bin/pip install -r bench/requirements.txt
    cargo build --release --example bench_json
    .venv/bin/python bench/compare.py                 # the full comparison, about 10 minutes
    .venv/bin/python bench/compare.py --quick         # smaller sizes, about 1 minute
    .venv/bin/python bench/compare.py --json out.json # also keep the raw numbers
    .venv/bin/pip install ./python && .venv/bin/python bench/compare.py --lambdify-only

Workloads (the same expressions as benches/common/mod.rs builds in Rust):
  chain     the full symbolic gradient of E = (y - w_n*s(w_{n-1}*s(... s(w_1*x))))^2,
            s = sigmoid (or tanh), by all n weights; the expression is built untimed.
            SymPy and SymEngine differentiate by each weight in turn (they have no
            whole-gradient operation); chainrule runs one reverse sweep (diff::gradient).
  nested    d/dx of e <- e^2 + e applied 1000 times to x (built untimed).
  small     parse + differentiate + print sin(x^2) and (x^2+1)/(x-1).
  batch     value and gradient of the n = 100 sigmoid chain at 10^5 random points in f64:
            chainrule's compiled tape, SymEngine's Lambdify (LLVM backend, cse), and a
            hand-written NumPy forward and backward pass.
  mlp       issue 12: the f64 gradient (by W1 and W2) of a 784 -> 256 -> 10 sigmoid MLP with
            squared loss over a batch of 128 inputs, E = sum((Y - W2*sigmoid(W1*X)).^2),
            X: 784x128, Y: 10x128; NumPy (OpenBLAS) forward and backward by hand, against
            chainrule's f64 evaluation of its symbolic gradients (see chainrule_mlp) at the
            same matrices, checked against NumPy's first. `--mlp-only` runs this workload
            alone (NumPy and the Rust runner; no SymPy or SymEngine).
  lambdify  issue 17: the Python package's lambdify (the compiled tape, called from Python on
            NumPy arrays) against sympy.lambdify (NumPy backend, cse) and the hand-written
            NumPy pass, for the value and gradient of the n = 10 and n = 100 sigmoid chains
            at 10^5 points. Needs the package built in release (`pip install ./python`).
            `--lambdify-only` runs this workload alone (chainrule, SymPy and NumPy).
  program   issue 16: the command line on a program file, `chainrule backprop FILE --format
            json` on the n-layer sigmoid chain as a program of 2n definitions with its point
            (values in MPFR, checked at two precisions, every formula printed in text and
            LaTeX), n = 10^3, 10^4, 10^5: wall time, CPU time and peak memory of the process,
            against SymEngine's bare symbolic gradient of the 100-layer chain (no parsing, no
            values, no printing) in the same run. `--program-only` runs this workload alone
            (needs `cargo build --release` and the runner; SymEngine).
Each peer measurement runs in a subprocess with a time limit; a peer that runs out of time
at one size is not tried at larger ones.
"""

import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "target", "release", "examples", "bench_json")


# ----------------------------------------------------------------------------- chainrule

def chainrule(*args, once=False):
    """Runs the Rust runner; returns its JSON (median seconds, peak memory, ...)."""
    env = dict(os.environ)
    if once:
        env["BENCH_ONCE"] = "1"
    out = subprocess.run([RUNNER, *map(str, args)], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


# ----------------------------------------------------------------------------- peers

def chain_expr(lib, n, act):
    x, y = lib.symbols("x y")
    ws = lib.symbols(" ".join(f"w{k}" for k in range(1, n + 1)))
    ws = list(ws) if n > 1 else [ws]
    if act == "sigmoid":
        s = lambda t: 1 / (1 + lib.exp(-t))  # noqa: E731  (neither library has sigmoid)
    else:
        s = lib.tanh
    a = x
    for k in range(n):
        z = ws[k] * a
        a = s(z) if k < n - 1 else z
    return (y - a) ** 2, ws, [x, y]


def peer_chain(lib_name, n, act):
    lib = __import__(lib_name)
    e, ws, _ = chain_expr(lib, n, act)
    t = time.perf_counter()
    grads = [lib.diff(e, w) for w in ws]
    return time.perf_counter() - t


def peer_nested(lib_name, depth):
    lib = __import__(lib_name)
    x = lib.Symbol("x")
    e = x
    for _ in range(depth):
        e = e**2 + e
    t = time.perf_counter()
    lib.diff(e, x)
    return time.perf_counter() - t


def peer_small(lib_name, src):
    lib = __import__(lib_name)

    def run(reps=200):
        for _ in range(reps):
            e = lib.sympify(src.replace("^", "**"))
            str(lib.diff(e, lib.Symbol("x")))

    return best_of(run) / 200


def random_points(n, points):
    import numpy as np

    rng = np.random.default_rng(1)
    return rng.uniform(-1, 1, size=(n + 2, points))  # rows: x, y, w1 .. wn


def numpy_chain_gradient(n, points):
    """Hand-written forward and backward pass over all points at once (NumPy)."""
    import numpy as np

    data = random_points(n, points)
    x, y, W = data[0], data[1], data[2:]

    def run():
        a = [x]
        for k in range(n - 1):
            a.append(1.0 / (1.0 + np.exp(-(W[k] * a[-1]))))
        r = W[n - 1] * a[-1] - y
        value = r * r
        grads = np.empty((n, points))
        d = 2.0 * r
        grads[n - 1] = d * a[n - 1]
        da = d * W[n - 1]
        for k in range(n - 2, -1, -1):
            s = a[k + 1]
            dz = da * s * (1.0 - s)
            grads[k] = dz * a[k]
            da = dz * W[k]
        return value, grads

    return best_of(run)


MLP_SIZES = {"inputs": 784, "hidden": 256, "outputs": 10, "batch": 128}


def mlp_data(inputs=784, hidden=256, outputs=10, batch=128):
    """X, Y, W1, W2 of the MLP workload, uniform in [-1, 1) (the weights scaled by
    1/sqrt(fan-in), so that the hidden units are not all saturated), seeded: the chainrule
    side must evaluate at these same matrices (save them with numpy.save, or pass the seed)."""
    import numpy as np

    rng = np.random.default_rng(12)
    X = rng.uniform(-1, 1, size=(inputs, batch))
    Y = rng.uniform(-1, 1, size=(outputs, batch))
    W1 = rng.uniform(-1, 1, size=(hidden, inputs)) / np.sqrt(inputs)
    W2 = rng.uniform(-1, 1, size=(outputs, hidden)) / np.sqrt(hidden)
    return X, Y, W1, W2


def numpy_mlp_pass(X, Y, W1, W2):
    """E = sum((Y - W2 @ sigmoid(W1 @ X))**2) and its gradients by W1 and W2, by hand."""
    import numpy as np

    H = 1.0 / (1.0 + np.exp(-(W1 @ X)))       # 256 x 128
    R = Y - W2 @ H                             # 10 x 128
    E = np.sum(R * R)
    dOut = -2.0 * R                            # dE/d(W2 H)
    gW2 = dOut @ H.T                           # 10 x 256
    dZ = (W2.T @ dOut) * H * (1.0 - H)         # dE/d(W1 X), 256 x 128
    gW1 = dZ @ X.T                             # 256 x 784
    return E, gW1, gW2


def numpy_mlp_gradient(sizes):
    """Seconds for one forward and backward pass (the median of best_of); checks one
    gradient entry of each matrix against a central difference first, so that the time is
    of a correct gradient."""
    import numpy as np

    X, Y, W1, W2 = mlp_data(**sizes)
    _, gW1, gW2 = numpy_mlp_pass(X, Y, W1, W2)
    for W, g, (i, j) in [(W1, gW1, (3, 5)), (W2, gW2, (7, 11))]:
        h = 1e-6
        saved = W[i, j]
        W[i, j] = saved + h
        up = numpy_mlp_pass(X, Y, W1, W2)[0]
        W[i, j] = saved - h
        down = numpy_mlp_pass(X, Y, W1, W2)[0]
        W[i, j] = saved
        fd = (up - down) / (2 * h)
        if not np.isclose(fd, g[i, j], rtol=1e-5, atol=1e-7):
            raise AssertionError(f"NumPy MLP gradient {g[i, j]} but central difference {fd}")
    return best_of(lambda: numpy_mlp_pass(X, Y, W1, W2), repeat=20)


def chainrule_mlp(sizes):
    """chainrule's side of the MLP workload, at mlp_data()'s matrices: the runner reads them
    from a temporary folder, builds the symbolic gradients by W1 and W2 (parse, lower,
    matrix::gradient; timed apart as `mlp_symbolic`), writes the gradients it evaluates
    before timing, and times eval::matrix::evaluate_f64 of both (the DAG built, the matrices
    in memory: the evaluation alone, as NumPy's pass is timed). The gradients are checked
    against NumPy's here: max |ours - NumPy| / max |NumPy| must be at most 1e-10 for each,
    else the time is not reported. Returns a dict of times and differences."""
    import tempfile

    import numpy as np

    X, Y, W1, W2 = mlp_data(**sizes)
    _, gW1, gW2 = numpy_mlp_pass(X, Y, W1, W2)
    dims = [sizes["inputs"], sizes["hidden"], sizes["outputs"], sizes["batch"]]
    with tempfile.TemporaryDirectory() as tmp:
        for name, m in [("X", X), ("Y", Y), ("W1", W1), ("W2", W2)]:
            np.ascontiguousarray(m, dtype="<f8").tofile(os.path.join(tmp, f"{name}.f64"))
        run = chainrule("mlp_gradient", *dims, tmp)
        ours = {}
        for name, want in [("W1", gW1), ("W2", gW2)]:
            got = np.fromfile(os.path.join(tmp, f"g{name}.f64"), dtype="<f8").reshape(want.shape)
            ours[name] = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
        by_hand = chainrule("mlp_by_hand", *dims, tmp)["median"]
    symbolic = chainrule("mlp_symbolic", *dims)["median"]
    wrong = {n: d for n, d in ours.items() if not d <= 1e-10}
    if wrong:
        print(f"  (chainrule's MLP gradient differs from NumPy's: {wrong}; its time is not reported)",
              file=sys.stderr)
    return {"evaluate": None if wrong else run["median"], "symbolic": symbolic,
            "kernels_by_hand": by_hand, "relative_difference": ours}


def mlp_section(timeout, results):
    sizes = MLP_SIZES
    print(f"## Gradient of a {sizes['inputs']}->{sizes['hidden']}->{sizes['outputs']} sigmoid MLP, "
          f"squared loss, batch {sizes['batch']} (f64; issue 12)\n")
    np_t = limited(numpy_mlp_gradient, sizes, timeout=timeout)
    # ---------------------------------------------------------------- issue 12
    # chainrule's side, in this same run, at the same matrices (chainrule_mlp).
    if os.path.exists(RUNNER):
        ours = chainrule_mlp(sizes)
    else:
        print(f"  ({RUNNER} is missing: `cargo build --release --example bench_json`)", file=sys.stderr)
        ours = {"evaluate": None, "symbolic": None, "kernels_by_hand": None, "relative_difference": None}
    results["mlp"] = {**sizes, "numpy": np_t, "chainrule": ours}
    print("| | time | NumPy / this |\n|---|---|---|")
    print(f"| NumPy, hand-written forward + backward | {fmt(np_t)} | 1.0× |")
    ev = ours["evaluate"]
    print(f"| chainrule, f64 evaluation of the symbolic ∇W1, ∇W2 | "
          f"{fmt(ev) if ev is not None else 'not measured'} | {ratio(np_t, ev)} |")
    kh = ours["kernels_by_hand"]
    print(f"| chainrule's dense kernels, pass written by hand | "
          f"{fmt(kh) if kh is not None else 'not measured'} | {ratio(np_t, kh)} |")
    if ours["symbolic"] is not None:
        d = ours["relative_difference"]
        print(f"\nBuilding the symbolic gradients (parse, lower, ∇ by W1 and W2): {fmt(ours['symbolic'])}. "
              f"Largest difference from NumPy's gradient, relative to its largest entry: "
              f"∇W1 {d['W1']:.1e}, ∇W2 {d['W2']:.1e}.\n")


def symengine_lambdify_gradient(n, points):
    import numpy as np
    import symengine as se

    e, ws, xy = chain_expr(se, n, "sigmoid")
    grads = [se.diff(e, w) for w in ws]
    t = time.perf_counter()
    f = se.Lambdify(xy + ws, [e] + grads, backend="llvm", cse=True)
    compile_s = time.perf_counter() - t
    data = np.ascontiguousarray(random_points(n, points).T)  # one point per row
    return best_of(lambda: f(data)), compile_s


def best_of(run, repeat=5):
    """The median time of `repeat` runs, after one run to warm up."""
    run()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def _call(q, fn, args):
    # Deep expressions recurse deeply in SymPy and SymEngine's Python layer: run in a thread
    # with a large stack and a high recursion limit.
    import threading

    def work():
        try:
            q.put(("ok", fn(*args)))
        except Exception as exc:  # report, do not hang
            q.put(("error", repr(exc)))

    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    t = threading.Thread(target=work)
    t.start()
    t.join()


def limited(fn, *args, timeout):
    """fn(*args) in a subprocess; None when it takes longer than `timeout` seconds."""
    q = mp.Queue()
    p = mp.Process(target=_call, args=(q, fn, args))
    p.start()
    p.join(timeout)
    if p.is_alive():
        p.kill()
        p.join()
        return None
    if q.empty():
        print(f"  ({fn.__name__}{args} crashed)", file=sys.stderr)
        return None
    status, value = q.get()
    if status != "ok":
        print(f"  ({fn.__name__}{args}: {value})", file=sys.stderr)
        return None
    return value


# ----------------------------------------------------------------------------- lambdify (issue 17)

def chain_text(n):
    """The sigmoid chain in chainrule's syntax, the same function as chain_expr builds."""
    a = "x"
    for k in range(1, n + 1):
        z = f"w{k}*{a}" if k == 1 else f"w{k}*({a})"
        a = f"sigmoid({z})" if k < n else z
    return f"(y - {a})^2"


def chainrule_lambdify_gradient(n, points):
    """chainrule.lambdify(…, gradient=True) of the chain, called on NumPy rows x, y, w1 .. wn;
    (median seconds per call, seconds to compile, the result for the cross-check)."""
    import chainrule

    data = random_points(n, points)
    names = ["x", "y"] + [f"w{k}" for k in range(1, n + 1)]
    t = time.perf_counter()
    f = chainrule.lambdify(chain_text(n), names, gradient=True)
    compile_s = time.perf_counter() - t
    value, grad = f(*data)
    return best_of(lambda: f(*data)), compile_s, value, grad[2:]


def sympy_lambdify_gradient(n, points):
    """sympy.diff by each weight, then sympy.lambdify (NumPy backend, cse) of the value and
    the n partials; (median seconds per call, seconds to differentiate and compile)."""
    import sympy

    e, ws, (x, y) = chain_expr(sympy, n, "sigmoid")
    t = time.perf_counter()
    grads = [sympy.diff(e, w) for w in ws]
    f = sympy.lambdify([x, y, *ws], [e, *grads], "numpy", cse=True)
    compile_s = time.perf_counter() - t
    data = random_points(n, points)
    return best_of(lambda: f(*data)), compile_s


def lambdify_section(timeout, results):
    import numpy as np

    points = 100_000
    print(f"## lambdify: value and gradient of the sigmoid chain at {points:,} points (f64, issue 17)\n")
    print("| n | chainrule.lambdify | compile | sympy.lambdify (cse) | differentiate + compile "
          "| NumPy by hand | SymPy / chainrule | NumPy / chainrule |")
    print("|---|---|---|---|---|---|---|---|")
    results["lambdify"] = []
    for n in (10, 100):
        ours, ours_compile, value, grad = chainrule_lambdify_gradient(n, points)
        # The same numbers as the hand-written pass (up to rounding: different exp, order).
        data = random_points(n, points)
        x, y, W = data[0], data[1], data[2:]
        a = [x]
        for k in range(n - 1):
            a.append(1.0 / (1.0 + np.exp(-(W[k] * a[-1]))))
        ref = (y - W[n - 1] * a[-1]) ** 2
        assert np.allclose(value, ref, rtol=1e-12, atol=1e-300), "lambdify disagrees with NumPy"
        np_t = limited(numpy_chain_gradient, n, points, timeout=timeout)
        sp = limited(sympy_lambdify_gradient, n, points, timeout=timeout)
        sp_t, sp_compile = sp if sp else (None, None)
        results["lambdify"].append({"n": n, "points": points, "chainrule": ours,
                                    "chainrule_compile": ours_compile, "sympy": sp_t,
                                    "sympy_diff_compile": sp_compile, "numpy": np_t})
        print(f"| {n} | {fmt(ours)} | {fmt(ours_compile)} | {fmt(sp_t)} | {fmt(sp_compile)} "
              f"| {fmt(np_t)} | {ratio(sp_t, ours)} | {ratio(np_t, ours)} |")
    print()


# ----------------------------------------------------------------------------- report

def fmt(s):
    if s is None:
        return "timeout"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


BINARY = os.path.join(ROOT, "target", "release", "chainrule")


def run_measured(argv):
    """Runs argv with its output discarded; (wall seconds, CPU seconds, peak RSS in MB)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed: {p.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def program_section(sizes, results):
    """Issue 16: `chainrule backprop FILE --format json` against SymEngine's n = 100 gradient."""
    import tempfile

    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run `cargo build --release` first")
    se = min(peer_chain("symengine", 100, "sigmoid") for _ in range(3))
    print("## Programs on the command line (issue 16)\n")
    print(f"SymEngine's symbolic gradient of the 100-layer sigmoid chain by its 100 weights, "
          f"best of 3: {fmt(se)}\n")
    print("| n | file | wall (best of 3) | CPU | peak RSS | SymEngine n = 100 / chainrule |")
    print("|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            path = os.path.join(d, f"chain{n}.chain")
            with open(path, "w") as f:
                subprocess.run([RUNNER, "chain_program", str(n)], stdout=f, check=True)
            runs = [run_measured([BINARY, "backprop", path, "--format", "json"])
                    for _ in range(3 if n <= 10_000 else 1)]
            wall, cpu, rss = min(runs)
            size = os.path.getsize(path)
            size = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
            rows.append({"n": n, "wall": wall, "cpu": cpu, "peak_rss_mb": rss})
            print(f"| {n:,} | {size} | {fmt(wall)} | {fmt(cpu)} | {rss:.0f} MB | "
                  f"{se / wall:.2f} |", flush=True)
    print()
    results["program"] = {"symengine_chain_100": se, "chainrule_backprop_json": rows}


def ratio(peer, ours):
    if peer is None or ours is None:
        return "–"
    return f"{peer / ours:,.0f}×" if peer / ours >= 10 else f"{peer / ours:.1f}×"


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes and time limits")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per peer measurement")
    ap.add_argument("--json", help="also write the raw numbers to this file")
    ap.add_argument("--mlp-only", action="store_true",
                    help="only the MLP gradient (issue 12); needs NumPy and the runner")
    ap.add_argument("--lambdify-only", action="store_true",
                    help="only lambdify (issue 17); needs the chainrule package, SymPy and NumPy")
    ap.add_argument("--program-only", action="store_true",
                    help="only programs on the command line (issue 16); needs the release "
                         "binary, the runner and SymEngine")
    args = ap.parse_args()
    if args.program_only:
        import symengine

        if not os.path.exists(RUNNER):
            sys.exit(f"{RUNNER} is missing: run `cargo build --release --example bench_json` first")
        results = {"machine": machine(), "versions": {"symengine": symengine.__version__}}
        print(f"# chainrule backprop vs SymEngine {symengine.__version__} "
              f"({results['machine']['cpu']}, {results['machine']['cores']} cores)\n")
        program_section([1000, 10_000] if args.quick else [1000, 10_000, 100_000], results)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return
    if args.lambdify_only:
        import numpy
        import sympy

        import chainrule

        timeout = args.timeout or (20 if args.quick else 120)
        results = {"machine": machine(), "versions": {
            "sympy": sympy.__version__, "numpy": numpy.__version__, "chainrule": chainrule.__version__}}
        print(f"# lambdify, SymPy {sympy.__version__}, NumPy {numpy.__version__} "
              f"({results['machine']['cpu']}, {results['machine']['cores']} cores)\n")
        lambdify_section(timeout, results)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return
    if args.mlp_only:
        import numpy

        timeout = args.timeout or (20 if args.quick else 120)
        results = {"machine": machine(), "versions": {"numpy": numpy.__version__}}
        print(f"# MLP gradient, NumPy {numpy.__version__} ({results['machine']['cpu']}, "
              f"{results['machine']['cores']} cores)\n")
        mlp_section(timeout, results)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return
    if not os.path.exists(RUNNER):
        sys.exit(f"{RUNNER} is missing: run `cargo build --release --example bench_json` first")
    import numpy
    import sympy
    import symengine

    timeout = args.timeout or (20 if args.quick else 120)
    results = {"machine": machine(), "versions": {
        "sympy": sympy.__version__, "symengine": symengine.__version__, "numpy": numpy.__version__}}
    print(f"# chainrule vs SymPy {sympy.__version__} and SymEngine {symengine.__version__}"
          f" ({results['machine']['cpu']}, {results['machine']['cores']} cores; peer limit {timeout:.0f} s)\n")

    # -- the deep chain's symbolic gradient
    sizes = [10, 30, 100, 300] if args.quick else [10, 30, 100, 300, 1000, 10_000, 100_000]
    results["chain"] = []
    for act in ["sigmoid", "tanh"]:
        print(f"## Symbolic gradient of the {act} chain, all n weights\n")
        print("| n | chainrule | SymEngine | SymPy | vs SymEngine | vs SymPy |")
        print("|---|---|---|---|---|---|")
        gave_up = set()
        for n in sizes:
            ours = chainrule("chain_gradient", act, n)["median"]
            row = {"act": act, "n": n, "chainrule": ours}
            for lib in ["symengine", "sympy"]:
                t = None
                if lib not in gave_up and n <= 1000:
                    t = limited(peer_chain, lib, n, act, timeout=timeout)
                if t is None:
                    gave_up.add(lib)
                row[lib] = t
            results["chain"].append(row)
            print(f"| {n} | {fmt(ours)} | {fmt(row['symengine'])} | {fmt(row['sympy'])} "
                  f"| {ratio(row['symengine'], ours)} | {ratio(row['sympy'], ours)} |", flush=True)
        print()

    if not args.quick:
        m = chainrule("chain_gradient", "sigmoid", 100_000, once=True)
        results["chain_memory_1e5"] = m["peak_rss"]
        print(f"Peak memory, one n = 10^5 gradient (build and gradient): {m['peak_rss'] / 1e6:.0f} MB\n")

    # -- nested e <- e^2 + e
    print("## d/dx of e <- e^2 + e, depth 1000\n")
    ours = chainrule("nested_diff", 1000)["median"]
    se_t = limited(peer_nested, "symengine", 1000, timeout=timeout)
    sp_t = limited(peer_nested, "sympy", 1000, timeout=timeout)
    results["nested"] = {"chainrule": ours, "symengine": se_t, "sympy": sp_t}
    print("| chainrule | SymEngine | SymPy | vs SymEngine | vs SymPy |\n|---|---|---|---|---|")
    print(f"| {fmt(ours)} | {fmt(se_t)} | {fmt(sp_t)} | {ratio(se_t, ours)} | {ratio(sp_t, ours)} |\n")

    # -- parse + diff + print
    print("## Parse, differentiate, print\n")
    print("| expression | chainrule | SymEngine | SymPy | vs SymEngine | vs SymPy |\n|---|---|---|---|---|---|")
    results["small"] = []
    for src in ["sin(x^2)", "(x^2+1)/(x-1)"]:
        ours = chainrule("parse_diff", src)["median"]
        se_t = limited(peer_small, "symengine", src, timeout=timeout)
        sp_t = limited(peer_small, "sympy", src, timeout=timeout)
        results["small"].append({"expr": src, "chainrule": ours, "symengine": se_t, "sympy": sp_t})
        print(f"| `{src}` | {fmt(ours)} | {fmt(se_t)} | {fmt(sp_t)} | {ratio(se_t, ours)} | {ratio(sp_t, ours)} |")
    print()

    # -- f64 batch
    points = 20_000 if args.quick else 100_000
    cores = os.cpu_count() or 1
    print(f"## Value and gradient of the n = 100 sigmoid chain at {points:,} points (f64)\n")
    ours1 = chainrule("f64_batch", 100, points, 1)
    oursn = chainrule("f64_batch", 100, points, cores)
    fun1 = chainrule("f64_batch_function", 100, points, 1)
    np_t = limited(numpy_chain_gradient, 100, points, timeout=timeout)
    se = limited(symengine_lambdify_gradient, 100, points, timeout=max(timeout, 300))
    se_t, se_compile = se if se else (None, None)
    results["batch"] = {"points": points, "chainrule_1_thread": ours1["median"],
                        f"chainrule_{cores}_threads": oursn["median"], "chainrule_function_1_thread": fun1["median"],
                        "numpy": np_t, "symengine_llvm": se_t, "symengine_llvm_compile": se_compile}
    rate = lambda s: "–" if s is None else f"{points / s / 1e6:.2f} M/s"  # noqa: E731
    print("| | time | points/s |\n|---|---|---|")
    print(f"| chainrule tape, 1 thread | {fmt(ours1['median'])} | {rate(ours1['median'])} |")
    print(f"| chainrule tape, {cores} threads | {fmt(oursn['median'])} | {rate(oursn['median'])} |")
    print(f"| NumPy, hand-written forward + backward | {fmt(np_t)} | {rate(np_t)} |")
    print(f"| SymEngine Lambdify (LLVM, cse) | {fmt(se_t)} | {rate(se_t)} |")
    if se_compile:
        print(f"\n(SymEngine's LLVM compilation of the gradient took {fmt(se_compile)}.)")
    print(f"\nCheap-gradient ratio of the tape, time(value + gradient) / time(value), one thread: "
          f"{ours1['median'] / fun1['median']:.2f}\n")

    # -- the MLP gradient (issue 12)
    mlp_section(timeout, results)

    # -- programs on the command line (issue 16), when the binary is built
    if os.path.exists(BINARY):
        program_section([1000, 10_000] if args.quick else [1000, 10_000, 100_000], results)
    else:
        print(f"({BINARY} is missing: `cargo build --release` for the program workload)\n")

    # -- lambdify from Python (issue 17), when the package is installed
    try:
        import chainrule  # noqa: F401
    except ImportError:
        print("(chainrule's Python package is not installed: `pip install ./python` for lambdify)\n")
    else:
        lambdify_section(timeout, results)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
