using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Sparsity.Distribution;
using GraNet.Training.Optimizers;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// ERK at 95 % sparsity on the paper's CIFAR models, layer by layer. The expected densities were computed three ways
/// on 30 November 2026 and agreed to 1e-15: by spec §1 in a script of our own, by the authors' <c>Masking</c> on their
/// own VGG-19 and ResNet-50 (its <c>density_dict</c>, before its Bernoulli draw), and by this library; the
/// inference FLOPs by spec §8 from the layers' output sizes.
/// </summary>
public class PaperModelDistributionTests
{
    [Fact]
    public void Erk_of_vgg19_at_95_percent_sparsity_is_the_authors_per_layer()
    {
        // 64x3, 64x64, 128x64, 128x128, 256x128, 3 x 256x256, 512x256, 7 x 512x512 (all 3x3), the classifier 10x512
        double[] expected = [1, 0.343514, 0.253790, 0.167912, 0.124972, 0.082994, 0.082994, 0.082994, 0.062006,
            0.041257, 0.041257, 0.041257, 0.041257, 0.041257, 0.041257, 0.041257, 1];
        var (densities, active, counts, relative) = Initial("vgg19");
        Assert.Equal(expected.Length, densities.Length);
        Assert.Equal(20_024_000, counts.Sum());
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], densities[i], 6);
            // Exact counts: the nearest whole number to the density times the layer's size (±1 for a 6-decimal density).
            Assert.InRange(active[i], (long)Math.Floor((expected[i] - 1e-6) * counts[i]), (long)Math.Ceiling((expected[i] + 1e-6) * counts[i]));
        }
        Assert.Equal(0.113096, relative, 6);
    }

    [Fact]
    public void Erk_of_resnet50_at_95_percent_sparsity_caps_the_classifier_and_matches_the_authors_per_shape()
    {
        var (densities, active, counts, relative) = Initial("resnet50");
        Assert.Equal(54, densities.Length); // 49 convolutions of the blocks and stem, 4 projections, the classifier
        Assert.Equal(23_467_712, counts.Sum());
        Assert.Equal(0.988631, densities[0], 6); // the 3x3 stem, 64x3
        Assert.Equal(0.742743, densities[1], 6); // layer1.0.conv1, 64x64 1x1
        Assert.Equal(0.085066, densities[2], 6); // 64x64 3x3
        Assert.Equal(1, densities[^1]); // the classifier, 10x2048, capped
        Assert.Equal(0.010217, densities.Min(), 6); // the 512x512 3x3 convolutions of the last stage
        Assert.Equal(0.05 * counts.Sum(), active.Sum(), 0.5 * densities.Length);
        Assert.Equal(0.115561, relative, 6);
    }

    private static (double[] Densities, long[] Active, long[] Counts, double FlopsRelative) Initial(string name)
    {
        manual_seed(0);
        using var model = ModelRegistry.Create(name, new ImageShape(3, 32, 32), 10);
        var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
        var options = new SparsityOptions { Method = SparsityMethodKind.Static, FinalDensity = 0.05, Distribution = DistributionKind.ERK };
        using var controller = SparsityController.Create(model, optimizer, options, stepsPerEpoch: 10, epochs: 1, sampleShape: [3, 32, 32], seed: 1);
        var layers = controller.Masks.Layers;
        double[] densities = new ErdosRenyiDistribution(kernel: true).Densities(layers.Select(l => l.Shape).ToList(), 0.05);
        return (densities, layers.Select(l => l.ActiveCount).ToArray(), layers.Select(l => l.Count).ToArray(), controller.InferenceFlopsRelative);
    }
}
