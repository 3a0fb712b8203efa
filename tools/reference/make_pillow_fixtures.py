"""Writes test/fixtures/preprocess/pillow.json: what Pillow's Image.resize (bilinear and
bicubic, as torchvision's Resize calls it on a PIL image: no reducing_gap) makes of synthetic
images of awkward sizes, to check webnets' Pillow resampling byte for byte
(src/kernels/resize-crop-normalize/pillow.ts and resize_crop_normalize.c).

Images are not stored: each is a pattern computed from its size and a seed with 32-bit
integer arithmetic that test/helpers/pattern.ts repeats (a gradient per channel, a
checkerboard with hard edges, hashed noise); the fixture holds the sha256 of the pattern so
the test checks its generator first. Outputs are stored whole when small, else as their
sha256 and an evenly strided sample of their bytes.

- `resize`: Pillow's resize of the whole image to an explicit size (shrink, enlarge, exact
  2× and 0.5×, mixed), each filter.
- `pipeline`: torchvision's T.Resize(resizeSize, interpolation) → T.CenterCrop(inputSize) on
  the PIL image: the 8-bit crop webnets then normalizes.
- `region`: the same with a region of interest (classify's `regionOfInterest`, fractions
  { left, top, right, bottom } of the width and height): Pillow's `img.resize(size, filter,
  box=region in pixels)` to the size torchvision's Resize gives the region, then
  T.CenterCrop(inputSize). The box is float (Pillow keeps it in single precision) and the
  filter reads pixels around it at its edges, which cropping first would not.

Run: /usr/bin/python3 tools/reference/make_pillow_fixtures.py   (Pillow 9.4, torchvision 0.14)
"""
import base64
import hashlib
import json
import os

import numpy as np
import PIL
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'preprocess', 'pillow.json')
M = 0xFFFFFFFF
FILTERS = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}
INLINE_BYTES = 6000
SAMPLE = 1024


