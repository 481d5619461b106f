using System.Text.Json;
using GraNet.Cli.Configuration;
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

/// <summary>
/// Every epoch records the threads and CPU kernels it ran with; a run resumed with others says that from there its numbers
/// differ from an uninterrupted run's, and where they changed.
/// </summary>
public class RuntimeSettingsTests : IDisposable
{
    private static readonly TrainingOptions Options = new() { Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 6, ValidationFraction = 0 };

    private readonly string folder = TestFiles.TempFolder("granet-runtime-settings");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static EpochMetrics Epoch(int epoch, RuntimeSettings? runtime) =>
        new(epoch, 0.5, 0.8, null, 0.1, 1, 100, 0, new Dictionary<string, double>()) { Runtime = runtime };

    private sealed class Recorder(CancellationTokenSource? stopAfterFirstEpoch = null) : ITrainingObserver
    {
        public List<string> Notices { get; } = [];

        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history) => stopAfterFirstEpoch?.Cancel();

        public void OnNotice(string message) => Notices.Add(message);
    }

    private TrainingResult Train(bool resume, ITrainingObserver observer, CancellationToken cancellation = default, Action<Trainer>? afterRun = null)
    {
        manual_seed(Options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        using var trainer = new Trainer(model, TinyTraining.Data(Options, count: 100), Options, null, observer);
        try
        {
            return trainer.Run(folder, resume, ("lenet-300-100", "tiny", "{}"), cancellation);
        }
        finally
        {
            afterRun?.Invoke(trainer);
        }
    }

    [Fact]
    public void The_epochs_where_the_settings_changed_are_those_after_a_change_of_threads_or_of_two_known_kernel_sets()
    {
        var history = new[]
        {
            Epoch(1, null), // a checkpoint of an earlier version: nothing recorded
            Epoch(2, new RuntimeSettings(2, CpuKernels.Avx512)),
            Epoch(3, new RuntimeSettings(2, CpuKernels.Avx512)),
            Epoch(4, new RuntimeSettings(1, CpuKernels.Avx512)), // threads changed
            Epoch(5, new RuntimeSettings(1, null)), // kernels unknown: not a change
            Epoch(6, new RuntimeSettings(1, CpuKernels.Avx2)), // compared with epoch 5's unknown set: not a change
            Epoch(7, new RuntimeSettings(1, CpuKernels.Baseline)), // kernels changed
            Epoch(8, null),
            Epoch(9, new RuntimeSettings(1, CpuKernels.Baseline)), // compared with epoch 7: the same
        };
        Assert.Equal([4, 7], Trainer.EpochsWithOtherSettings(history));
        Assert.Empty(Trainer.EpochsWithOtherSettings([Epoch(1, new RuntimeSettings(2, CpuKernels.Avx2)), Epoch(2, new RuntimeSettings(2, CpuKernels.Avx2))]));
    }

    [Fact]
    public void The_notice_names_both_settings_and_what_would_keep_the_numbers_or_why_nothing_can()
    {
        string notice = Trainer.OtherSettingsNotice(3, new RuntimeSettings(1, CpuKernels.Baseline), new RuntimeSettings(2, CpuKernels.Baseline));
        Assert.Equal(
            "epochs up to 3 ran with 1 thread and baseline CPU kernels, this process runs 2 threads and baseline CPU kernels: from epoch 4 on the run rounds differently, and its numbers differ from an uninterrupted run's; TorchRuntime.Configure.threads 1 would keep them.",
            notice);
        // The tool names its options.
        Assert.EndsWith("; --threads 1 would keep them.", OptionFlags.Rewrite(notice), StringComparison.Ordinal);

        // Every x86-64 CPU has the baseline set; both settings named.
        if (CpuKernelSets.IsSupported(CpuKernels.Baseline))
        {
            Assert.EndsWith(
                "; TorchRuntime.Configure.threads 1 and TorchRuntime.Configure.cpuKernels baseline would keep them.",
                Trainer.OtherSettingsNotice(1, new RuntimeSettings(1, CpuKernels.Baseline), new RuntimeSettings(2, CpuKernels.Avx2)), StringComparison.Ordinal);
        }

        int cores = Environment.ProcessorCount;
        Assert.EndsWith(
            $": from epoch 6 on the run rounds differently, and its numbers differ from an uninterrupted run's; this machine cannot run {cores + 1} threads (it has {cores} cores).",
            Trainer.OtherSettingsNotice(5, new RuntimeSettings(cores + 1, null), new RuntimeSettings(1, null)), StringComparison.Ordinal);
    }

    [Fact]
    public void Convolutions_on_libtorchs_own_kernels_are_named_and_count_as_other_settings_where_both_are_known()
    {
        var oneDnn = new RuntimeSettings(2, CpuKernels.Avx2) { OneDnnConvolutions = true };
        var own = new RuntimeSettings(2, CpuKernels.Avx2) { OneDnnConvolutions = false };
        var unknown = new RuntimeSettings(2, CpuKernels.Avx2);
        Assert.Equal("2 threads and avx2 CPU kernels", oneDnn.ToString());
        Assert.Equal("2 threads and avx2 CPU kernels", unknown.ToString());
        Assert.Equal("1 thread, avx2 CPU kernels and libtorch's own convolutions", (own with { Threads = 1 }).ToString());
        Assert.True(oneDnn.DiffersFrom(own));
        Assert.True(own.DiffersFrom(oneDnn));
        Assert.False(unknown.DiffersFrom(own)); // an epoch of an earlier version: unknown, not a change
        Assert.False(oneDnn.DiffersFrom(unknown));
        Assert.Equal([2], Trainer.EpochsWithOtherSettings([Epoch(1, oneDnn), Epoch(2, own), Epoch(3, own), Epoch(4, unknown), Epoch(5, own)]));

        // No setting keeps the numbers: where the check turned oneDNN off, its convolutions are wrong; the tool cannot turn them off.
        Assert.Equal(
            "epochs up to 3 ran with 2 threads and avx2 CPU kernels, this process runs 2 threads, avx2 CPU kernels and libtorch's own convolutions: from epoch 4 on the run rounds differently, and its numbers differ from an uninterrupted run's; this machine cannot run oneDNN's convolutions (its start-up check turned them off here).",
            Trainer.OtherSettingsNotice(3, oneDnn, own));
        Assert.EndsWith(
            "; this machine cannot run libtorch's own convolutions in place of oneDNN's.",
            Trainer.OtherSettingsNotice(3, own, oneDnn), StringComparison.Ordinal);
        // Unknown convolutions (an epoch of an earlier version) are not a change: only the threads are advised.
        Assert.EndsWith("; TorchRuntime.Configure.threads 1 would keep them.", Trainer.OtherSettingsNotice(3, unknown with { Threads = 1 }, own), StringComparison.Ordinal);
    }

    [Fact]
    public void This_process_records_whether_onednn_runs_its_convolutions()
    {
        // Configure ran the check: oneDNN is on unless the check turned it off (and then the note says so).
        Assert.Equal(TorchRuntime.ConvolutionNote is null, RuntimeSettings.Current().OneDnnConvolutions);
        var epoch = Epoch(1, new RuntimeSettings(1, CpuKernels.Avx2) { OneDnnConvolutions = false });
        Assert.Equal(epoch.Runtime, JsonSerializer.Deserialize<EpochMetrics>(JsonSerializer.Serialize(epoch))!.Runtime);
    }

    [Fact]
    public void The_settings_survive_a_checkpoint_header_and_a_header_of_an_earlier_version_has_none()
    {
        var epoch = Epoch(1, new RuntimeSettings(3, CpuKernels.Avx2));
        string json = JsonSerializer.Serialize(epoch);
        Assert.Contains("\"CpuKernels\":\"avx2\"", json, StringComparison.Ordinal); // by name: the enum's order may change
        Assert.Equal(new RuntimeSettings(3, CpuKernels.Avx2), JsonSerializer.Deserialize<EpochMetrics>(json)!.Runtime);

        using var document = JsonDocument.Parse(json);
        var older = document.RootElement.EnumerateObject().Where(p => p.Name != nameof(EpochMetrics.Runtime)).ToDictionary(p => p.Name, p => p.Value);
        Assert.Null(JsonSerializer.Deserialize<EpochMetrics>(JsonSerializer.Serialize(older))!.Runtime);
    }

    /// <summary>This process's settings as a run of the tests' model records them: an MLP, no convolutions to run on oneDNN or not.</summary>
    private static RuntimeSettings Recorded() => RuntimeSettings.Current() with { OneDnnConvolutions = null };

    /// <summary>Trains epoch 1 of 2 (checking that it recorded this process's settings), then rewrites its checkpoint as if <paramref name="runtime"/> had trained it.</summary>
    private void TrainFirstEpochRecordedAs(RuntimeSettings runtime)
    {
        using var source = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Train(false, new Recorder(source), source.Token, trainer =>
        {
            string last = Path.Combine(folder, "last.ckpt");
            var header = Checkpoint.ReadHeader(last);
            Assert.Equal(Recorded(), header.History[0].Runtime);
            using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            Checkpoint.Load(last, model, null, null);
            Checkpoint.Save(last, header with { History = [header.History[0] with { Runtime = runtime }] }, model, trainer.Optimizer, null);
        }));
    }

    [Fact]
    public void A_model_without_convolutions_records_none_and_resumes_where_onednn_was_turned_otherwise_without_a_notice()
    {
        var now = Recorded();
        // As a machine whose check turned oneDNN the other way (or a checkpoint of an earlier version) recorded it.
        TrainFirstEpochRecordedAs(now with { OneDnnConvolutions = TorchRuntime.ConvolutionNote is not null });
        var recorder = new Recorder();
        var result = Train(true, recorder);
        Assert.Empty(recorder.Notices);
        Assert.Equal(now, result.History[1].Runtime);
        Assert.Empty(Trainer.EpochsWithOtherSettings(result.History));
    }

    [Fact]
    public void A_run_resumed_with_other_threads_says_so_and_records_where_they_changed()
    {
        var now = Recorded();
        // Epoch 1 of 2, written as a process with one thread more than this machine's cores would have written it.
        TrainFirstEpochRecordedAs(new RuntimeSettings(Environment.ProcessorCount + 1, now.CpuKernels));

        var recorder = new Recorder();
        var result = Train(true, recorder);
        string notice = Assert.Single(recorder.Notices);
        Assert.StartsWith($"epochs up to 1 ran with {Environment.ProcessorCount + 1} threads and ", notice, StringComparison.Ordinal);
        Assert.Contains($", this process runs {now}: from epoch 2 on the run rounds differently", notice, StringComparison.Ordinal);
        Assert.Equal(now, result.History[1].Runtime);
        Assert.Equal([2], Trainer.EpochsWithOtherSettings(result.History));
    }

    [Fact]
    public void A_run_resumed_with_its_own_settings_gives_no_notice()
    {
        using (var source = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => Train(false, new Recorder(source), source.Token));
        }
        var recorder = new Recorder();
        var result = Train(true, recorder);
        Assert.Empty(recorder.Notices);
        Assert.Equal(2, result.History.Count);
        Assert.All(result.History, e => Assert.Equal(Recorded(), e.Runtime));
        Assert.Empty(Trainer.EpochsWithOtherSettings(result.History));
    }

    [Fact]
    public void A_finished_run_summarised_again_with_other_settings_says_its_test_accuracy_is_measured_again_with_them()
    {
        var now = Recorded();
        var other = new RuntimeSettings(Environment.ProcessorCount + 1, now.CpuKernels);
        // Both epochs, recorded as trained by a process with one thread more than this machine's cores.
        Train(false, new Recorder(), afterRun: trainer =>
        {
            string last = Path.Combine(folder, "last.ckpt");
            var header = Checkpoint.ReadHeader(last);
            using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
            Checkpoint.Load(last, model, null, null);
            Checkpoint.Save(last, header with { History = [.. header.History.Select(e => e with { Runtime = other })] }, model, trainer.Optimizer, null);
        });

        var recorder = new Recorder();
        var result = Train(true, recorder);
        Assert.Equal($"the run's epochs ran with {other}; this process measures the test accuracy again with {now}, which may round it differently.", Assert.Single(recorder.Notices));
        Assert.All(result.History, e => Assert.Equal(other, e.Runtime)); // the epochs keep what they were trained with
        Assert.Empty(Trainer.EpochsWithOtherSettings(result.History));
    }
}
