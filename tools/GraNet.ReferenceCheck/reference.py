"""Repeats a GraNet.ReferenceCheck run with PyTorch and prints how far the two runs are apart.

usage: python3 reference.py STEPS dense|gmp|rigl DIR   (DIR written by GraNet.ReferenceCheck; Debian: apt-get install python3-torch)
Same initial weights, same batches in the same order, SGD lr 0.1, momentum 0.9, Nesterov,
weight decay 5e-4; gmp: global magnitude pruning to round(d_t * N) weights every 10 steps up to
step 100, d_t = 0.05 + 0.95 * (1 - t / 100)^3, weights and momentum masked after every step.
rigl: from the run's initial masks, every 10 steps each layer (unless empty or full) drops the
k = ceil(r_t * n) active weights of smallest |w| and grows the k inactive positions (the just dropped
included) of largest |gradient|, ties in index order; r_t = 0.005 + 0.495 * (1 + cos(pi t / 300)) / 2;
grown positions start at 0 with zero momentum.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from common import LeNet5Caffe, global_magnitude_masks

torch.set_num_threads(1)
steps, mode, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
batch = 128
for required in ('pixels.bin', 'labels.bin', f'losses_{mode}.txt'):
    if not os.path.exists(os.path.join(folder, required)):
        sys.exit(f'reference.py: {os.path.join(folder, required)} not found; run GraNet.ReferenceCheck {steps} {mode} {folder} first')


def load(name, dtype=np.float32):
    return np.fromfile(os.path.join(folder, name), dtype=dtype)


net = LeNet5Caffe()
with torch.no_grad():
    for name, p in net.named_parameters():
        p.copy_(torch.from_numpy(load(f'init_{name}.bin').reshape(p.shape)))
images = ((torch.from_numpy(load('pixels.bin', np.uint8).astype(np.float32)) / 255) - 0.2860) / 0.3530
labels = torch.from_numpy(load('labels.bin', np.uint8).astype(np.int64))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
weights = [net.conv1.weight, net.conv2.weight, net.fc3.weight, net.fc4.weight]
masks = [torch.ones_like(w, dtype=torch.bool) for w in weights]
if mode == 'rigl':
    masks = [torch.from_numpy(load(f'mask_{name}.bin', np.uint8).astype(bool)).reshape(w.shape)
             for name, w in zip(('conv1.weight', 'conv2.weight', 'fc3.weight', 'fc4.weight'), weights)]
total = sum(w.numel() for w in weights)


def apply_masks():
    """Weights and momentum are zero where the mask is off."""
    with torch.no_grad():
        for w, m in zip(weights, masks):
            w.mul_(m)
            optimizer.state[w]['momentum_buffer'].mul_(m)


def regenerate(t):
    rate = 0.005 + (0.5 - 0.005) * (1 + math.cos(math.pi * t / 300)) / 2
    with torch.no_grad():
        for i, (w, m) in enumerate(zip(weights, masks)):
            n = int(m.sum())
            if n == 0 or n == m.numel():
                continue
            k = min(n, math.ceil(round(rate * n, 9)))
            active = m.flatten()
            drop_score = w.detach().abs().flatten().clone()
            drop_score[~active] = math.inf
            after = active.clone()
            after[torch.sort(drop_score, stable=True).indices[:k]] = False
            grow_score = w.grad.abs().flatten().clone()
            grow_score[after] = -1.0
            new = after.clone()
            new[torch.sort(grow_score, descending=True, stable=True).indices[:k]] = True
            added = new & ~active
            w.view(-1)[added] = 0
            optimizer.state[w]['momentum_buffer'].view(-1)[added] = 0
            masks[i] = new.reshape(w.shape)


def prune(t):
    masks[:] = global_magnitude_masks(weights, masks, round((0.05 + 0.95 * (1 - t / 100) ** 3) * total))


losses = []
for step in range(steps):
    x = images[step * batch * 784:(step + 1) * batch * 784].reshape(batch, 1, 28, 28)
    y = labels[step * batch:(step + 1) * batch]
    optimizer.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
    if mode == 'gmp':
        if (step + 1) % 10 == 0 and step + 1 <= 100:
            prune(step + 1)
        apply_masks()
    if mode == 'rigl':
        apply_masks()
        if (step + 1) % 10 == 0:
            regenerate(step + 1)
            apply_masks()
    losses.append(loss.item())

ours = np.array([float(line) for line in open(os.path.join(folder, f'losses_{mode}.txt'))])
diff = np.abs(ours - np.array(losses))
print(f'{mode}, {steps} steps: |loss ours - loss torch| per step: ' + ' '.join(f'{d:.0e}' for d in diff[:30]) + (' ...' if steps > 30 else ''))
print(f'  largest difference before step 18: {diff[:17].max():.1e}; over the run: {diff.max():.1e}; last loss ours {ours[-1]:.4f}, torch {losses[-1]:.4f}')
apart = np.flatnonzero(~(diff <= 1e-3))
print(f'  first step whose losses differ by more than 1e-3: {apart[0] + 1 if apart.size else "none"}'
      + (f' (ours {ours[apart[0]]:.4f}, torch {losses[apart[0]]:.4f}; before it at most {diff[:apart[0]].max():.1e})' if apart.size else ''))
for name, p in net.named_parameters():
    o = load(f'final_{mode}_{name}.bin')
    r = p.detach().numpy().ravel()
    line = f'  {name}: max |w ours - w torch| {np.abs(o - r).max():.1e} (max |w| {np.abs(r).max():.1e})'
    if name.endswith('weight'):
        line += f'; nonzero ours {np.count_nonzero(o)}, torch {np.count_nonzero(r)}; same support on {np.mean((o != 0) == (r != 0)):.5f} of entries'
    print(line)

with torch.no_grad():
    count = min(steps, 16) * batch
    x = images[:count * 784].reshape(count, 1, 28, 28)
    conv2 = F.relu(net.conv2(F.max_pool2d(F.relu(net.conv1(x)), 2)))
    fc3 = F.relu(net.fc3(F.max_pool2d(conv2, 2).flatten(1)))
    dead = ((conv2.amax(dim=(0, 2, 3)) == 0).sum().item(), (fc3.amax(dim=0) == 0).sum().item())
ours_dead = open(os.path.join(folder, f'dead_{mode}.txt')).read().split()
print(f'  ReLU units dead on the first {count} images: conv2 ours {ours_dead[0]}/50, torch {dead[0]}/50; fc3 ours {ours_dead[1]}/500, torch {dead[1]}/500')
