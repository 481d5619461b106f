"""Shared by p1.py and reference.py: LeNet-5-Caffe as protocol P1 states it, and exact global magnitude pruning."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5Caffe(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc3 = nn.Linear(800, 500)
        self.fc4 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc4(F.relu(self.fc3(x.flatten(1))))

    def masked_weights(self):
        return [self.conv1.weight, self.conv2.weight, self.fc3.weight, self.fc4.weight]


def global_magnitude_masks(weights, masks, keep):
    """Masks keeping the `keep` active weights of largest magnitude over all tensors together."""
    total = sum(w.numel() for w in weights)
    scores = torch.cat([(w.detach().abs() * m).flatten() for w, m in zip(weights, masks)])
    flat = torch.zeros(total, dtype=torch.bool)
    flat[torch.topk(scores, keep).indices] = True
    result, offset = [], 0
    for w in weights:
        result.append(flat[offset:offset + w.numel()].reshape(w.shape))
        offset += w.numel()
    return result
