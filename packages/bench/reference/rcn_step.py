#!/usr/bin/env python3
"""The RCN training step in PyTorch: the reference that `pnpm bench --reference torch` runs side by side
with ours (packages/bench/src/reference.ts).

It is the same step as packages/core/src/model (rcn.ts, conv4.ts, resnet12.ts, region-grid.ts,
comparison.ts, region-weights.ts) and packages/core/src/train (clip.ts, adam.ts): the support set and the
query set are encoded separately, each normalised with its own batch statistics; regions come from a 5x5
adaptive average pool (Conv4) or every feature-map cell (ResNet-12); r[q, s, k] = max over query regions j
of cos(support region k, query region j); the region-weight network (1x1 convs without bias, BatchNorm,
ReLU: 2C -> 64 -> 1 for Conv4, 2C -> C -> 64 -> 1 for ResNet-12) weights them; a class's score is the mean
over its shots of sum_k w_k r_k; MSE between the softmax and the one-hot labels; gradients clipped per
module (encoder, head) to norm 0.5; Adam, lr 1e-3. Parameter names are our canonical names (the authors'
module paths), so a weight folder exported by ours or the golden tensors load by name.

Modes:
  timing (default): random weights and a seeded random episode; prints one JSON object with the step times.
  --check DIR: loads DIR/weights/<name>.npy (PyTorch layout) and DIR/inputs/{support,query,query_labels}.npy
    (NCHW), computes one step's loss and gradients (before clipping), writes DIR/torch/grads/<name>.npy and
    DIR/torch/loss.npy, and prints one JSON object with the loss.
  --golden ROOT: runs every golden case under ROOT (shared/golden's layout) and prints, per case, the loss's
    and the worst gradient's relative error against the authors' float64 results; writes nothing.

Exit status 3 with a message on stderr when torch or numpy cannot be imported.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backbone", choices=["conv4", "resnet12"], default="conv4")
    p.add_argument("--image-size", type=int, default=84)
    p.add_argument("--way", type=int, default=5)
    p.add_argument("--shot", type=int, default=1)
    p.add_argument("--query", type=int, default=15, help="queries per class")
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--steps", type=int, default=5, help="timed steps")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--widths",
        default=None,
        help="comma-separated backbone widths (default 64,64,64,64 Conv4; 64,160,320,640 ResNet-12)",
    )
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=0.5, help="per-module gradient-norm clipping (0: none)")
    p.add_argument("--check", metavar="DIR", default=None, help="parity mode, see the module docstring")
    p.add_argument("--golden", metavar="ROOT", default=None, help="golden mode, see the module docstring")
    a = p.parse_args(argv)
    for name in ("image_size", "way", "shot", "query", "threads", "steps"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if a.warmup < 0:
        p.error("--warmup must be >= 0")
    if a.widths is None:
        a.widths = [64, 64, 64, 64] if a.backbone == "conv4" else [64, 160, 320, 640]
    else:
        a.widths = [int(w) for w in a.widths.split(",")]
        if len(a.widths) != 4 or min(a.widths) < 1:
            p.error("--widths needs four positive integers")
    return a


try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - the bench reports this as "reference skipped"
    print(f"rcn_step.py: cannot import torch/numpy ({e}); install python3-torch", file=sys.stderr)
    sys.exit(3)


class Conv4(nn.Module):
    """Four blocks of 3x3 conv (bias) -> BatchNorm -> ReLU; 2x2 max-pool after the first two; valid padding in
    the first two convs, same in the last two. BatchNorm momentum 1, as the authors' Conv4."""

    def __init__(self, widths):
        super().__init__()
        c = 3
        for i, w in enumerate(widths):
            mods = [nn.Conv2d(c, w, 3, padding=0 if i < 2 else 1), nn.BatchNorm2d(w, momentum=1.0), nn.ReLU()]
            if i < 2:
                mods.append(nn.MaxPool2d(2))
            setattr(self, f"layer{i + 1}", nn.Sequential(*mods))
            c = w
        self.out_channels = c

    def forward(self, x):
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class ResBlock(nn.Module):
    """Three 3x3 convs (no bias, same padding) with BatchNorm, LeakyReLU after the first two; 1x1 conv +
    BatchNorm shortcut; LeakyReLU after the sum; 2x2 max-pool. No DropBlock (ours has none by default)."""

    def __init__(self, cin, cout, slope):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv3 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.act = nn.LeakyReLU(slope)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        out = self.act(self.bn1(self.conv1(x)))
        out = self.act(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out)) + self.downsample(x)
        return self.pool(self.act(out))


