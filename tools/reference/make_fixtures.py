#!/usr/bin/python3
"""Reference fixtures for webnets' EfficientNet and RegNet forward and converter tests.

Builds reduced members of each family with torchvision 0.14's own classes, gives them
seeded random weights AND random batch-norm statistics (default init has mean 0, var 1,
gamma 1, beta 0, which would hide BN-folding bugs), runs a deterministic input (a
formula, so it need not be stored) and writes, per fixture, to test/fixtures/:

  <name>.pt.bin      state dict, torch.save default (zip) format (.bin: random test
                     weights, kept apart from real checkpoints, which are never committed)
  <name>.legacy.pt.bin   the same, _use_new_zipfile_serialization=False (some fixtures)
  <name>.json        generator options, input recipe, logits and pooled features,
                     and (some fixtures) the timm name of every torchvision key

Run: /usr/bin/python3 tools/reference/make_fixtures.py
"""
import json
import math
import os
from functools import partial

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models import regnet as tv_regnet
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "test", "fixtures")
CLASSES = 10
BATCH = 2

INPUT_FORMULA = "x[n,c,h,w] = 1.5*sin(0.37*h*(c+1) + 0.23*w + 1.3*n) + 0.5*cos(0.013*h*w + c), float64 then float32"


def make_input(size):
    n, c, h, w = np.meshgrid(np.arange(BATCH), np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    x = 1.5 * np.sin(0.37 * h * (c + 1) + 0.23 * w + 1.3 * n) + 0.5 * np.cos(0.013 * h * w + c)
    return torch.from_numpy(x.astype(np.float32))


def randomize(model, seed):
    """Seeded random weights and batch-norm statistics, scaled to keep activations sane."""
    g = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            module.weight.data = torch.randn(module.weight.shape, generator=g) * math.sqrt(2.0 / fan_in)
            if module.bias is not None:
                module.bias.data = torch.randn(module.bias.shape, generator=g) * 0.2
        elif isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.weight.data = torch.rand(c, generator=g) + 0.5
            module.bias.data = torch.randn(c, generator=g) * 0.2
            module.running_mean.data = torch.randn(c, generator=g) * 0.3
            module.running_var.data = torch.rand(c, generator=g) * 1.5 + 0.3
        elif isinstance(module, nn.Linear):
            module.weight.data = torch.randn(module.weight.shape, generator=g) / math.sqrt(module.in_features)
            module.bias.data = torch.randn(module.bias.shape, generator=g) * 0.2


def efficientnet(width, depth, eps):
    setting, last_channel = _efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=depth)
    norm = partial(nn.BatchNorm2d, eps=eps)
    return EfficientNet(setting, dropout=0.2, num_classes=CLASSES, norm_layer=norm, last_channel=last_channel)


def regnet(depth, w0, wa, wm, group_width, se):
    params = tv_regnet.BlockParams.from_init_params(
        depth=depth, w_0=w0, w_a=wa, w_m=wm, group_width=group_width, se_ratio=0.25 if se else None
    )
    return tv_regnet._regnet(params, None, False, num_classes=CLASSES)


def timm_efficientnet_names(model):
    """torchvision EfficientNet key -> timm `efficientnet_*` key (timm/_efficientnet_blocks.py)."""
    names = {}
    n_stages = len(model.features) - 2
    for key in model.state_dict():
        parts = key.split(".")
        if parts[0] == "classifier":
            names[key] = "classifier." + parts[-1]
            continue
        stage = int(parts[1])
        if stage == 0:  # stem: Conv2dNormActivation -> conv_stem, bn1
            names[key] = ("conv_stem." if parts[2] == "0" else "bn1.") + parts[-1]
        elif stage == n_stages + 1:  # head
            names[key] = ("conv_head." if parts[2] == "0" else "bn2.") + parts[-1]
        else:
            block = model.features[stage][int(parts[2])].block
            has_expand = len(block) == 4
            layer = int(parts[4])
            roles = ["expand", "dw", "se", "project"] if has_expand else ["dw", "se", "project"]
            role = roles[layer]
            prefix = f"blocks.{stage - 1}.{parts[2]}."
            if role == "se":
                names[key] = prefix + {"fc1": "se.conv_reduce.", "fc2": "se.conv_expand."}[parts[5]] + parts[-1]
                continue
            is_conv = parts[5] == "0"
            if has_expand:
                conv, bn = {"expand": ("conv_pw", "bn1"), "dw": ("conv_dw", "bn2"), "project": ("conv_pwl", "bn3")}[role]
            else:  # timm's DepthwiseSeparableConv
                conv, bn = {"dw": ("conv_dw", "bn1"), "project": ("conv_pw", "bn2")}[role]
            names[key] = prefix + (conv if is_conv else bn) + "." + parts[-1]
    return names


