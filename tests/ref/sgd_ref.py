#!/usr/bin/python3
"""Reference trajectories of torch.optim.SGD for tests/plugins/test_optimizer.c.

Four parameters start at P0 and follow the gradient of
sum(A * p^2 / 2 + B * p), i.e. grad = A * p + B, for STEPS steps. Before
step t the learning rate is lr * SCALE[t] (what rnnlab's schedule passes as
lr_scale). Every setting prints the parameters after each step as a C
initialiser, in float64.

Run: /usr/bin/python3 tests/ref/sgd_ref.py   (needs torch, e.g. Debian python3-torch)
"""
import torch

P0 = [0.5, -1.0, 2.0, 0.0]
A = [1.0, 0.5, 2.0, 0.1]
B = [0.3, -0.2, 0.0, 1.0]
STEPS = 5
SCALE = [1.0, 1.0, 1.0, 1.0, 1.0]
SCHEDULE = [1.0, 0.5, 0.25, 1.0, 2.0]

SETTINGS = [
    # name, lr, momentum, dampening, nesterov, weight_decay, scales
    ("plain", 0.1, 0.0, 0.0, False, 0.0, SCALE),
    ("momentum", 0.1, 0.9, 0.0, False, 0.0, SCALE),
    ("dampening", 0.1, 0.9, 0.5, False, 0.0, SCALE),
    ("nesterov", 0.1, 0.9, 0.0, True, 0.0, SCALE),
    ("weight_decay", 0.1, 0.0, 0.0, False, 0.05, SCALE),
    ("all", 0.05, 0.5, 0.1, False, 0.01, SCALE),
    ("nesterov_wd_schedule", 0.2, 0.8, 0.0, True, 0.03, SCHEDULE),
]

a = torch.tensor(A, dtype=torch.float64)
b = torch.tensor(B, dtype=torch.float64)
for name, lr, mom, damp, nest, wd, scales in SETTINGS:
    p = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=mom, dampening=damp, nesterov=nest,
                          weight_decay=wd)
    rows = []
    for t in range(STEPS):
        opt.param_groups[0]["lr"] = lr * scales[t]
        p.grad = (a * p.detach() + b).clone()
        opt.step()
        rows.append("{" + ", ".join(f"{v:.17g}" for v in p.detach().tolist()) + "}")
    print(f"/* {name} */ {{" + ",\n ".join(rows) + "},")
