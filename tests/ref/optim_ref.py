#!/usr/bin/python3
"""Reference trajectories of torch.optim.Adam, AdamW, RMSprop and Adagrad for
tests/plugins/test_optimizer.c (the adam, adamw, rmsprop and adagrad plugins).

The problem is tests/ref/sgd_ref.py's: four parameters start at P0 and follow
grad = A * p + B for STEPS steps; before step t the learning rate is
lr * scales[t] (rnnlab's lr_scale). Each setting prints one C initialiser:
{"name", "optimizer", "key=value ...", scales, {params after each step}}.

Run: /usr/bin/python3 tests/ref/optim_ref.py   (needs torch 1.13, e.g. Debian python3-torch)
"""
import torch

P0 = [0.5, -1.0, 2.0, 0.0]
A = [1.0, 0.5, 2.0, 0.1]
B = [0.3, -0.2, 0.0, 1.0]
STEPS = 5
ONES = [1.0] * STEPS
SCHEDULE = [1.0, 0.5, 0.25, 1.0, 2.0]

# name, rnnlab optimizer, torch class, rnnlab params (key=value), torch kwargs, scales
SETTINGS = [
    ("adam_defaults", "adam", torch.optim.Adam, "", {}, ONES),
    ("adam_lr", "adam", torch.optim.Adam, "lr=0.1", dict(lr=0.1), ONES),
    ("adam_betas_wd", "adam", torch.optim.Adam, "lr=0.05 beta1=0.8 beta2=0.9 eps=1e-6 weight_decay=0.05",
     dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05), ONES),
    ("adam_amsgrad_schedule", "adam", torch.optim.Adam, "lr=0.1 beta2=0.5 amsgrad=true",
     dict(lr=0.1, betas=(0.9, 0.5), amsgrad=True), SCHEDULE),
    ("adamw_defaults", "adamw", torch.optim.AdamW, "lr=0.1", dict(lr=0.1), ONES),
    ("adamw_wd_amsgrad", "adamw", torch.optim.AdamW, "lr=0.1 weight_decay=0.5 amsgrad=true beta2=0.6",
     dict(lr=0.1, weight_decay=0.5, amsgrad=True, betas=(0.9, 0.6)), SCHEDULE),
    ("rmsprop_defaults", "rmsprop", torch.optim.RMSprop, "", {}, ONES),
    ("rmsprop_momentum", "rmsprop", torch.optim.RMSprop, "lr=0.01 momentum=0.9 weight_decay=0.1",
     dict(lr=0.01, momentum=0.9, weight_decay=0.1), ONES),
    ("rmsprop_centered", "rmsprop", torch.optim.RMSprop, "lr=0.02 alpha=0.9 centered=true",
     dict(lr=0.02, alpha=0.9, centered=True), ONES),
    ("rmsprop_all_schedule", "rmsprop", torch.optim.RMSprop,
     "lr=0.01 alpha=0.8 eps=1e-4 momentum=0.5 centered=true weight_decay=0.02",
     dict(lr=0.01, alpha=0.8, eps=1e-4, momentum=0.5, centered=True, weight_decay=0.02), SCHEDULE),
    ("adagrad_defaults", "adagrad", torch.optim.Adagrad, "", {}, ONES),
    ("adagrad_all", "adagrad", torch.optim.Adagrad,
     "lr=0.1 lr_decay=0.1 weight_decay=0.05 initial_accumulator_value=0.1",
     dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1), ONES),
    ("adagrad_schedule", "adagrad", torch.optim.Adagrad, "lr=0.5 eps=1e-3", dict(lr=0.5, eps=1e-3),
     SCHEDULE),
]

a = torch.tensor(A, dtype=torch.float64)
b = torch.tensor(B, dtype=torch.float64)
for name, optname, cls, params, kwargs, scales in SETTINGS:
    p = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float64))
    opt = cls([p], **kwargs)
    lr = opt.param_groups[0]["lr"]
    rows = []
    for t in range(STEPS):
        opt.param_groups[0]["lr"] = lr * scales[t]
        p.grad = (a * p.detach() + b).clone()
        opt.step()
        rows.append("{" + ", ".join(f"{v:.17g}" for v in p.detach().tolist()) + "}")
    sc = "ONES" if scales is ONES else "SCHEDULE"
    print(f'    {{"{name}", "{optname}", "{params}", {sc},\n     {{' + ",\n      ".join(rows) + "}},")