def timm_regnet_names(model):
    """torchvision RegNet key -> timm `regnet*` key (timm/models/regnet.py)."""
    names = {}
    for key in model.state_dict():
        parts = key.split(".")
        if parts[0] == "fc":
            names[key] = "head.fc." + parts[-1]
        elif parts[0] == "stem":
            names[key] = ("stem.conv." if parts[1] == "0" else "stem.bn.") + parts[-1]
        else:  # trunk_output.block{s}.block{s}-{i}.(proj|f.x).{0|1}.param
            s = parts[1][len("block"):]
            i = int(parts[2].split("-")[1])
            prefix = f"s{s}.b{i + 1}."
            if parts[3] == "proj":
                names[key] = prefix + ("downsample.conv." if parts[4] == "0" else "downsample.bn.") + parts[-1]
            elif parts[4] == "se":
                names[key] = prefix + "se." + parts[5] + "." + parts[-1]
            else:
                conv = {"a": "conv1", "b": "conv2", "c": "conv3"}[parts[4]]
                names[key] = prefix + conv + (".conv." if parts[5] == "0" else ".bn.") + parts[-1]
    return names


FIXTURES = [
    # name, webnets generator + options, torch builder, input size, legacy copy, timm names
    dict(
        name="efficientnet-w0.25-d0.5",
        generator="efficientnet",
        options=dict(widthMult=0.25, depthMult=0.5, inputSize=224, numClasses=CLASSES),
        build=lambda: efficientnet(0.25, 0.5, 1e-5),
        size=224,
        legacy=False,
        timm=None,
    ),
    dict(
        name="efficientnet-w0.25-d0.25-r240",
        generator="efficientnet",
        options=dict(widthMult=0.25, depthMult=0.25, inputSize=240, bnEps=1e-3, numClasses=CLASSES),
        build=lambda: efficientnet(0.25, 0.25, 1e-3),
        size=240,
        legacy=True,
        timm=timm_efficientnet_names,
    ),
    dict(
        name="regnetx-d5-w16-a10-m2.3-g12",
        generator="regnet",
        options=dict(depth=5, w0=16, wa=10, wm=2.3, groupWidth=12, se=False, numClasses=CLASSES),
        build=lambda: regnet(5, 16, 10, 2.3, 12, False),
        size=224,
        legacy=True,
        timm=None,
    ),
    dict(
        name="regnety-d5-w16-a10-m2.3-g12",
        generator="regnet",
        options=dict(depth=5, w0=16, wa=10, wm=2.3, groupWidth=12, se=True, numClasses=CLASSES),
        build=lambda: regnet(5, 16, 10, 2.3, 12, True),
        size=160,
        legacy=True,
        timm=timm_regnet_names,
    ),
    # group width 24 > 16: webnets runs these grouped convs one conv per group
    dict(
        name="regnetx-d5-w16-a10-m2.3-g24",
        generator="regnet",
        options=dict(depth=5, w0=16, wa=10, wm=2.3, groupWidth=24, se=False, numClasses=CLASSES),
        build=lambda: regnet(5, 16, 10, 2.3, 24, False),
        size=96,
        legacy=False,
        timm=None,
    ),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, fx in enumerate(FIXTURES):
        torch.manual_seed(seed)
        model = fx["build"]()
        randomize(model, 1000 + seed)
        model.eval()
        x = make_input(fx["size"])
        features = {}
        model.avgpool.register_forward_hook(lambda _m, _i, out: features.update(pooled=out.flatten(1)))
        with torch.no_grad():
            logits = model(x)
        state = model.state_dict()
        base = os.path.join(OUT, fx["name"])
        torch.save(state, base + ".pt.bin")
        files = {"zip": fx["name"] + ".pt.bin"}
        if fx["legacy"]:
            torch.save(state, base + ".legacy.pt.bin", _use_new_zipfile_serialization=False)
            files["legacy"] = fx["name"] + ".legacy.pt.bin"
        record = {
            "generator": fx["generator"],
            "options": fx["options"],
            "input": {"batch": BATCH, "size": fx["size"], "layout": "NCHW", "formula": INPUT_FORMULA},
            "params": sum(p.numel() for p in model.parameters()),
            "files": files,
            "logits": logits.tolist(),
            "features": features["pooled"].tolist(),
            "made_with": {"torch": torch.__version__, "torchvision": torchvision.__version__},
        }
        if fx["timm"]:
            record["timmNames"] = fx["timm"](model)
        with open(base + ".json", "w") as f:
            json.dump(record, f)
        print(f"{fx['name']}: {record['params']} params, max|logit| {logits.abs().max():.3f}")


if __name__ == "__main__":
    main()
