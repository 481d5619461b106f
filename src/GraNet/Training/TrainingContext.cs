using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Training;

/// <summary>What a <see cref="ITrainingHook"/> learns about the run it is attached to.</summary>
/// <param name="StepsPerEpoch">Optimizer steps per epoch (the last batch may be partial).</param>
/// <param name="TotalSteps">Optimizer steps of the whole run, <c>T</c>: <paramref name="StepsPerEpoch"/> × <paramref name="Epochs"/> (a sparsity controller refuses another count).</param>
/// <param name="SampleShape">Shape of one input sample <c>[C, H, W]</c>, for FLOPs accounting.</param>
/// <param name="InputType">Element type of the model's input (e.g. <c>Int64</c> for token ids); null: the type of the model's first parameter.</param>
public sealed record TrainingContext(
    nn.Module<Tensor, Tensor> Model,
    OptimizerHelper Optimizer,
    int StepsPerEpoch,
    long TotalSteps,
    int Epochs,
    int Seed,
    long[] SampleShape,
    ScalarType? InputType = null);
