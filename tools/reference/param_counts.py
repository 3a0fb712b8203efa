#!/usr/bin/python3
"""Records PyTorch's parameter count for every webnets preset that torchvision 0.14 can build.

EfficientNet B0-B7 and the RegNets torchvision ships come from its builders. The RegNet
sizes torchvision does not ship (200MF, 600MF, 4.0GF, 6.4GF, 12GF) are pycls's models:
their stage widths, depths and group widths are computed as pycls does
(`generate_regnet` + `adjust_block_compatibility`, numpy float64) and the network is
built with torchvision's own RegNet class, so torchvision counts them too.

Run: /usr/bin/python3 tools/reference/param_counts.py  (writes test/fixtures/torchvision-params.json)
"""
import json
import os

import numpy as np

import torch
import torchvision
from torchvision.models import efficientnet as tv_efficientnet
from torchvision.models import regnet as tv_regnet

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "torchvision-params.json")

# webnets size name -> torchvision builder suffix
SHIPPED = {"400mf": "400mf", "800mf": "800mf", "1.6gf": "1_6gf", "3.2gf": "3_2gf", "8.0gf": "8gf", "16gf": "16gf", "32gf": "32gf"}
# pycls configs/dds_baselines (depth, w0, wa, wm, group width) for sizes torchvision lacks
PYCLS = {
    "x": {
        "200mf": (13, 24, 36.44, 2.49, 8),
        "600mf": (16, 48, 36.97, 2.24, 24),
        "4.0gf": (23, 96, 38.65, 2.43, 40),
        "6.4gf": (17, 184, 60.83, 2.07, 56),
        "12gf": (19, 168, 73.36, 2.37, 112),
    },
    "y": {
        "200mf": (13, 24, 36.44, 2.49, 8),
        "600mf": (15, 48, 32.54, 2.32, 16),
        "4.0gf": (22, 96, 31.41, 2.24, 64),
        "6.4gf": (25, 112, 33.22, 2.27, 72),
        "12gf": (19, 168, 73.36, 2.37, 112),
    },
}


def pycls_block_params(depth, w0, wa, wm, group_width, se):
    """pycls/models/regnet.py `generate_regnet` + blocks.py `adjust_block_compatibility` (b = 1)."""
    ws_cont = np.arange(depth) * wa + w0
    ks = np.round(np.log(ws_cont / w0) / np.log(wm))
    ws_all = np.round(np.divide(w0 * np.power(wm, ks), 8)).astype(int) * 8
    ws, ds = np.unique(ws_all, return_counts=True)
    ws, ds = ws.tolist(), ds.tolist()
    gs = [int(min(group_width, w)) for w in ws]
    ws = [max(g, int(round(w / g) * g)) for w, g in zip(ws, gs)]
    return tv_regnet.BlockParams(
        depths=ds,
        widths=ws,
        group_widths=gs,
        bottleneck_multipliers=[1.0] * len(ws),
        strides=[2] * len(ws),
        se_ratio=0.25 if se else None,
    )


def count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    torch.manual_seed(0)
    result = {"torchvision": torchvision.__version__, "torch": torch.__version__, "params": {}, "source": {}}
    for b in range(8):
        model = getattr(tv_efficientnet, f"efficientnet_b{b}")()
        result["params"][f"efficientnet-b{b}"] = count(model)
        result["source"][f"efficientnet-b{b}"] = f"torchvision.models.efficientnet_b{b}()"
    for xy in ("x", "y"):
        for size, suffix in SHIPPED.items():
            name = f"regnet_{xy}_{suffix}"
            result["params"][f"regnet{xy}-{size}"] = count(getattr(tv_regnet, name)())
            result["source"][f"regnet{xy}-{size}"] = f"torchvision.models.{name}()"
        for size, (depth, w0, wa, wm, g) in PYCLS[xy].items():
            params = pycls_block_params(depth, w0, wa, wm, g, xy == "y")
            result["params"][f"regnet{xy}-{size}"] = count(tv_regnet._regnet(params, None, False))
            result["source"][f"regnet{xy}-{size}"] = (
                f"torchvision RegNet class, pycls widths for depth={depth}, w0={w0}, wa={wa}, wm={wm}, "
                f"group_width={g}, se={xy == 'y'}: {params.widths}, depths {params.depths}"
            )
    with open(OUT, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {OUT}: {len(result['params'])} models")


if __name__ == "__main__":
    main()
