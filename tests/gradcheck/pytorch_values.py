#!/usr/bin/env python3
# pytorch_values.py - write pytorch_values.inc, the forward values of the
# reference kernels as PyTorch computes them (float64), for
# cases_pytorch.c.  Needs python3-torch; not run by the build: rerun it
# after adding a row, and commit both files.
#
#   python3 tests/gradcheck/pytorch_values.py > tests/gradcheck/pytorch_values.inc
#
# Each row names an op, its shape and arguments; the inputs are fixed
# formulas (below, and again in cases_pytorch.c), and the value is
#   sum_j y_j * sin(0.37 j + 1)      (the loss itself for losses)
# so that one number per row checks every output element.
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def x_of(n):       # inputs
    return torch.tensor([1.5 * math.sin(1.3 * j + 0.5) for j in range(n)])


def w_of(n):       # weights
    return torch.tensor([0.5 * math.cos(0.9 * j + 0.2) for j in range(n)])


def b_of(n):       # biases
    return torch.tensor([0.1 * math.sin(2.0 * j + 1) for j in range(n)])


def label_of(n, c):
    return torch.tensor([(7 * j + 3) % c for j in range(n)])


def probe(y):
    y = y.flatten()
    r = torch.tensor([math.sin(0.37 * j + 1) for j in range(y.numel())])
    return float((y * r).sum())


def numel(shape):
    p = 1
    for s in shape:
        p *= s
    return p


