"""PyTorch's own ONNX exports of the benchmark's networks: an optional cross-check of
webnets' ONNX writer (`webnets export --onnx`, which `npm run bench` uses), run by
`npm run bench:onnx-check` (optional; nothing else reads these files).

For each model id it writes into the ignored models/onnx/pytorch/:
- `<id>.onnx`: opset 13, batch 1 fixed, eval mode with constant folding (batch norm folded
  into the convs, as webnets' converter folds it: neither side pays for BN at run time);
  input `input` [1, 3, S, S] NCHW normalized, output `logits` [1, 1000];
- `<id>.pth`: the state dict the export used (`torch.save`), which the check converts
  with webnets' converter and exports with webnets' writer, so both files hold the very
  same weights. FD-MobileNet uses the authors' checkpoint as it is (not copied);
- `<id>.json`: files, input size, parameter and MAC counts (PyTorch hooks on Conv2d /
  Linear), and PyTorch's logits on
  ../shared/reference/chelsea.input.f32 (224 inputs only) to check the ONNX file in ORT.

Networks: torchvision's EfficientNet and RegNet builders with seeded random weights
(random batch-norm statistics too, so folding is exercised), and FD-MobileNet defined here
per the paper's layer table (Qin et al. 2018, Table 1), with state-dict keys matching the
authors' checkpoints (../shared/README.md), loaded from ../shared/weights/fd-mobilenet/.

Run: /usr/bin/python3 tools/reference/export_onnx.py [ids…]   (torch 1.13, torchvision 0.14)
Default ids: fd-mobilenet-0.5x efficientnet-b0 regnety-400mf regnetx-400mf.
"""
import collections
import json
import os
import re
import sys

import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'models', 'onnx', 'pytorch')
SHARED = os.environ.get('WEBNETS_SHARED', os.path.join(ROOT, '..', 'shared'))
DEFAULT_IDS = ['fd-mobilenet-0.5x', 'efficientnet-b0', 'regnety-400mf', 'regnetx-400mf']
SEED = 20240
OPSET = 13


