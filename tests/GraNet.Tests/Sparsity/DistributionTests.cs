using GraNet.Sparsity.Distribution;
using Xunit;

namespace GraNet.Tests.Sparsity;

public class DistributionTests
{
    private static readonly long[][] LeNet5Caffe = [[20, 1, 5, 5], [50, 20, 5, 5], [500, 800], [10, 500]];

    [Theory]
    [InlineData(0.5, 1.0, 0.4864, 0.4940, 1.0)]
    [InlineData(0.05, 0.7261, 0.0375, 0.0381, 1.0)]
    [InlineData(0.02, 0.2779, 0.0143, 0.0146, 0.4572)]
    public void Erk_matches_the_worked_values_of_the_spec(double density, double conv1, double conv2, double fc3, double fc4)
    {
        double[] d = new ErdosRenyiDistribution(kernel: true).Densities(LeNet5Caffe, density);
        Assert.Equal([conv1, conv2, fc3, fc4], d.Select(x => Math.Round(x, 4)).ToArray());
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.05)]
    [InlineData(0.02)]
    public void Erk_keeps_the_overall_density(double density)
    {
        double[] d = new ErdosRenyiDistribution(kernel: true).Densities(LeNet5Caffe, density);
        double[] n = LeNet5Caffe.Select(s => (double)s.Aggregate(1L, (a, b) => a * b)).ToArray();
        Assert.Equal(density * n.Sum(), d.Zip(n, (x, y) => x * y).Sum(), 6);
        Assert.All(d, x => Assert.InRange(x, 0, 1));
    }

    [Fact]
    public void Er_solves_epsilon_by_hand()
    {
        // A: 10x10, p = 20/100 = 0.2; B: 5x20, p = 25/100 = 0.25; N = 100 each.
        // d = 0.5: eps = 100 / (20 + 25) = 2.2222 -> A 0.4444, B 0.5556.
        double[] d = new ErdosRenyiDistribution(kernel: false).Densities([[10, 10], [5, 20]], 0.5);
        Assert.Equal(0.4444, d[0], 4);
        Assert.Equal(0.5556, d[1], 4);
    }

    [Fact]
    public void Er_caps_a_layer_at_one_and_solves_again()
    {
        // d = 0.9: eps = 180 / 45 = 4 -> B would be 1.0 exactly... use 0.95: eps = 190/45 = 4.22, B = 1.056 > 1 -> B dense;
        // then eps = (190 - 100) / 20 = 4.5 -> A = 0.9.
        double[] d = new ErdosRenyiDistribution(kernel: false).Densities([[10, 10], [5, 20]], 0.95);
        Assert.Equal(0.9, d[0], 10);
        Assert.Equal(1.0, d[1], 10);
    }

    [Fact]
    public void Er_caps_a_layer_whose_density_would_be_just_above_one()
    {
        // A: 10x10, p = 0.2; B: 5x20, p = 0.25; N = 100 each. d = 0.909: eps = 181.8 / 45 = 4.04 -> A 0.808, B 1.01.
        // B is over 1 by only 1 %, yet it must be capped: B dense, then eps = (181.8 - 100) / 20 = 4.09 -> A = 0.818,
        // and the model keeps 81.8 + 100 = 181.8 = 0.909 * 200 weights.
        double[] d = new ErdosRenyiDistribution(kernel: false).Densities([[10, 10], [5, 20]], 0.909);
        Assert.Equal(0.818, d[0], 10);
        Assert.Equal(1.0, d[1], 10);
        Assert.Equal(0.909 * 200, (d[0] * 100) + (d[1] * 100), 10);
    }

    [Fact]
    public void Er_ignores_the_kernel_size_and_erk_does_not()
    {
        long[][] shapes = [[8, 4, 3, 3], [8, 8, 1, 1]];
        double[] er = new ErdosRenyiDistribution(kernel: false).Densities(shapes, 0.3);
        double[] erk = new ErdosRenyiDistribution(kernel: true).Densities(shapes, 0.3);
        // ER: p = (4+8)/32 = 0.375 and (8+8)/64 = 0.25; ERK: p = 18/288 = 0.0625 and 18/64 = 0.28125.
        Assert.Equal(0.375 / 0.25, er[0] / er[1], 10);
        Assert.Equal(0.0625 / 0.28125, erk[0] / erk[1], 10);
    }

    [Fact]
    public void Uniform_gives_every_layer_the_density() =>
        Assert.Equal([0.3, 0.3, 0.3, 0.3], new UniformDistribution().Densities(LeNet5Caffe, 0.3));
}
