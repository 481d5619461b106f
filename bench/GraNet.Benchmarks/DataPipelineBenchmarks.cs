using BenchmarkDotNet.Attributes;
using GraNet.Data;

namespace GraNet.Benchmarks;

/// <summary>One epoch of normalised, shuffled batches of 128 from 60,000 synthetic 28x28 (or 32x32x3) images.</summary>
public class DataPipelineBenchmarks
{
    private BatchLoader loader = null!;
    private int epoch;

    [Params("fashion-mnist", "cifar10")]
    public string Dataset { get; set; } = "";

    [Params(false, true)]
    public bool Augment { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var spec = DatasetCatalog.Get(Dataset);
        int count = 60_000;
        var pixels = new byte[count * spec.Shape.Size];
        var labels = new byte[count];
        var random = new Random(1);
        random.NextBytes(pixels);
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)random.Next(spec.Classes);
        }
        loader = new BatchLoader(new ImageDataset(Dataset, spec.Shape, spec.Classes, pixels, labels), null, spec.Mean, spec.Std, 128);
    }

    [Benchmark]
    public int Epoch()
    {
        int images = 0;
        foreach (var batch in loader.Epoch(++epoch, shuffle: true, Augment, seed: 1))
        {
            images += batch.Count;
        }
        return images;
    }
}