class FDMobileNet(nn.Module):
    """FD-MobileNet (Qin et al. 2018, Table 1) at width multiplier `alpha`.

    conv_0: 3×3/2 conv → BN → ReLU; then 11 depthwise-separable units (3×3 depthwise → BN →
    ReLU, 1×1 pointwise → BN → ReLU); global average pooling; classifier. The fast
    downsampling: strides 2 in units 0, 1, 3 and 5, so the 7×7 stage is reached after 6 layers.
    """

    # (pointwise output channels at 1×, depthwise stride) for dw2_1 … dw5_6
    UNITS = [(64, 2), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
             (512, 1), (512, 1), (512, 1), (512, 1), (1024, 1)]

    def __init__(self, alpha, classes=1000):
        super().__init__()
        layers = collections.OrderedDict()
        width = int(32 * alpha)
        layers['conv_0'] = nn.Conv2d(3, width, 3, 2, 1, bias=False)
        layers['norm_0'] = nn.BatchNorm2d(width, eps=1e-5)
        layers['relu_0'] = nn.ReLU(inplace=True)
        for i, (channels, stride) in enumerate(self.UNITS):
            out = int(channels * alpha)
            layers[f'dw_conv_{i}'] = nn.Conv2d(width, width, 3, stride, 1, groups=width, bias=False)
            layers[f'dw_norm_{i}'] = nn.BatchNorm2d(width, eps=1e-5)
            layers[f'dw_relu_{i}'] = nn.ReLU(inplace=True)
            layers[f'pw_conv_{i}'] = nn.Conv2d(width, out, 1, 1, 0, bias=False)
            layers[f'pw_norm_{i}'] = nn.BatchNorm2d(out, eps=1e-5)
            layers[f'pw_relu_{i}'] = nn.ReLU(inplace=True)
            width = out
        self.features = nn.Sequential(layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def fd_mobilenet(alpha):
    path = os.path.join(SHARED, 'weights', 'fd-mobilenet', f'{alpha}x-FDMobileNet-224.pth.tar')
    if not os.path.exists(path):
        sys.exit(f'export_onnx: {path} is missing (the FD-MobileNet authors\' checkpoint, see ../shared/README.md)')
    model = FDMobileNet(float(alpha))
    state = torch.load(path, map_location='cpu')['state_dict']
    # The 2018 checkpoint predates BatchNorm's num_batches_tracked buffer: nothing else may differ.
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        sys.exit(f'export_onnx: {path} does not fit FD-MobileNet {alpha}x: missing {missing}, unexpected {unexpected}')
    return model, 224, path


def torchvision_name(model_id):
    m = re.match(r'efficientnet-(b\d)$', model_id)
    if m:
        return f'efficientnet_{m.group(1)}'
    m = re.match(r'regnet([xy])-(.+)$', model_id)
    if m:
        size = {'8.0gf': '8gf'}.get(m.group(2), m.group(2)).replace('.', '_')
        return f'regnet_{m.group(1)}_{size}'
    return None


def randomize_batch_norm(model, generator):
    """Random affine parameters and running statistics, so folding BN is not a no-op."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(torch.empty(n).uniform_(0.5, 1.5, generator=generator))
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.empty(n).uniform_(0.5, 1.5, generator=generator))


def torchvision_model(model_id):
    name = torchvision_name(model_id)
    if name is None or name not in tvm.list_models():
        sys.exit(f'export_onnx: unknown model id {model_id!r}: expected efficientnet-b0…b7, '
                 'regnetx-/regnety-<size> (torchvision names them) or fd-mobilenet-0.25x/-0.5x')
    torch.manual_seed(SEED)  # torchvision's own initializers draw from the global generator
    model = tvm.get_model(name, weights=None)
    randomize_batch_norm(model, torch.Generator().manual_seed(SEED))
    size = tvm.get_model_weights(name).DEFAULT.transforms.keywords['crop_size']
    path = os.path.join(OUT, f'{model_id}.pth')
    torch.save(model.state_dict(), path)
    return model, size, path


def count_complexity(model, size):
    """Parameters as PyTorch counts them; MACs of Conv2d and Linear layers for one image."""
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs += output.numel() * (module.in_channels // module.groups) * k
        else:
            macs += module.in_features * module.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    params = sum(p.numel() for p in model.parameters())
    return params, macs


def reference_logits(model, size):
    path = os.path.join(SHARED, 'reference', 'chelsea.input.f32')
    if size != 224 or not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(1, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)[0]
    return {'input': '/shared/reference/chelsea.input.f32', 'logits': [round(v, 6) for v in logits.tolist()]}


def export(model_id):
    m = re.match(r'fd-mobilenet-(0\.25|0\.5)x$', model_id)
    model, size, state_path = fd_mobilenet(m.group(1)) if m else torchvision_model(model_id)
    model.eval()
    onnx_path = os.path.join(OUT, f'{model_id}.onnx')
    torch.onnx.export(
        model, torch.zeros(1, 3, size, size), onnx_path,
        input_names=['input'], output_names=['logits'],
        opset_version=OPSET, do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )
    params, macs = count_complexity(model, size)
    reference = reference_logits(model, size)
    meta = {
        'id': model_id,
        'onnx': os.path.relpath(onnx_path, ROOT),
        'stateDict': os.path.relpath(state_path, ROOT),
        'inputSize': size,
        'params': params,
        'macs': macs,
        'weights': 'pretrained (authors\' checkpoint)' if m else f'random, seed {SEED}',
        'opset': OPSET,
        'exporter': f'torch {torch.__version__}, torchvision {torchvision.__version__}',
        'reference': reference,
    }
    with open(os.path.join(OUT, f'{model_id}.json'), 'w') as f:
        json.dump(meta, f)
        f.write('\n')
    top = max(abs(v) for v in reference['logits']) if reference else None
    print(f'{model_id}: {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB), {size}², '
          f'{params:,} params, {macs / 1e6:.1f} M MACs, max |logit| on chelsea {top}')


def main():
    ids = sys.argv[1:] or DEFAULT_IDS
    os.makedirs(OUT, exist_ok=True)
    for model_id in ids:
        export(model_id)


if __name__ == '__main__':
    main()
