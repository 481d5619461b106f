using GraNet.Sparsity;

namespace GraNet.Training;

/// <summary>Named training recipes.</summary>
public static class TrainingPresets
{
    /// <summary>Preset names with a line on each.</summary>
    public static IReadOnlyList<(string Name, string Description)> All { get; } =
    [
        ("paper-cifar", "The paper's CIFAR recipe: 160 epochs, batch 128, SGD 0.1 Nesterov momentum 0.9, weight decay 5e-4, lr x0.1 at epochs 80 and 120, crop+flip; ΔT 1000, pruning from epoch 0 to 80"),
        ("p1", "Protocol P1 (Fashion-MNIST, LeNet-5-Caffe): 20 epochs, batch 128, SGD 0.1 Nesterov, wd 5e-4, lr x0.1 after epochs 10 and 15, no validation hold-out; ΔT 100, pruning from epoch 0 to 10"),
        ("quick", "A short smoke run: 2 epochs, batch 128, SGD 0.05 Nesterov, 10 % validation; ΔT 100, pruning in epoch 1"),
    ];

    /// <summary>The options of preset <paramref name="name"/>.</summary>
    public static TrainingOptions Get(string name) => name.Trim().ToLowerInvariant() switch
    {
        "paper-cifar" => new TrainingOptions
        {
            Epochs = 160, BatchSize = 128, LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4,
            Schedule = LearningRateScheduleKind.MultiStep, Milestones = [80, 120], Gamma = 0.1, Augment = true,
        },
        "p1" => new TrainingOptions
        {
            Epochs = 20, BatchSize = 128, LearningRate = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4,
            Schedule = LearningRateScheduleKind.MultiStep, Milestones = [10, 15], Gamma = 0.1, ValidationFraction = 0, Augment = false,
        },
        "quick" => new TrainingOptions
        {
            Epochs = 2, BatchSize = 128, LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4,
        },
        _ => throw new ArgumentException($"Unknown preset '{name}'. Known: {string.Join(", ", All.Select(p => p.Name))}."),
    };

    /// <summary>
    /// <paramref name="options"/> with the sparsity schedule of preset <paramref name="name"/> (spec §6 and protocol P1):
    /// ΔT, the pruning window and the initial regeneration rate. The method and densities are the caller's.
    /// </summary>
    public static SparsityOptions WithSchedule(string name, SparsityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return name.Trim().ToLowerInvariant() switch
        {
            "paper-cifar" => options with { UpdateInterval = 1000, PruneStartEpoch = 0, PruneEndEpoch = 80, RegrowthRate = 0.5 },
            "p1" => options with { UpdateInterval = 100, PruneStartEpoch = 0, PruneEndEpoch = 10, RegrowthRate = 0.5 },
            "quick" => options with { UpdateInterval = 100, PruneStartEpoch = 0, PruneEndEpoch = 1, RegrowthRate = 0.5 },
            _ => throw new ArgumentException($"Unknown preset '{name}'. Known: {string.Join(", ", All.Select(p => p.Name))}."),
        };
    }
}