class ResNet12(nn.Module):
    def __init__(self, widths, slope=0.1):
        super().__init__()
        c = 3
        for i, w in enumerate(widths):
            setattr(self, f"layer{i + 1}", nn.Sequential(ResBlock(c, w, slope)))
            c = w
        self.out_channels = c

    def forward(self, x):
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class RCNHead(nn.Module):
    """Regions, comparison, the region-weight network, scoring. `grid`: adaptive-pool side, or None for
    every feature-map cell."""

    def __init__(self, channels, hidden, grid, momentum):
        super().__init__()
        mods = []
        c = 2 * channels
        for h in hidden:
            mods += [nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h, momentum=momentum), nn.ReLU()]
            c = h
        self.meta_learner = nn.Sequential(*mods)
        self.grid = grid

    def regions(self, f):
        if self.grid is not None:
            f = F.adaptive_avg_pool2d(f, self.grid)
        return f.flatten(2).transpose(1, 2)  # [B, R, C]

    def forward(self, sf, qf, way, shot):
        sr, qr = self.regions(sf), self.regions(qf)
        s, r, c = sr.shape
        q = qr.shape[0]
        sn = F.normalize(sr, dim=-1).reshape(s * r, c)
        qn = F.normalize(qr, dim=-1).reshape(q * r, c)
        cos = (sn @ qn.t()).view(s, r, q, r)
        scores = cos.max(dim=-1).values.permute(2, 0, 1)  # [Q, S, R]
        # [support region k ; query region k] for every pair, support first; the 1x1 convs see it as
        # [Q*S, 2C, R, 1], so that BatchNorm's statistics run over all pairs and regions.
        pair = torch.cat([sr.unsqueeze(0).expand(q, s, r, c), qr.unsqueeze(1).expand(q, s, r, c)], dim=-1)
        w = self.meta_learner(pair.reshape(q * s, r, 1, 2 * c).permute(0, 3, 1, 2)).reshape(q, s, r)
        support_score = (w * scores).sum(-1)  # [Q, S]
        class_scores = support_score.view(q, way, shot).mean(-1)
        return F.softmax(class_scores, dim=-1)


class RCN(nn.Module):
    def __init__(self, backbone, widths, image_size):
        super().__init__()
        if backbone == "conv4":
            self.encoder = Conv4(widths)
            c = self.encoder.out_channels
            self.head = RCNHead(c, [64, 1], 5, 1.0)
        else:
            self.encoder = ResNet12(widths)
            c = self.encoder.out_channels
            self.head = RCNHead(c, [c, 64, 1], None, 0.1)
        self.image_size = image_size

    def loss(self, support, query, labels, way, shot):
        # Supports first, then queries: the order in which running statistics are updated.
        sf = self.encoder(support)
        qf = self.encoder(query)
        probs = self.head(sf, qf, way, shot)
        return F.mse_loss(probs, F.one_hot(labels, way).to(probs.dtype))


def init_like_ours(model):
    """He-normal (fan-out) conv kernels, zero conv biases, BatchNorm weight 1 and bias 0: ours' initialisation
    (the values differ, the distributions do not; timings do not depend on them)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def episode(a, generator):
    n_s, n_q = a.way * a.shot, a.way * a.query
    size = (3, a.image_size, a.image_size)
    support = torch.randn((n_s, *size), generator=generator)
    query = torch.randn((n_q, *size), generator=generator)
    labels = torch.arange(a.way).repeat_interleave(a.query)
    return support, query, labels


def step(model, opt, batch, a):
    support, query, labels = batch
    opt.zero_grad(set_to_none=True)
    loss = model.loss(support, query, labels, a.way, a.shot)
    loss.backward()
    if a.clip > 0:
        nn.utils.clip_grad_norm_(model.encoder.parameters(), a.clip)
        nn.utils.clip_grad_norm_(model.head.parameters(), a.clip)
    opt.step()
    return loss.item()


def load_npy(path):
    if not os.path.exists(path):
        raise SystemExit(f"rcn_step.py: missing {path}")
    return np.load(path)


def load_case(model, d, a):
    """Loads DIR/weights into `model` and returns DIR/inputs' episode, checking every shape."""
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            t = torch.from_numpy(load_npy(os.path.join(d, "weights", f"{name}.npy")).astype(np.float32))
            if tuple(t.shape) != tuple(p.shape):
                raise SystemExit(
                    f"rcn_step.py: {d}/weights/{name}.npy has shape {tuple(t.shape)}, expected {tuple(p.shape)}"
                )
            p.copy_(t)
    support = torch.from_numpy(load_npy(os.path.join(d, "inputs", "support.npy")).astype(np.float32))
    query = torch.from_numpy(load_npy(os.path.join(d, "inputs", "query.npy")).astype(np.float32))
    labels = torch.from_numpy(load_npy(os.path.join(d, "inputs", "query_labels.npy")).astype(np.int64))
    want_s = (a.way * a.shot, 3, a.image_size, a.image_size)
    want_q = (a.way * a.query, 3, a.image_size, a.image_size)
    if tuple(support.shape) != want_s or tuple(query.shape) != want_q:
        raise SystemExit(
            f"rcn_step.py: {d}/inputs: support {tuple(support.shape)} / query {tuple(query.shape)}, "
            f"expected {want_s} / {want_q} for the given --way/--shot/--query/--image-size"
        )
    return support, query, labels


