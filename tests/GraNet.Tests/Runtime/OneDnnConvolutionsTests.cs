using GraNet.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Runtime;

[CollectionDefinition(nameof(OneDnnConvolutionsTests), DisableParallelization = true)]
public sealed class OneDnnConvolutionsGroup;

/// <summary>
/// The start-up check of oneDNN's convolutions. Runs alone: one test turns oneDNN off and on again, a setting of the whole
/// process that every run records with its epochs (<see cref="RuntimeSettings.OneDnnConvolutions"/>).
/// </summary>
[Collection(nameof(OneDnnConvolutionsTests))]
public sealed class OneDnnConvolutionsTests
{
    [Fact]
    public void After_configure_convolutions_with_channel_counts_off_the_kernels_blocks_agree_with_float64()
    {
        // Configure (run before every test) checked oneDNN and turned it off where it was wrong: either way, what runs now is right.
        Assert.True(OneDnnConvolutions.MeasureError() <= OneDnnConvolutions.Tolerance, TorchRuntime.ConvolutionNote ?? "oneDNN passed its check");
        Assert.Equal(TorchRuntime.ConvolutionNote is null, OneDnnConvolutions.Enabled);
    }

    [Fact]
    public void Libtorchs_own_convolutions_run_when_onednn_is_turned_off_and_agree_with_float64()
    {
        bool? before = OneDnnConvolutions.Enabled;
        Assert.NotNull(before);
        try
        {
            Assert.True(OneDnnConvolutions.TrySetEnabled(false));
            Assert.False(OneDnnConvolutions.Enabled);
            Assert.True(OneDnnConvolutions.MeasureError() <= 1e-5);
            Assert.True(OneDnnConvolutions.TrySetEnabled(true));
            Assert.True(OneDnnConvolutions.Enabled);
        }
        finally
        {
            OneDnnConvolutions.TrySetEnabled(before!.Value);
        }
    }

    [Fact]
    public void The_check_is_deterministic_and_leaves_the_global_generator_alone()
    {
        manual_seed(5);
        using var expected = rand(4);
        manual_seed(5);
        double first = OneDnnConvolutions.MeasureError();
        using var drawn = rand(4);
        Assert.Equal(expected.data<float>().ToArray(), drawn.data<float>().ToArray());
        Assert.Equal(first, OneDnnConvolutions.MeasureError());
    }
}
