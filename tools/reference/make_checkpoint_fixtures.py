"""Small checkpoints that exercise the TypeScript checkpoint readers (src/convert/).

Writes test/fixtures/checkpoints/: the same tensors saved as a torch zip file (pickle
protocols 2 and 4, and re-zipped with deflated entries), a legacy file, a nested {'state_dict': ...} file with DataParallel's 'module.' prefix, a
safetensors file (written by hand: the format is a JSON header plus raw bytes), a
checkpoint whose pickle calls os.system (must be refused), and expected.json with every
tensor's values as PyTorch sees them.

Fixture files end in .bin: they are tiny random tensors, not weights, and the .pt /
.safetensors extensions are reserved for real checkpoints, which are never committed.

Run: /usr/bin/python3 tools/reference/make_checkpoint_fixtures.py  (torch 1.13)
"""
import collections
import json
import os
import struct
import sys
import zipfile

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'checkpoints')


def tensors():
    g = torch.Generator().manual_seed(7)
    base = torch.randn(4, 6, generator=g)
    sd = collections.OrderedDict()
    sd['conv.weight'] = torch.randn(3, 2, 3, 3, generator=g)
    sd['transposed'] = torch.randn(5, 3, generator=g).t()  # non-contiguous view
    sd['row_view'] = base[1]  # shares base's storage, offset 6
    sd['block_view'] = base[2:, 1:4]  # strided view with an offset
    sd['half'] = torch.randn(2, 5, generator=g).half()
    sd['bfloat'] = torch.randn(7, generator=g).bfloat16()
    sd['double'] = torch.randn(2, 2, generator=g).double()
    sd['bn.num_batches_tracked'] = torch.tensor(12345, dtype=torch.long)
    sd['scalar'] = torch.tensor(3.5)
    sd['empty'] = torch.zeros(0, 4)
    return sd


def write_safetensors(path, sd):
    names = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int64: 'I64'}
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in sd.items():
        t = t.contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)) + head + b''.join(blobs))


def deflate(src, dst):
    """The same archive with deflated entries (torch writes stored ones; other zip tools may not)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    loaded = torch.load(dst)
    assert all(torch.equal(loaded[k], v) for k, v in tensors().items()), 'torch.load reads the deflated archive'


class Exploit:
    def __reduce__(self):
        return (os.system, ('echo this must never run',))


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = tensors()
    torch.save(sd, os.path.join(OUT, 'tiny-zip.pt.bin'))
    torch.save(sd, os.path.join(OUT, 'tiny-legacy.pt.bin'), _use_new_zipfile_serialization=False)
    # Protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL), as newer torch.save defaults to.
    torch.save(sd, os.path.join(OUT, 'tiny-zip-p4.pt.bin'), pickle_protocol=4)
    deflate(os.path.join(OUT, 'tiny-zip.pt.bin'), os.path.join(OUT, 'tiny-zip-deflated.pt.bin'))
    nested = {'state_dict': collections.OrderedDict(('module.' + k, v) for k, v in sd.items()), 'epoch': 3, 'arch': 'tiny'}
    torch.save(nested, os.path.join(OUT, 'nested-legacy.pt.bin'), _use_new_zipfile_serialization=False)
    torch.save(nested, os.path.join(OUT, 'nested-zip.pt.bin'))
    write_safetensors(os.path.join(OUT, 'tiny.safetensors.bin'), sd)
    torch.save({'weight': torch.zeros(2), 'payload': Exploit()}, os.path.join(OUT, 'exploit-zip.pt.bin'))
    expected = {k: {'shape': list(v.shape), 'values': v.double().flatten().tolist()} for k, v in sd.items()}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print('wrote', sorted(os.listdir(OUT)), 'with torch', torch.__version__, file=sys.stderr)


if __name__ == '__main__':
    main()