def loss_and_grads(model, batch, a):
    """One step's loss and every parameter's gradient (before clipping), as numpy float32."""
    support, query, labels = batch
    model.zero_grad(set_to_none=True)
    loss = model.loss(support, query, labels, a.way, a.shot)
    loss.backward()
    grads = {
        name: (p.grad if p.grad is not None else torch.zeros_like(p)).detach().numpy().astype(np.float32)
        for name, p in model.named_parameters()
    }
    return loss.item(), grads


def check(model, a):
    """One step's loss and gradients at the weights and episode in a.check (see the module docstring)."""
    d = a.check
    loss, grads = loss_and_grads(model, load_case(model, d, a), a)
    out = os.path.join(d, "torch", "grads")
    os.makedirs(out, exist_ok=True)
    for name, g in grads.items():
        np.save(os.path.join(out, f"{name}.npy"), g)
    np.save(os.path.join(d, "torch", "loss.npy"), np.array(loss, dtype=np.float32))
    return {"loss": loss, "params": len(grads)}


def rel_l2(a, b, scale=None):
    a, b = a.astype(np.float64), b.astype(np.float64)
    s = np.linalg.norm(b) if scale is None else scale
    n = np.linalg.norm(a - b)
    return float(n / s) if s > 0 else float(n)


def golden(root, threads):
    """This script against the authors' golden episodes (every ROOT/<case>/manifest.json, see
    shared/golden/README.md): loss and gradients against their float64 recomputation. Gradients are compared
    in L2 norm per parameter without aligning branches at ties; a conv bias before a batch-statistics
    BatchNorm (true gradient 0) against its conv weight's gradient norm."""
    cases = []
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if not os.path.isfile(os.path.join(d, "manifest.json")):
            continue
        with open(os.path.join(d, "manifest.json")) as f:
            m = json.load(f)
        conv = "encoder.layer{}.0.weight" if m["backbone"] == "conv4" else "encoder.layer{}.0.conv1.weight"
        widths = [int(load_npy(os.path.join(d, "weights", conv.format(i) + ".npy")).shape[0]) for i in range(1, 5)]
        a = argparse.Namespace(
            backbone=m["backbone"],
            image_size=m["image_size"],
            way=m["n_way"],
            shot=m["k_shot"],
            query=m["queries_per_class"],
        )
        model = RCN(a.backbone, widths, a.image_size)
        model.train()
        loss, grads = loss_and_grads(model, load_case(model, d, a), a)
        ref_loss = float(load_npy(os.path.join(d, "f64", "outputs", "loss.npy")))
        worst, worst_name = 0.0, ""
        for name, g in grads.items():
            ref = load_npy(os.path.join(d, "f64", "grads", f"{name}.npy"))
            scale = None
            if m["backbone"] == "conv4" and name.endswith(".0.bias"):
                scale = np.linalg.norm(load_npy(os.path.join(d, "f64", "grads", name[: -len("bias")] + "weight.npy")))
            e = rel_l2(g, ref, scale)
            if e > worst:
                worst, worst_name = e, name
        cases.append(
            {
                "case": case,
                "lossRel": abs(loss - ref_loss) / abs(ref_loss),
                "gradRel": worst,
                "worstParam": worst_name,
            }
        )
    if not cases:
        raise SystemExit(f"rcn_step.py: no golden case (<case>/manifest.json) under {root}")
    return {"mode": "golden", "threads": threads, "cases": cases}


def loaded_blas():
    """The BLAS library this process has loaded (Debian's torch links the generic libblas.so.3, which is
    whatever `update-alternatives` selects: the slow reference BLAS unless OpenBLAS is installed)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ",".join(sorted(os.path.realpath(p) for p in libs)) or "none"


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set (only possible before the first parallel op)
    torch.manual_seed(a.seed)
    if a.golden:
        print(json.dumps({"engine": "torch", "torch": torch.__version__, **golden(a.golden, a.threads)}))
        return
    model = RCN(a.backbone, a.widths, a.image_size)
    init_like_ours(model)
    model.train()
    info = {
        "engine": "torch",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "backbone": a.backbone,
        "imageSize": a.image_size,
        "way": a.way,
        "shot": a.shot,
        "query": a.query,
        "widths": a.widths,
    }
    if a.check:
        print(json.dumps({**info, "mode": "check", **check(model, a)}))
        return
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    gen = torch.Generator().manual_seed(a.seed + 1)
    batch = episode(a, gen)
    times, losses = [], []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = step(model, opt, batch, a)
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
            losses.append(loss)
    med = statistics.median(times)
    print(
        json.dumps(
            {
                **info,
                "mode": "timing",
                "steps": a.steps,
                "warmup": a.warmup,
                "stepS": times,
                "medianStepS": med,
                "episodesPerS": 1.0 / med,
                "lastLoss": losses[-1],
                "blas": loaded_blas(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
