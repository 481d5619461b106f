using GraNet.Cli.Commands;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Runtime;

/// <summary>
/// <see cref="TorchRuntime.ConvolutionsFor"/>: oneDNN runs a model's convolutions again, where the start-up check turned it
/// off, only if it computes every one of them right. Runs with the other tests that switch oneDNN (a setting of the process).
/// </summary>
[Collection(nameof(OneDnnConvolutionsTests))]
public sealed class ConvolutionScopeTests
{
    public static TheoryData<string> Models => new() { "lenet5-caffe", "resnet20" };

    private static nn.Module<Tensor, Tensor> Create(string name, out ImageShape shape)
    {
        shape = name == "resnet20" ? new ImageShape(3, 32, 32) : new ImageShape(1, 28, 28);
        manual_seed(3);
        return ModelRegistry.Get(name).Create(shape, 10);
    }

    /// <summary>The model's output and weight gradients for 4 random images, in evaluation mode (no batch statistics change).</summary>
    private static double[][] Step(nn.Module<Tensor, Tensor> model, ImageShape shape)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        model.eval();
        model.zero_grad();
        var output = model.call(randn([4, shape.Channels, shape.Height, shape.Width], generator: generator));
        (output * randn(output.shape, generator: generator)).sum().backward();
        return [output.detach().data<float>().Select(v => (double)v).ToArray(),
            .. model.parameters().Select(p => p.grad!.data<float>().Select(v => (double)v).ToArray())];
    }

    private static double LargestRelativeDifference(double[][] a, double[][] b) =>
        a.Zip(b, (x, y) => x.Zip(y, (u, v) => Math.Abs(u - v)).Max() / Math.Max(1e-30, y.Max(Math.Abs))).Max();

    [Theory]
    [MemberData(nameof(Models))]
    public void Inside_a_models_scope_its_output_and_gradients_are_those_of_libtorchs_own_convolutions(string name)
    {
        using var model = Create(name, out var shape);
        bool before = OneDnnConvolutions.Enabled!.Value;
        double[][] own;
        try
        {
            Assert.True(OneDnnConvolutions.TrySetEnabled(false));
            own = Step(model, shape);
        }
        finally
        {
            OneDnnConvolutions.TrySetEnabled(before);
        }
        using (var scope = ConvolutionCheck.For(model, shape))
        {
            // On a machine whose oneDNN is wrong for LeNet-5-Caffe's channel counts, a scope that let it run would be off by 10 % or more.
            Assert.True(LargestRelativeDifference(Step(model, shape), own) <= 1e-3, scope.Note ?? "oneDNN passed its start-up check");
        }
        Assert.Equal(before, OneDnnConvolutions.Enabled);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_scope_decides_only_where_the_start_up_check_failed_and_the_setting_is_restored_when_it_ends(string name)
    {
        using var model = Create(name, out var shape);
        bool before = OneDnnConvolutions.Enabled!.Value;
        using (var scope = ConvolutionCheck.For(model, shape))
        {
            if (TorchRuntime.ConvolutionNote is null)
            {
                Assert.Null(scope.Passed);
                Assert.Null(scope.Note);
                Assert.True(OneDnnConvolutions.Enabled);
            }
            else
            {
                Assert.Equal(scope.Passed, OneDnnConvolutions.Enabled);
                Assert.StartsWith("libtorch's oneDNN convolutions compute wrong results on this machine", scope.Note, StringComparison.Ordinal);
                Assert.Contains(scope.Passed == true ? "so they run on oneDNN" : "run on libtorch's own kernels instead", scope.Note, StringComparison.Ordinal);
            }
        }
        Assert.Equal(before, OneDnnConvolutions.Enabled);
        Assert.Equal(TorchRuntime.ConvolutionNote is null, OneDnnConvolutions.Enabled);
    }

    [Fact]
    public void A_model_without_convolutions_decides_nothing()
    {
        using var model = ModelRegistry.Get("lenet-300-100").Create(new ImageShape(1, 28, 28), 10);
        bool before = OneDnnConvolutions.Enabled!.Value;
        using var scope = ConvolutionCheck.For(model, new ImageShape(1, 28, 28));
        Assert.Null(scope.Passed);
        Assert.Null(scope.Note);
        Assert.Equal(before, OneDnnConvolutions.Enabled);
    }

    [OneDnnFaultFact]
    public void Where_onednn_is_wrong_a_failing_models_scope_vetoes_a_passing_ones_until_it_ends()
    {
        // On the machine where oneDNN was wrong (channel counts off its block of 8 or 16), ResNet-20's 16, 32 and 64 channels
        // passed and LeNet-5-Caffe's 1 → 20 and 20 → 50 failed.
        using var resnet = Create("resnet20", out var resnetShape);
        using var lenet = Create("lenet5-caffe", out var lenetShape);
        Assert.False(OneDnnConvolutions.Enabled);
        var passing = ConvolutionCheck.For(resnet, resnetShape);
        Assert.True(passing.Passed);
        Assert.Contains("this model's 19 convolutions (6 shapes) agree with float64 on it", passing.Note, StringComparison.Ordinal);
        Assert.True(OneDnnConvolutions.Enabled);
        using (var failing = ConvolutionCheck.For(lenet, lenetShape))
        {
            Assert.False(failing.Passed);
            Assert.Contains("this model's conv", failing.Note, StringComparison.Ordinal);
            Assert.False(OneDnnConvolutions.Enabled);
        }
        Assert.True(OneDnnConvolutions.Enabled);
        passing.Dispose();
        passing.Dispose(); // a second time changes nothing
        Assert.False(OneDnnConvolutions.Enabled);
    }

    [OneDnnFaultFact]
    public void Where_the_checking_process_fails_the_models_convolutions_stay_on_libtorchs_own_and_the_note_says_why()
    {
        // A shape no other test checks (the results are kept for the process).
        using var model = nn.Sequential(("odd", nn.Conv2d(5, 7, 3)));
        using var scope = TorchRuntime.ConvolutionsFor(model, [5, 9, 9], _ => throw new InvalidOperationException("the checking process ended with a floating-point exception after none of them"));
        Assert.False(scope.Passed);
        Assert.False(OneDnnConvolutions.Enabled);
        Assert.Contains("checking this model's 1 convolution shape on it failed: the checking process ended with a floating-point exception after none of them)", scope.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void The_check_command_prints_each_shapes_error_on_onednn_one_per_line()
    {
        // LeNet-5-Caffe's second convolution (wrong on oneDNN where the start-up check failed) and a 16-channel one.
        var (code, output, error) = Cli.CliHarness.Run("check-convolutions", OneDnnConvolutions.CheckShape.Argument, "16,16,8,8,3,3,1,1,1,1,1,1,1");
        Assert.True(code == 0, error);
        var errors = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal(TorchRuntime.ConvolutionNote is null, errors[0] <= OneDnnConvolutions.Tolerance);
        Assert.True(errors[1] <= OneDnnConvolutions.Tolerance);
        Assert.Equal(TorchRuntime.ConvolutionNote is null, OneDnnConvolutions.Enabled); // the setting is restored
    }

    [Fact]
    public void The_check_command_refuses_a_shape_it_cannot_read()
    {
        var (code, _, error) = Cli.CliHarness.Run("check-convolutions", "20,50,12");
        Assert.Equal(2, code);
        Assert.Contains("'20,50,12' is not a convolution's shape: give 13 comma-separated whole numbers", error, StringComparison.Ordinal);
    }

    [OneDnnFaultFact]
    public void A_check_that_ended_at_a_shape_is_kept_so_a_later_model_with_it_starts_none()
    {
        // Shapes no other test checks: the first measured right, the check ended at the second.
        using var model = nn.Sequential(("a", nn.Conv2d(16, 16, 3)), ("b", nn.Conv2d(16, 32, 3)));
        int calls = 0;
        IReadOnlyList<double> EndsAtTheSecond(IReadOnlyList<ConvolutionShape> shapes)
        {
            calls++;
            Assert.Equal(2, shapes.Count);
            throw new ConvolutionCheckException("ended the checking process with a floating-point exception", [1e-7]);
        }
        using (var first = TorchRuntime.ConvolutionsFor(model, [16, 9, 9], EndsAtTheSecond))
        {
            Assert.False(first.Passed);
            Assert.Contains("this model's b, 16→32 channels, 7x7 input, kernel 3x3, ended the checking process with a floating-point exception on it)", first.Note, StringComparison.Ordinal);
        }
        using (var again = TorchRuntime.ConvolutionsFor(model, [16, 9, 9], EndsAtTheSecond))
        {
            Assert.False(again.Passed);
            Assert.Contains("ended the checking process with a floating-point exception", again.Note, StringComparison.Ordinal);
        }
        Assert.Equal(1, calls);
        // The first shape was kept as measured: a model of it alone passes without another check.
        using var alone = nn.Sequential(("a", nn.Conv2d(16, 16, 3)));
        using var passing = TorchRuntime.ConvolutionsFor(alone, [16, 9, 9], _ => throw new InvalidOperationException("not run again"));
        Assert.True(passing.Passed);
    }
}
