using System.Runtime.CompilerServices;
using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>The library example of the README compiles (it is this file), runs, and stays identical to the README's text.</summary>
public class ReadmeExampleTests
{
    private static double Example(TextWriter log)
    {
        // README-BEGIN
        var model = nn.Sequential(("fc1", nn.Linear(784, 300)), ("relu", nn.ReLU()), ("fc2", nn.Linear(300, 10)));
        var optimizer = new ScalarSafeSgd(model.parameters(), lr: 0.1, momentum: 0.9);
        int stepsPerEpoch = 10, epochs = 3;
        var options = new SparsityOptions
        {
            Method = SparsityMethodKind.GraNet,   // or Gmp, RigL, Set, Snfs, Static, ...
            InitDensity = 0.5,                    // sparse-to-sparse; 1.0 = dense-to-sparse
            FinalDensity = 0.1,
            UpdateInterval = 5,                   // ΔT in optimizer steps
            PruneEndEpoch = 2,
        };
        using var sparsity = SparsityController.Create(model, optimizer, options, stepsPerEpoch, epochs, sampleShape: [784],
            maskUpdated: u => log.WriteLine($"step {u.Step}: {u.Kind}, density {u.Density:F3}"));   // from the initial masks on

        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int batch = 0; batch < stepsPerEpoch; batch++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = (randn(32, 784), randint(0, 10, [32]));   // your data here
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
                sparsity.AfterOptimizerStep(++step);                  // mask, prune, regenerate
            }
        }
        log.WriteLine($"final density {sparsity.Density:F3}, inference FLOPs {sparsity.InferenceFlopsRelative:P1} of dense");
        // README-END
        return sparsity.Density;
    }

    [Fact]
    public void The_example_runs_and_ends_at_the_final_density()
    {
        var log = new StringWriter();
        double density = Example(log);
        Assert.Equal(Math.Round(0.1 * ((784 * 300) + (300 * 10))) / ((784 * 300) + (300 * 10)), density, 12);
        Assert.StartsWith("step 0: Initial, density 0.500", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("Prune, density 0.100", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_shows_exactly_this_example()
    {
        string[] source = File.ReadAllLines(ThisFile());
        int begin = Array.FindIndex(source, l => l.Trim() == "// README-BEGIN");
        int end = Array.FindIndex(source, l => l.Trim() == "// README-END");
        var block = source[(begin + 1)..end].Select(l => l.Length >= 8 ? l[8..] : l.TrimStart());
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", "..", "README.md"));
        Assert.Contains(string.Join('\n', block), readme.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
