using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GraNet.Runtime;

// One thread unless GRANET_BENCH_THREADS says otherwise; set before the first torch call.
TorchRuntime.Configure(int.TryParse(Environment.GetEnvironmentVariable("GRANET_BENCH_THREADS"), out int threads) ? threads : 1);

// In-process: BenchmarkDotNet's usual child build would copy libLibTorchSharp.so without the
// GLIBCXX patch that this repository's build applies (see Directory.Build.targets).
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
