using System.Text.Json;
using GraNet.Cli;
using GraNet.Cli.Commands;
using GraNet.Runtime;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>
/// <c>--cpu-kernels</c>: a run records the kernel set it ran with (never auto), continues with it, and a set the CPU
/// lacks is refused with what to give instead.
/// </summary>
public class CpuKernelsOptionTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-cpu-kernels");
    private readonly string data;

    public CpuKernelsOptionTests()
    {
        data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        TestFiles.WriteTinyMnist(data);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string[] Train(string output, params string[] extra) => ArgumentList.Build("train",
        [("--model", "lenet-300-100"), ("--dataset", "fashion-mnist"), ("--data-dir", data), ("--epochs", "1"), ("--batch-size", "32"), ("--lr", "0.05"), ("--threads", "1"), ("--output", output)],
        extra);

    private static string Read(string file, string key)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        return json.RootElement.GetProperty(key).GetString()!;
    }

    private static Func<CpuKernels, bool> Has(params CpuKernels[] sets) => k => k == CpuKernels.Auto || sets.Contains(k);

    [Fact]
    public void Auto_is_written_as_the_set_the_run_ran_with_and_a_resume_keeps_it()
    {
        string run = Path.Combine(root, "auto");
        var (code, output, error) = CliHarness.Run(Train(run));
        Assert.True(code == 0, error);
        string inForce = EnumNames.Of(TorchRuntime.Kernels!.Value);
        Assert.Equal(inForce, Read(Path.Combine(run, "config.json"), "cpuKernels"));
        Assert.Equal(inForce, Read(Path.Combine(run, "summary.json"), "cpuKernels"));
        Assert.Contains($"1 thread, {inForce} CPU kernels", output, StringComparison.Ordinal);
        // Each epoch's line says what it ran with; the summary, where a resume changed it (nowhere).
        using (var epoch = JsonDocument.Parse(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Single()))
        {
            Assert.Equal(1, epoch.RootElement.GetProperty("threads").GetInt32());
            Assert.Equal(inForce, epoch.RootElement.GetProperty("cpuKernels").GetString());
            // Whether oneDNN ran the convolutions: not said for an MLP, which has none (what ran them does not change its numbers).
            Assert.False(epoch.RootElement.TryGetProperty("oneDnnConvolutions", out _));
        }
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
        {
            Assert.Equal(0, summary.RootElement.GetProperty("settingsChangedAtEpochs").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("oneDnnConvolutions").ValueKind);
        }

        // --cpu-kernels may be given to a resume, as --threads may.
        var (resumed, _, resumeError) = CliHarness.Run("train", "--resume", run, "--cpu-kernels", inForce);
        Assert.True(resumed == 0, resumeError);
        Assert.Equal(inForce, Read(Path.Combine(run, "config.json"), "cpuKernels"));
    }

    [MultiCoreFact]
    public void A_finished_run_resumed_with_other_threads_keeps_the_settings_it_was_trained_with_in_its_summary()
    {
        string run = Path.Combine(root, "finished");
        var (code, _, error) = CliHarness.Run(Train(run));
        Assert.True(code == 0, error);
        var (resumed, output, resumeError) = CliHarness.Run("train", "--resume", run, "--threads", "2");
        Assert.True(resumed == 0, resumeError);
        // "1 thread and avx512 CPU kernels": an MLP's settings name no convolutions, even where the start-up check turned
        // oneDNN off.
        Assert.Contains("note: the run's epochs ran with 1 thread and ", output, StringComparison.Ordinal);
        Assert.Contains("; this process measures the test accuracy again with 2 threads and ", output, StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(1, summary.RootElement.GetProperty("threads").GetInt32());
        Assert.Equal(0, summary.RootElement.GetProperty("settingsChangedAtEpochs").GetArrayLength());
    }

    [Fact]
    public async Task A_pinned_set_reaches_libtorch_in_a_process_of_its_own()
    {
        // The baseline set, which every x86-64 CPU has and which this test process does not run (it runs its best set).
        string run = Path.Combine(root, "baseline");
        using var train = CliHarness.Start(Train(run, "--cpu-kernels", "baseline"));
        var error = train.StandardError.ReadToEndAsync();
        var output = train.StandardOutput.ReadToEndAsync();
        Assert.True(train.WaitForExit(120_000));
        Assert.True(train.ExitCode == 0, await error);
        Assert.Contains("baseline CPU kernels", await output, StringComparison.Ordinal);
        Assert.Equal("baseline", Read(Path.Combine(run, "config.json"), "cpuKernels"));
        // summary.json has the set ATen itself reports running.
        Assert.Equal("baseline", Read(Path.Combine(run, "summary.json"), "cpuKernels"));
    }

    [Fact]
    public void An_unknown_set_is_refused_with_the_names()
    {
        var (code, _, error) = CliHarness.Run(Train(Path.Combine(root, "unknown"), "--cpu-kernels", "avx3"));
        Assert.Equal(ExitCodes.BadArguments, code);
        Assert.Contains("--cpu-kernels 'avx3' is not one of: auto, baseline, avx2, avx512.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_set_the_cpu_lacks_is_refused_with_the_set_it_has()
    {
        var avx2Machine = Has(CpuKernels.Baseline, CpuKernels.Avx2);
        var refused = Assert.Throws<ArgumentException>(() => TrainOptions.KernelsToRun(CpuKernels.Avx512, CpuKernels.Auto, null, null, avx2Machine));
        Assert.Equal("CPU kernels avx512 (--cpu-kernels, or cpuKernels of a --config file): this CPU does not have them (its best is avx2); give --cpu-kernels avx2, or auto.", refused.Message);

        // A run trained elsewhere with AVX-512, continued here: refused unless another set is given, which is then used.
        var moved = Assert.Throws<ArgumentException>(() => TrainOptions.KernelsToRun(null, CpuKernels.Avx512, "runs/r1", null, avx2Machine));
        Assert.Equal("runs/r1 was trained with avx512 CPU kernels, which this CPU does not have (its best is avx2); continue it on a CPU with avx512 for the numbers of an uninterrupted run, or here with --cpu-kernels avx2 (the numbers then differ).", moved.Message);
        Assert.Equal(CpuKernels.Avx2, TrainOptions.KernelsToRun(CpuKernels.Avx2, CpuKernels.Avx512, "runs/r1", null, avx2Machine));
        Assert.Equal(CpuKernels.Avx2, TrainOptions.KernelsToRun(CpuKernels.Auto, CpuKernels.Avx512, "runs/r1", null, avx2Machine));

        // Auto (the default, and what a config.json from before the setting reads as) is this machine's best, or ATen's variable's.
        Assert.Equal(CpuKernels.Avx2, TrainOptions.KernelsToRun(null, CpuKernels.Auto, null, null, avx2Machine));
        Assert.Equal(CpuKernels.Baseline, TrainOptions.KernelsToRun(null, CpuKernels.Auto, "runs/r1", "default", avx2Machine));
        Assert.Equal(CpuKernels.Baseline, TrainOptions.KernelsToRun(null, CpuKernels.Baseline, null, null, avx2Machine));

        // Auto following ATen's variable to a set the CPU lacks names the variable, not --cpu-kernels (auto again would do the same).
        Assert.Equal("ATEN_CPU_CAPABILITY=avx512 asks for avx512 CPU kernels, which this CPU does not have (its best is avx2); unset ATEN_CPU_CAPABILITY, or give --cpu-kernels avx2.",
            Assert.Throws<ArgumentException>(() => TrainOptions.KernelsToRun(null, CpuKernels.Auto, null, "avx512", avx2Machine)).Message);
        Assert.Equal(CpuKernels.Avx2, TrainOptions.KernelsToRun(CpuKernels.Avx2, CpuKernels.Auto, null, "avx512", avx2Machine));

        // A CPU with none of the sets (not x86-64): auto pins nothing, a set is refused.
        Assert.Equal(CpuKernels.Auto, TrainOptions.KernelsToRun(null, CpuKernels.Auto, null, null, Has()));
        Assert.Equal("CPU kernels avx2: this CPU is not x86-64 and has none of the pinned sets; give --cpu-kernels auto.",
            Assert.Throws<ArgumentException>(() => TrainOptions.KernelsToRun(CpuKernels.Avx2, CpuKernels.Auto, null, null, Has())).Message);
    }
}
