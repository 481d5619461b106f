"""Protocol P1 (shared/spec/protocols.md) in plain PyTorch, dense or GMP: our own script, to
compare the spread of PyTorch runs with ours. Not the authors' code.

usage: python3 p1.py SEED FINAL_DENSITY [EPOCHS [DATA_DIR]]   (FINAL_DENSITY 1 = dense; EPOCHS 20 = the protocol; Debian: apt-get install python3-torch)
Prints one line: seed, final density, test accuracy after the last epoch, dead conv2 channels (ReLU output 0
for all 10,000 test images); on stderr a line per epoch (training loss, test accuracy, dead conv2 channels
and fc3 units, density).
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from common import LeNet5Caffe, global_magnitude_masks

torch.set_num_threads(1)
seed, final_density = int(sys.argv[1]), float(sys.argv[2])
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
folder = sys.argv[4] if len(sys.argv) > 4 else '/usr/share/datasets/fashion-mnist'


for required in ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'):
    if not os.path.exists(os.path.join(folder, required)):
        sys.exit(f'p1.py: {os.path.join(folder, required)} not found; apt-get install dataset-fashion-mnist or give the folder as DATA_DIR')


def idx(name, offset):
    with gzip.open(os.path.join(folder, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(name):
    return ((torch.from_numpy(idx(name, 16).astype(np.float32)) / 255 - 0.2860) / 0.3530).reshape(-1, 1, 28, 28)


train_x, test_x = images('train-images-idx3-ubyte.gz'), images('t10k-images-idx3-ubyte.gz')
train_y = torch.from_numpy(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))
test_y = torch.from_numpy(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))


torch.manual_seed(seed)
net = LeNet5Caffe()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
schedule = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[10, 15])
weights = [net.conv1.weight, net.conv2.weight, net.fc3.weight, net.fc4.weight]
masks = [torch.ones_like(w, dtype=torch.bool) for w in weights]
total = sum(w.numel() for w in weights)
batch, interval = 128, 100
steps_per_epoch = (len(train_y) + batch - 1) // batch
t_final = 10 * steps_per_epoch


def prune(t):
    masks[:] = global_magnitude_masks(weights, masks, round((final_density + (1 - final_density) * (1 - t / t_final) ** 3) * total))


def evaluate():
    """Test accuracy (%), and conv2 channels and fc3 units that output 0 for every test image."""
    net.eval()
    with torch.no_grad():
        conv2 = F.relu(net.conv2(F.max_pool2d(F.relu(net.conv1(test_x)), 2)))
        fc3 = F.relu(net.fc3(F.max_pool2d(conv2, 2).flatten(1)))
        accuracy = 100 * (net.fc4(fc3).argmax(1) == test_y).float().mean().item()
        dead = (conv2.amax(dim=(0, 2, 3)) == 0).sum().item(), (fc3.amax(dim=0) == 0).sum().item()
    net.train()
    return accuracy, dead


step = 0
for epoch in range(epochs):
    order = torch.randperm(len(train_y))
    net.train()
    loss_sum = 0.0
    for b in range(steps_per_epoch):
        index = order[b * batch:(b + 1) * batch]
        optimizer.zero_grad()
        loss = F.cross_entropy(net(train_x[index]), train_y[index])
        loss.backward()
        loss_sum += loss.item() * len(index)
        optimizer.step()
        step += 1
        if final_density < 1:
            if (step % interval == 0 and step < t_final) or step == t_final:
                prune(step)
            with torch.no_grad():
                for w, m in zip(weights, masks):
                    w.mul_(m)
                    optimizer.state[w]['momentum_buffer'].mul_(m)
    schedule.step()
    accuracy, (dead_conv2, dead_fc3) = evaluate()
    density = sum(m.sum().item() for m in masks) / total
    print(f'epoch {epoch + 1} loss {loss_sum / len(train_y):.4f} test {accuracy:.2f} dead conv2 {dead_conv2} fc3 {dead_fc3} density {density:.4f}', file=sys.stderr, flush=True)

print(f'seed {seed} density {density:.4f} test accuracy {accuracy:.2f} dead conv2 {dead_conv2}/50', flush=True)
