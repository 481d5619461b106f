namespace GraNet.Export;

/// <summary>What a compact model file says about itself.</summary>
/// <param name="Configuration">The training run's configuration (JSON), kept verbatim.</param>
/// <param name="Tensors">Every state tensor, in file order.</param>
public sealed record CompactModelHeader(string Model, string Dataset, int Channels, int Height, int Width, int Classes, string Configuration, IReadOnlyList<CompactTensor> Tensors)
{
    /// <summary><see cref="GraNet.Data.ImageDataset.Digest"/> of the test set the run was tested on; null in files of earlier versions and of runs that predate digests.</summary>
    public string? TestImagesSha256 { get; init; }
}
