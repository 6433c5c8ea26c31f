#!/usr/bin/python3
"""Reference values for tests/plugins/test_loss.c: torch.nn.CrossEntropyLoss with
label smoothing and an ignored row (our masked row), and torch.nn.MSELoss.

Run: /usr/bin/python3 tests/ref/xent_ref.py   (needs torch, e.g. Debian python3-torch)
"""
import torch

logits = torch.tensor(
    [[0.5, -1.25, 2.0, 0.0],
     [3.0, 1.0, -2.0, 0.25],
     [-0.75, 0.5, 0.125, 1.5]], dtype=torch.float64, requires_grad=True)
targets = torch.tensor([2, 0, 3])
ignored = targets.clone()
ignored[1] = -100  # row 1 is masked in the C test

for eps in (0.0, 0.2):
    loss = torch.nn.CrossEntropyLoss(label_smoothing=eps, ignore_index=-100)(logits, ignored)
    (grad,) = torch.autograd.grad(loss, logits)
    print(f"/* eps = {eps} */ loss = {loss.item():.17g};")
    print("grad = {" + ", ".join(f"{g:.17g}" for g in grad.flatten().tolist()) + "};")

x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype=torch.float64, requires_grad=True)
y = torch.tensor([[1.0, 0.0, 2.5], [-1.0, 0.75, 0.0]], dtype=torch.float64)
loss = torch.nn.MSELoss()(x, y)
(grad,) = torch.autograd.grad(loss, x)
print(f"/* mse */ loss = {loss.item():.17g};")
print("grad = {" + ", ".join(f"{g:.17g}" for g in grad.flatten().tolist()) + "};")