# op, nd, n, c, k, groups, flag, in, kernel, stride, lo, hi, dil, opad, arg
# flag: conv bias; pool ceil (bit 0), count_pad (bit 1); xent weighted.
rows = [
    ("conv", 1, 1, 3, 2, 1, 1, [13], [3], [2], [1], [1], [1], [0], 0),
    ("conv", 1, 3, 4, 6, 2, 1, [7], [2], [1], [0], [1], [1], [0], 0),
    ("conv", 1, 2, 2, 4, 2, 0, [13], [3], [3], [2], [0], [2], [0], 0),
    ("conv", 2, 1, 2, 3, 1, 1, [7, 5], [3, 2], [2, 1], [1, 0], [1, 1], [1, 2], [0, 0], 0),
    ("conv", 2, 2, 4, 4, 4, 0, [5, 5], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("conv", 2, 1, 6, 4, 2, 1, [5, 7], [2, 3], [2, 2], [0, 0], [0, 0], [1, 1], [0, 0], 0),
    ("conv", 2, 1, 2, 2, 1, 1, [7, 7], [3, 3], [2, 3], [2, 1], [0, 2], [2, 1], [0, 0], 0),
    ("conv", 3, 1, 2, 2, 1, 1, [5, 4, 3], [3, 2, 2], [2, 1, 1], [1, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], 0),
    ("conv", 3, 2, 3, 3, 3, 0, [5, 5, 5], [2, 2, 2], [2, 2, 2], [1, 0, 1], [0, 1, 1], [2, 1, 1], [0, 0, 0], 0),
    ("conv_transpose", 1, 3, 2, 3, 1, 1, [5], [3], [2], [1], [1], [1], [1], 0),
    ("conv_transpose", 2, 1, 4, 2, 2, 1, [3, 4], [3, 2], [2, 3], [1, 0], [1, 0], [1, 1], [1, 2], 0),
    ("conv_transpose", 2, 2, 2, 4, 2, 0, [5, 3], [2, 3], [1, 2], [0, 1], [0, 1], [2, 1], [1, 1], 0),
    ("conv_transpose", 3, 1, 2, 2, 1, 1, [2, 3, 3], [2, 2, 3], [2, 2, 1], [0, 1, 1], [0, 1, 1], [1, 1, 1], [1, 0, 0], 0),
    ("maxpool", 2, 1, 2, 0, 0, 0, [7, 7], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("maxpool", 2, 2, 1, 0, 0, 1, [5, 6], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1], [0, 0], 0),
    ("maxpool", 2, 1, 2, 0, 0, 0, [7, 5], [2, 3], [1, 1], [1, 1], [1, 1], [2, 2], [0, 0], 0),
    ("maxpool", 2, 1, 1, 0, 0, 1, [5, 13], [3, 3], [2, 3], [1, 1], [1, 1], [1, 2], [0, 0], 0),
    ("maxpool", 1, 1, 3, 0, 0, 1, [5], [2], [2], [1], [1], [1], [0], 0),
    ("maxpool", 1, 2, 2, 0, 0, 1, [9], [2], [4], [1], [1], [1], [0], 0),
    ("maxpool", 3, 1, 2, 0, 0, 1, [5, 4, 3], [2, 2, 2], [2, 2, 2], [1, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], 0),
    ("avgpool", 2, 1, 2, 0, 0, 2, [7, 7], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("avgpool", 2, 1, 2, 0, 0, 0, [7, 7], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("avgpool", 2, 2, 1, 0, 0, 3, [5, 6], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1], [0, 0], 0),
    ("avgpool", 2, 2, 1, 0, 0, 1, [5, 6], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1], [0, 0], 0),
    ("avgpool", 2, 1, 2, 0, 0, 1, [7, 5], [3, 2], [2, 2], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("avgpool", 2, 1, 2, 0, 0, 3, [7, 5], [3, 2], [2, 2], [1, 1], [1, 1], [1, 1], [0, 0], 0),
    ("avgpool", 1, 1, 3, 0, 0, 3, [9], [3], [4], [1], [1], [1], [0], 0),
    ("avgpool", 1, 1, 3, 0, 0, 1, [9], [3], [4], [1], [1], [1], [0], 0),
    ("avgpool", 3, 1, 2, 0, 0, 3, [5, 4, 3], [2, 2, 2], [2, 2, 2], [1, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], 0),
    ("avgpool", 3, 1, 2, 0, 0, 1, [5, 4, 3], [3, 2, 2], [2, 2, 2], [1, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], 0),
    ("upsample_nearest", 1, 2, 2, 0, 0, 0, [5], [3], [0], [0], [0], [0], [0], 0),
    ("upsample_nearest", 2, 1, 2, 0, 0, 0, [3, 5], [2, 3], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], 0),
    ("upsample_nearest", 3, 1, 1, 0, 0, 0, [2, 3, 2], [2, 1, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], 0),
    ("upsample_bilinear", 2, 1, 2, 0, 0, 0, [3, 5], [2, 3], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], 0),
    ("upsample_bilinear", 2, 2, 1, 0, 0, 0, [4, 3], [3, 3], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], 0),
    ("upsample_bilinear", 2, 1, 1, 0, 0, 0, [1, 5], [2, 2], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], 0),
    ("upsample_bilinear", 1, 1, 2, 0, 0, 0, [5], [3], [0], [0], [0], [0], [0], 0),
    ("upsample_bilinear", 3, 1, 1, 0, 0, 0, [2, 3, 2], [2, 2, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], 0),
    ("softmax", 0, 3, 5, 0, 0, 0, [4], [0], [0], [0], [0], [0], [0], 0),
    ("gelu", 0, 37, 0, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0),
    ("elu", 0, 37, 0, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0.7),
    ("leaky_relu", 0, 37, 0, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0.2),
    ("sigmoid", 0, 37, 0, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0),
    ("tanh", 0, 37, 0, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0),
    ("xent", 0, 3, 5, 0, 0, 0, [1], [0], [0], [0], [0], [0], [0], 0),
    ("xent", 0, 3, 5, 0, 0, 0, [1], [0], [0], [0], [0], [0], [0], 0.1),
    ("xent", 0, 3, 5, 0, 0, 1, [1], [0], [0], [0], [0], [0], [0], 0),
    ("xent", 0, 3, 5, 0, 0, 1, [1], [0], [0], [0], [0], [0], [0], 0.2),
    ("xent", 0, 2, 4, 0, 0, 0, [15], [0], [0], [0], [0], [0], [0], 0.1),
    ("xent", 0, 2, 4, 0, 0, 1, [15], [0], [0], [0], [0], [0], [0], 0.1),
    ("bce", 0, 3, 7, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0),
    ("mse", 0, 3, 7, 0, 0, 0, [0], [0], [0], [0], [0], [0], [0], 0),
    ("dice", 0, 2, 4, 0, 0, 0, [15], [0], [0], [0], [0], [0], [0], 1.0),
]


