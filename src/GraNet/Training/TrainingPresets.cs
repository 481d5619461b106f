namespace GraNet.Training;

/// <summary>Named training recipes.</summary>
public static class TrainingPresets
{
    /// <summary>Preset names with a line on each.</summary>
    public static IReadOnlyList<(string Name, string Description)> All { get; } =
    [
        ("paper-cifar", "The paper's CIFAR recipe: 160 epochs, batch 128, SGD 0.1 Nesterov momentum 0.9, weight decay 5e-4, lr x0.1 at epochs 80 and 120, crop+flip"),
        ("p1", "Protocol P1 (Fashion-MNIST, LeNet-5-Caffe): 20 epochs, batch 128, SGD 0.1 Nesterov, wd 5e-4, lr x0.1 after epochs 10 and 15, no validation hold-out"),
        ("quick", "A short smoke run: 2 epochs, batch 128, SGD 0.05 Nesterov, 10 % validation"),
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
}
