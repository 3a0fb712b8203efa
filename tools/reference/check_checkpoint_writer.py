"""Checks test/helpers/checkpoint-files.ts against PyTorch: the torch zip and legacy files it
writes load with torch.load into the same tensors as its safetensors file, and into
torchvision's model of that preset with load_state_dict (strict: every name and shape).

Run: /usr/bin/python3 tools/reference/check_checkpoint_writer.py <zip.pth> <legacy.pth> <file.safetensors> [torchvision model name]
(the files from the helper, e.g. written for efficientnet-b0 with torchvision names)
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision.models as tvm


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype='<f4').reshape(e['shape']).copy())
    return out


zip_path, legacy_path, st_path = sys.argv[1:4]
reference = read_safetensors(st_path)
for path in (zip_path, legacy_path):
    sd = torch.load(path)
    assert list(sd.keys()) == list(reference.keys()), f'{path}: names differ'
    for name, t in sd.items():
        assert t.dtype == torch.float32 and torch.equal(t, reference[name]), f'{path}: {name} differs'
    print(f'{path}: {len(sd)} tensors, equal to the safetensors file')
    if len(sys.argv) > 4:
        getattr(tvm, sys.argv[4])().load_state_dict(sd, strict=True)
        print(f'{path}: loads into torchvision {sys.argv[4]} (strict)')
