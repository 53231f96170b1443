#!/usr/bin/env python3
# cmp.py A B [--exact] - the tensors of two safetensors checkpoints agree:
# |a - b| <= 1e-5 + 1e-4 |b| element-wise (--exact: bitwise).  Prints the
# worst element; exit 1 on a mismatch, 2 on a bad file.
import json, struct, sys

def load(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        sys.exit('%s: too short for a safetensors file' % path)
    n = struct.unpack('<Q', raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == '__metadata__' or t.get('dtype') != 'F32':
            continue
        lo, hi = t['data_offsets']
        out[name] = raw[8 + n + lo:8 + n + hi]
    return out

args = [a for a in sys.argv[1:] if not a.startswith('--')]
exact = '--exact' in sys.argv
a, b = load(args[0]), load(args[1])
if sorted(a) != sorted(b):
    print('FAIL: the files hold different tensors'); sys.exit(1)
worst, where, bad = 0.0, '', 0
for name in sorted(a):
    if exact:
        if a[name] != b[name]:
            print('FAIL: %s differs bitwise' % name); sys.exit(1)
        continue
    x = struct.unpack('<%df' % (len(a[name]) // 4), a[name])
    y = struct.unpack('<%df' % (len(b[name]) // 4), b[name])
    for i, (u, v) in enumerate(zip(x, y)):
        d = abs(u - v)
        r = d / (1e-5 + 1e-4 * abs(v))
        if r > worst:
            worst, where = r, '%s[%d]: %.9g vs %.9g' % (name, i, u, v)
        if d > 1e-5 + 1e-4 * abs(v):
            bad += 1
print('%d tensors; worst |a-b| / (1e-5 + 1e-4|b|) = %.3g at %s' % (len(a), worst, where))
sys.exit(1 if bad else 0)
