using GraNet.Cli.Configuration;
using GraNet.IO;
using GraNet.Sparsity;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>A run's sparsity settings are part of what a continuation must share with it.</summary>
public class ConfigurationComparisonTests
{
    [Fact]
    public void A_run_with_another_final_density_or_initial_density_is_a_different_run()
    {
        var saved = new RunConfiguration { Sparsity = new SparsityOptions { Method = SparsityMethodKind.GraNet, FinalDensity = 0.05, InitDensity = 1.0 } };
        Assert.Null(ConfigurationComparison.FirstDifference(saved, saved with { Threads = 1 }));
        Assert.Equal(new JsonDifference("sparsity.finalDensity", "0.05", "0.1"),
            ConfigurationComparison.FirstDifference(saved, saved with { Sparsity = saved.Sparsity with { FinalDensity = 0.1 } }));
        Assert.Equal(new JsonDifference("sparsity.initDensity", "1", "0.5"),
            ConfigurationComparison.FirstDifference(saved, saved with { Sparsity = saved.Sparsity with { InitDensity = 0.5 } }));
    }
}
