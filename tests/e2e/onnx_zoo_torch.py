"""The handbook's PyTorch network, exported by Debian's torch 1.13 (python3-torch: the legacy
TorchScript exporter, opset 17, dynamic batch axis, Linear as Gemm). Run it with
/usr/bin/python3, not the pinned tools' python:

  /usr/bin/python3 onnx_zoo_torch.py --train train.csv --out DIR

writes DIR/torch_gemm_{binary,multiclass}.onnx and DIR/torch_{binary,multiclass}.npz (the
trained weights, from which onnx_zoo.py builds the newer exporter's MatMul + Add form).
The six inputs are the handbook's columns in onnx_zoo.py's order, merchant_category as its index.
"""
import argparse
import csv
import os

import numpy as np
import torch

COLUMNS = ["amount", "merchant_category", "hour_of_day", "day_of_week", "transaction_velocity",
           "distance_from_home"]
CATEGORIES = ["grocery", "gas", "restaurant", "online", "electronics", "travel", "entertainment",
              "health"]


def load(path):
    x, fraud, amount = [], [], []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            x.append([CATEGORIES.index(r[c]) if c == "merchant_category" else float(r[c])
                      for c in COLUMNS])
            fraud.append(int(r["is_fraud"]))
            amount.append(float(r["amount"]))
    fraud = np.array(fraud)
    tier = np.where(fraud == 1, 2, np.where(np.array(amount) < 50, 0, 1))  # as onnx_zoo.tier
    return np.array(x, dtype=np.float32), fraud, tier


class Net(torch.nn.Module):
    """6 -> 64 -> 32 -> 1 (sigmoid) for fraud, or -> 3 (softmax) for the tier."""

    def __init__(self, classes):
        super().__init__()
        self.l1 = torch.nn.Linear(6, 64)
        self.l2 = torch.nn.Linear(64, 32)
        self.l3 = torch.nn.Linear(32, 1 if classes == 2 else classes)
        self.classes = classes

    def logits(self, x):
        h = torch.relu(self.l1(x))
        h = torch.relu(self.l2(h))
        return self.l3(h)

    def forward(self, x):
        z = self.logits(x)
        return torch.sigmoid(z) if self.classes == 2 else torch.softmax(z, dim=1)


def train(x, y, classes, seed):
    torch.manual_seed(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    net = Net(classes)
    # Standardise by folding the scaling into the first layer after training (the exported graph
    # is then exactly the handbook's three Linear layers).
    xs = torch.tensor((x - mean) / std)
    yt = torch.tensor(y, dtype=torch.float32 if classes == 2 else torch.long)
    loss_fn = torch.nn.BCEWithLogitsLoss() if classes == 2 else torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(5):
        for i in range(0, len(xs), 512):
            z = net.logits(xs[i:i + 512])
            loss = loss_fn(z.squeeze(1) if classes == 2 else z, yt[i:i + 512])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        net.l1.bias -= net.l1.weight @ torch.tensor(mean / std)
        net.l1.weight /= torch.tensor(std)
    return net


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    x, fraud, tier = load(args.train)
    for task, y, classes in (("binary", fraud, 2), ("multiclass", tier, 3)):
        net = train(x, y, classes, args.seed).eval()
        torch.onnx.export(net, torch.zeros(1, 6), os.path.join(args.out, f"torch_gemm_{task}.onnx"),
                          input_names=["input"], output_names=["output"], opset_version=17,
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        np.savez(os.path.join(args.out, f"torch_{task}.npz"),
                 **{f"{n}.{k}": v.detach().numpy() for n in ("l1", "l2", "l3")
                    for k, v in getattr(net, n).state_dict().items()})


if __name__ == "__main__":
    main()