def value(op, nd, n, c, k, groups, flag, inn, kernel, stride, lo, hi, dil, opad, arg):
    if op in ("conv", "conv_transpose"):
        x = x_of(n * c * numel(inn)).reshape([n, c] + inn)
        if op == "conv":
            w = w_of(k * (c // groups) * numel(kernel)).reshape([k, c // groups] + kernel)
        else:
            w = w_of(c * (k // groups) * numel(kernel)).reshape([c, k // groups] + kernel)
        b = b_of(k) if flag else None
        if op == "conv":
            pad = []
            for j in reversed(range(nd)):
                pad += [lo[j], hi[j]]
            conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
            y = conv(F.pad(x, pad), w, b, stride, 0, dil, groups)
        else:
            assert lo == hi
            conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
            y = conv(x, w, b, stride, lo, opad, groups, dil)
        return probe(y)
    if op in ("maxpool", "avgpool"):
        x = x_of(n * c * numel(inn)).reshape([n, c] + inn)
        assert lo == hi
        if op == "maxpool":
            pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]
            y = pool(x, kernel, stride, lo, dil, ceil_mode=bool(flag & 1))
        else:
            pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[nd - 1]
            y = pool(x, kernel, stride, lo, ceil_mode=bool(flag & 1),
                     count_include_pad=bool(flag & 2))
        return probe(y)
    if op.startswith("upsample"):
        x = x_of(n * c * numel(inn)).reshape([n, c] + inn)
        if op == "upsample_nearest":
            y = F.interpolate(x, scale_factor=tuple(float(s) for s in kernel), mode="nearest")
        else:
            mode = ("linear", "bilinear", "trilinear")[nd - 1]
            y = F.interpolate(x, scale_factor=tuple(float(s) for s in kernel), mode=mode,
                              align_corners=False)
        return probe(y)
    if op == "softmax":
        x = x_of(n * c * inn[0]).reshape(n, c, inn[0])
        return probe(torch.softmax(x, 1))
    if op in ("gelu", "elu", "leaky_relu", "sigmoid", "tanh"):
        x = 2 * x_of(n)
        y = {"gelu": lambda: F.gelu(x), "elu": lambda: F.elu(x, arg),
             "leaky_relu": lambda: F.leaky_relu(x, arg), "sigmoid": lambda: torch.sigmoid(x),
             "tanh": lambda: torch.tanh(x)}[op]()
        return probe(y)
    if op == "xent":
        s = inn[0]
        z = 2 * x_of(n * c * s).reshape(n, c, s)
        t = label_of(n * s, c).reshape(n, s)
        w = torch.tensor([0.5 + 0.25 * (j % 5) for j in range(c)]) if flag else None
        if s == 1:
            z, t = z.reshape(n, c), t.reshape(n)
        return float(F.cross_entropy(z, t, weight=w, label_smoothing=arg))
    if op == "bce":
        x = 2 * x_of(n * c)
        t = torch.tensor([1.0 if (5 * j + 1) % 3 == 0 else 0.0 for j in range(n * c)])
        return float(F.binary_cross_entropy_with_logits(x, t))
    if op == "mse":
        x = x_of(n * c)
        t = torch.tensor([0.5 * math.cos(j) for j in range(n * c)])
        return float(F.mse_loss(x, t))
    if op == "dice":
        s = inn[0]
        z = 2 * x_of(n * c * s).reshape(n, c, s)
        t = F.one_hot(label_of(n * s, c).reshape(n, s), c).permute(0, 2, 1).double()
        p = torch.softmax(z, 1)
        dice = (2 * (p * t).sum(2) + arg) / (p.sum(2) + t.sum(2) + arg)
        return float(1 - dice.mean())
    raise ValueError(op)


def ints(v):
    return "{ " + ", ".join(str(i) for i in v) + " }"


out = sys.stdout
out.write("/* pytorch_values.inc - generated by pytorch_values.py (PyTorch %s): "
          "do not edit. */\n" % torch.__version__)
for r in rows:
    op, nd, n, c, k, groups, flag, inn, kernel, stride, lo, hi, dil, opad, arg = r
    v = value(*r)
    out.write('{ "%s", %d, %d, %d, %d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %.17g, %.17g },\n'
              % (op, nd, n, c, k, groups, flag, ints(inn), ints(kernel), ints(stride),
                 ints(lo), ints(hi), ints(dil), ints(opad), arg, v))
