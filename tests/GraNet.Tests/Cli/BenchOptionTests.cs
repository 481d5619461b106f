using GraNet.Cli;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>The bench commands check every option before they print or time anything: one line naming the flag, exit code 2.</summary>
public class BenchOptionTests
{
    [Theory]
    [InlineData("granet: --steps 0 must be at least 1.", "bench", "sparse", "--steps", "0")]
    [InlineData("granet: --steps -3 must be at least 1.", "bench", "sparse", "--steps", "-3")]
    [InlineData("granet: --steps 1000001 must be at most 1000000.", "bench", "sparse", "--steps", "1000001")]
    [InlineData("granet: --batch-size 0 must be at least 1.", "bench", "sparse", "--batch-size", "0")]
    [InlineData("granet: --model vgg19 cannot take the default --dataset fashion-mnist (1x28x28 images): vgg19 needs inputs of at least 32x32, got 1x28x28. Choose another --dataset or --model.", "bench", "sparse", "--model", "vgg19")]
    [InlineData("granet: --model vgg19 cannot take --dataset mnist (1x28x28 images): vgg19 needs inputs of at least 32x32, got 1x28x28. Choose another --dataset or --model.", "bench", "sparse", "--model", "vgg19", "--dataset", "mnist")]
    [InlineData("granet: --batch-size 0 must be at least 1.", "bench", "inference", "--batch-size", "0")]
    [InlineData("granet: --threads 1000 exceeds the {cores} cores of this machine (more threads than cores only wait for each other); give at most {cores}.", "bench", "sparse", "--threads", "1000")]
    [InlineData("granet: --threads 1000 exceeds the {cores} cores of this machine (more threads than cores only wait for each other); give at most {cores}.", "bench", "inference", "--threads", "1000")]
    [InlineData("granet: --batch-size -1 must be at least 1.", "bench", "inference", "--model", "no-such.gsm", "--batch-size", "-1")]
    [InlineData("granet: --densities: '0' is not a density in (0, 1].", "bench", "inference", "--densities", "0.5,0")]
    [InlineData("granet: --architecture vgg19 cannot take the default --dataset fashion-mnist (1x28x28 images): vgg19 needs inputs of at least 32x32, got 1x28x28. Choose another --dataset or --architecture.", "bench", "inference", "--architecture", "vgg19")]
    [InlineData("granet: --densities, --dataset apply to a random network (without --model); --model m.gsm is timed as trained, on its own input. Drop them or --model.", "bench", "inference", "--model", "m.gsm", "--densities", "0.1", "--dataset", "cifar10")]
    [InlineData("granet: --batch-size 0 must be at least 1.", "bench", "data", "--batch-size", "0", "--epochs", "0")]
    [InlineData("granet: --epochs 0 must be at least 1.", "bench", "data", "--epochs", "0")]
    [InlineData("granet: --densities 0.0000001 leaves fc1.weight of lenet-300-100 (235,200 weights) no weight; give densities of at least 0.001.", "bench", "inference", "--densities", "0.5,0.0000001")]
    [InlineData("granet: --batch-size 100000000 must be at most 4096.", "bench", "sparse", "--batch-size", "100000000")]
    [InlineData("granet: --method dense: bench sparse times every method against the dense step, which it always times; give sparse methods only (e.g. granet,gmp,rigl,set,snfs,static).", "bench", "sparse", "--method", "granet,dense")]
    [InlineData("granet: --batch-size 4097 must be at most 4096.", "bench", "inference", "--batch-size", "4097")]
    public void A_bad_option_is_one_line_naming_it_before_any_output(string expected, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run([.. args, .. args[1] == "data" || args.Contains("--threads") ? Array.Empty<string>() : ["--threads", "1"]], output, error);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(expected.Replace("{cores}", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + "\n", error.ToString());
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Bench_data_refuses_a_batch_larger_than_the_training_images_before_timing()
    {
        // As train refuses it; a batch of 2e9 was allocated before the first image and the process was killed.
        string data = TestFiles.TempFolder("granet-bench-data");
        try
        {
            TestFiles.WriteTinyMnist(data, train: 100);
            var (code, output, error) = CliHarness.Run(["bench", "data", "--data-dir", data, "--batch-size", "101", "--epochs", "1"]);
            Assert.Equal(ExitCodes.BadArguments, code);
            Assert.Equal($"granet: --batch-size 101 must not exceed the 100 training images of {data}.", error.Trim());
            Assert.Equal("", output);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("granet: --method gives granet more than once; give each value once.", "bench", "sparse", "--method", "granet,granet")]
    [InlineData("granet: --method gives set more than once; give each value once.", "bench", "sparse", "--method", "set,rigl,SET")]
    [InlineData("granet: --densities gives 0.1 more than once; give each value once.", "bench", "inference", "--densities", "0.1,0.5,0.10")]
    public void A_list_that_gives_a_value_twice_is_refused_before_anything_is_timed(string expected, params string[] args)
    {
        var (code, output, error) = CliHarness.Run([.. args, "--threads", "1"]);
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Equal(expected, Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("", output);
    }

    [Fact]
    public void Bench_sparse_times_every_method_with_its_defaults()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(["bench", "sparse", "--model", "lenet-300-100", "--steps", "1", "--threads", "1", "--method", "granet,rigl,set,snfs,gmp,static"], output, error);
        Assert.True(code == 0, error.ToString());
        foreach (string method in new[] { "granet", "rigl", "set", "snfs", "gmp", "static" })
        {
            Assert.Contains($"training step, {method,-8} (masked):", output.ToString(), StringComparison.Ordinal);
        }
        // The dense step is timed again after the methods, so the drift between the figures shows, and the expected ratio is said.
        Assert.Matches(@"training step, dense, again: +\d+\.\d ms  \(median of 1 steps, \d+\.\d–\d+\.\d ms\)  \(\d+\.\d{3}x the first\)", output.ToString());
        // Any ratio: with one timed step of a 2 ms model on a busy machine, the masking may take as long as the step itself.
        Assert.Matches(@"so it is expected at \d+\.\d{3}x dense; snfs also updates a dense momentum of the gradients every step \(its growth criterion\), so it costs more; other ratios further off are timing drift", output.ToString());
    }

    [Fact]
    public void A_step_figure_is_the_median_of_the_steps()
    {
        Assert.Equal(3, GraNet.Cli.Commands.BenchCommand.Median([5, 1, 3]));
        Assert.Equal(2.5, GraNet.Cli.Commands.BenchCommand.Median([4, 1, 3, 2]));
        Assert.Equal(7, GraNet.Cli.Commands.BenchCommand.Median([7]));
    }

    [OneDnnFaultFact]
    public void Bench_inference_checks_the_models_convolutions_as_infer_does_and_says_what_runs_them()
    {
        // Where the start-up check turned oneDNN's convolutions off, bench inference timed every model's dense pass on
        // libtorch's own convolutions, even one whose convolutions oneDNN computes right, and said nothing: ResNet-20 at
        // density 0.05 and batch 64 was "37.26x" faster sparse (dense 984 ms) where infer's engine, on oneDNN, is about 3x.
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Runner.Run(["bench", "inference", "--architecture", "resnet20", "--dataset", "cifar10", "--densities", "0.05", "--batch-size", "1", "--threads", "1"], output, error);
        Assert.True(code == 0, error.ToString());
        var shape = new GraNet.Data.ImageShape(3, 32, 32);
        using var model = GraNet.Models.ModelRegistry.Create("resnet20", shape, 10);
        using var convolutions = GraNet.Cli.Commands.ConvolutionCheck.For(model, shape);
        Assert.Contains($"\nnote: {convolutions.Note}\n", output.ToString(), StringComparison.Ordinal);
    }
}
