using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Configuration;

/// <summary>The fully resolved configuration of a training run, as written to <c>config.json</c>.</summary>
public sealed record RunConfiguration
{
    public string Model { get; init; } = "lenet5-caffe";

    public string Dataset { get; init; } = "fashion-mnist";

    public string? DataDir { get; init; }

    public int Threads { get; init; } = GraNet.Runtime.TorchRuntime.DefaultThreads;

    /// <summary>
    /// The instruction set of libtorch's CPU kernels (<c>--cpu-kernels</c>): a run writes the set it ran with, never
    /// <see cref="GraNet.Runtime.CpuKernels.Auto"/>, so that its continuation runs the same kernels (a config.json from before
    /// this setting reads as auto: the best set of the machine that continues it).
    /// </summary>
    public GraNet.Runtime.CpuKernels CpuKernels { get; init; } = GraNet.Runtime.CpuKernels.Auto;

    public string? Preset { get; init; }

    /// <summary>Folder for TensorBoard event files; null: none.</summary>
    public string? TensorBoard { get; init; }

    /// <summary>Batch size for validation and test evaluation (no effect on results).</summary>
    public int EvaluationBatchSize { get; init; } = 1000;

    public TrainingOptions Training { get; init; } = new();

    /// <summary>The sparse-training method and its settings (<c>dense</c> by default).</summary>
    public SparsityOptions Sparsity { get; init; } = new() { Method = SparsityMethodKind.Dense };
}