def pattern(h, w, seed):
    """uint8 [h, w, 3]; test/helpers/pattern.ts computes the same."""
    y, x = np.mgrid[0:h, 0:w].astype(np.uint64)
    out = np.empty((h, w, 3), dtype=np.int64)
    for c in range(3):
        hsh = (x * 374761393 + y * 668265263 + c * 2246822519 + seed) & M
        hsh = ((hsh ^ (hsh >> np.uint64(13))) * 1274126177) & M
        hsh = hsh ^ (hsh >> np.uint64(16))
        noise = (hsh & np.uint64(63)).astype(np.int64) - 32
        xi, yi = x.astype(np.int64), y.astype(np.int64)
        if c == 0:
            base = (xi * 255) // max(w - 1, 1)
        elif c == 1:
            base = (yi * 255) // max(h - 1, 1)
        else:
            base = (((xi // 7) + (yi // 5)) % 2) * 255
        out[:, :, c] = base + noise
    return out.clip(0, 255).astype(np.uint8)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def summary(a):
    flat = np.ascontiguousarray(a).reshape(-1)
    s = {'sha256': sha(flat), 'length': int(flat.size)}
    if flat.size <= INLINE_BYTES:
        s['bytes'] = base64.b64encode(flat.tobytes()).decode()
    else:
        stride = flat.size // SAMPLE
        s['sampleStride'] = stride
        s['sample'] = base64.b64encode(flat[::stride][:SAMPLE].tobytes()).decode()
    return s


# (source height, width, seed, output height, width)
RESIZES = [
    (1, 1, 1, 1, 1),
    (1, 1, 2, 7, 5),
    (3, 500, 3, 24, 200),
    (3, 500, 4, 1, 7),
    (511, 257, 5, 256, 128),
    (511, 257, 6, 300, 301),
    (48, 64, 7, 96, 128),  # exact 2×
    (96, 128, 8, 48, 64),  # exact 0.5×
    (75, 100, 9, 250, 333),  # up
    (480, 640, 10, 256, 341),  # down, a camera frame
    (720, 1280, 11, 256, 455),
    (3000, 4000, 12, 256, 341),  # large
    (37, 29, 13, 256, 200),  # up, odd
    (256, 300, 14, 256, 200),  # rows the identity, columns down
    (300, 256, 15, 240, 256),  # columns the identity, rows down
    (5, 7, 16, 5, 7),  # the identity, rows narrower than 16 channels
]

# (source height, width, seed, resizeSize, inputSize)
PIPELINES = [
    (1, 1, 21, 256, 224),
    (3, 500, 22, 256, 224),
    (511, 257, 23, 256, 224),
    (300, 451, 24, 256, 224),
    (3000, 4000, 25, 256, 224),
    (240, 240, 26, 274, 240),
    (256, 256, 27, 256, 224),  # already the resize's size (the benchmark's input)
]

# (source height, width, seed, (left, top, right, bottom) as fractions, resizeSize, inputSize)
REGIONS = [
    (480, 640, 31, (0.1, 0.2, 0.6, 0.9), 256, 224),  # a camera frame, shrunk
    (480, 640, 32, (0.45, 0.4, 0.55, 0.6), 256, 224),  # a small region, enlarged
    (480, 640, 33, (0.0, 0.0, 1.0, 0.5), 256, 224),  # pixel-aligned, touching the edges
    (300, 451, 34, (0.123, 0.0, 0.877, 0.991), 256, 224),  # fractional box, down then crop
    (511, 257, 35, (0.25, 0.125, 0.75, 0.875), 256, 224),
    (3000, 4000, 36, (0.3, 0.3, 0.5, 0.6), 256, 224),  # large source
    (37, 29, 37, (0.0, 0.3, 0.9, 1.0), 256, 224),  # tiny source, enlarged
    (480, 640, 38, (0.5, 0.5, 0.51, 0.51), 256, 224),  # 6.4 × 4.8 pixels, enlarged ~50×
    (480, 640, 39, (0.1, 0.2, 0.6, 0.9), 224, 224),  # no crop margin: the box's edges show
]


def main():
    patterns = {}

    def source(h, w, seed):
        key = (h, w, seed)
        if key not in patterns:
            patterns[key] = pattern(h, w, seed)
        return patterns[key]

    resize, pipeline, region = [], [], []
    for h, w, seed, oh, ow in RESIZES:
        img = Image.fromarray(source(h, w, seed))
        for name, f in FILTERS.items():
            out = np.asarray(img.resize((ow, oh), f))
            resize.append({
                'source': {'height': h, 'width': w, 'seed': seed, 'sha256': sha(source(h, w, seed))},
                'filter': name,
                'height': oh,
                'width': ow,
                'output': summary(out),
            })
    for h, w, seed, resize_size, input_size in PIPELINES:
        img = Image.fromarray(source(h, w, seed))
        for name, f in FILTERS.items():
            t = T.Compose([T.Resize(resize_size, interpolation=T.InterpolationMode(name)), T.CenterCrop(input_size)])
            out = np.asarray(t(img))
            assert out.shape == (input_size, input_size, 3)
            pipeline.append({
                'source': {'height': h, 'width': w, 'seed': seed, 'sha256': sha(source(h, w, seed))},
                'filter': name,
                'resizeSize': resize_size,
                'inputSize': input_size,
                'output': summary(out),
            })
    for h, w, seed, (left, top, right, bottom), resize_size, input_size in REGIONS:
        img = Image.fromarray(source(h, w, seed))
        # As src/runtime/preprocess.ts computes them, in double precision.
        box = (left * w, top * h, right * w, bottom * h)
        box_size = [box[3] - box[1], box[2] - box[0]]  # height, width
        oh, ow = F._compute_resized_output_size(box_size, [resize_size])
        for name, f in FILTERS.items():
            out = F.center_crop(img.resize((ow, oh), f, box=box), input_size)
            out = np.asarray(out)
            assert out.shape == (input_size, input_size, 3)
            region.append({
                'source': {'height': h, 'width': w, 'seed': seed, 'sha256': sha(source(h, w, seed))},
                'filter': name,
                'region': {'left': left, 'top': top, 'right': right, 'bottom': bottom},
                'resizedHeight': oh,
                'resizedWidth': ow,
                'resizeSize': resize_size,
                'inputSize': input_size,
                'output': summary(out),
            })
    doc = {
        'generator': f'tools/reference/make_pillow_fixtures.py (Pillow {PIL.__version__}, torchvision {torchvision.__version__})',
        'resize': resize,
        'pipeline': pipeline,
        'region': region,
    }
    with open(OUT, 'w') as fh:
        json.dump(doc, fh, indent=1)
        fh.write('\n')
    print(f'{OUT}: {len(resize)} resizes, {len(pipeline)} pipelines, {len(region)} regions, {os.path.getsize(OUT)} bytes')


if __name__ == '__main__':
    main()
