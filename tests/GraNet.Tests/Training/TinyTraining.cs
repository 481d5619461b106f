using GraNet.Data;
using GraNet.Training;

namespace GraNet.Tests.Training;

/// <summary>A learnable 10-class 28x28 data set held in memory, and loaders over it.</summary>
internal static class TinyTraining
{
    /// <param name="seed">Draws the pixels' noise: another seed gives another data set of the same size and labels.</param>
    public static TrainingData Data(TrainingOptions options, int count = 400, int seed = 2)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % 10;
            labels[i] = (byte)label;
            for (int p = 0; p < 784; p++)
            {
                bool band = p / 28 >= 2 * label && p / 28 < (2 * label) + 4;
                pixels[(i * 784) + p] = (byte)((band ? 180 : 20) + random.Next(60));
            }
        }
        var data = new ImageDataset("tiny", new ImageShape(1, 28, 28), 10, pixels, labels);
        var (train, validation) = DataSplit.Holdout(count, options.ValidationFraction, options.Seed);
        return new TrainingData(
            new BatchLoader(data, train, [0.3f], [0.3f], options.BatchSize),
            validation.Length > 0 ? new BatchLoader(data, validation, [0.3f], [0.3f], 100) : null,
            new BatchLoader(data, null, [0.3f], [0.3f], 100),
            10,
            false);
    }
}
