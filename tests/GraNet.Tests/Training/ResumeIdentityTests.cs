using GraNet.Data;
using GraNet.Models;
using GraNet.Training;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Training;

/// <summary>--resume continues only the run that wrote the checkpoint: same model, data set and configuration (up to settings that do not change what is trained).</summary>
public class ResumeIdentityTests : IDisposable
{
    private const string Configuration = """{"model":"lenet-300-100","threads":2,"dataDir":"/a","training":{"epochs":2,"milestones":[1]},"sparsity":{"method":"granet","finalDensity":0.1}}""";

    private static readonly TrainingOptions Options = new() { Epochs = 2, BatchSize = 50, LearningRate = 0.05, Seed = 6, ValidationFraction = 0 };

    private readonly string folder = TestFiles.TempFolder("granet-identity");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>The settings this caller lets a resumed run change.</summary>
    private static readonly HashSet<string> MayDiffer = ["threads", "dataDir"];

    private static TrainingResult Train(string folder, bool resume, (string, string, string) identity, CancellationToken cancellation = default, ITrainingObserver? observer = null, IReadOnlySet<string>? mayDiffer = null)
    {
        manual_seed(Options.Seed);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        var trainer = new Trainer(model, TinyTraining.Data(Options, count: 100), Options, null, observer) { ResumeMayDiffer = mayDiffer ?? MayDiffer };
        return trainer.Run(folder, resume, identity, cancellation);
    }

    private sealed class StopAfterFirstEpoch(CancellationTokenSource source) : ITrainingObserver
    {
        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history) => source.Cancel();
    }

    /// <summary>Trains epoch 1 of 2 with <see cref="Configuration"/> and stops, as a killed run would.</summary>
    private void TrainFirstEpoch()
    {
        using var source = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Train(folder, false, ("lenet-300-100", "tiny", Configuration), source.Token, new StopAfterFirstEpoch(source)));
        Assert.Equal(1, Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).EpochsCompleted);
    }

    private InvalidDataException Refused((string, string, string) identity) => Assert.Throws<InvalidDataException>(() => Train(folder, true, identity));

    [Fact]
    public void A_checkpoint_of_a_run_with_another_final_density_is_refused_naming_the_setting()
    {
        TrainFirstEpoch();
        var e = Refused(("lenet-300-100", "tiny", Configuration.Replace("0.1", "0.2", StringComparison.Ordinal)));
        Assert.Equal(
            $"{Path.Combine(folder, "last.ckpt")}: the checkpoint was written by a run with sparsity.finalDensity 0.1, this run's configuration says 0.2; resume a folder with its own checkpoint, or train afresh in another folder.",
            e.Message);
    }

    [Fact]
    public void Other_methods_milestones_models_and_data_sets_are_refused()
    {
        TrainFirstEpoch();
        Assert.Contains("sparsity.method granet, this run's configuration says set;", Refused(("lenet-300-100", "tiny", Configuration.Replace("\"granet\"", "\"set\"", StringComparison.Ordinal))).Message, StringComparison.Ordinal);
        Assert.Contains("training.milestones [1], this run's configuration says [1,2];", Refused(("lenet-300-100", "tiny", Configuration.Replace("[1]", "[1,2]", StringComparison.Ordinal))).Message, StringComparison.Ordinal);
        Assert.Contains("a run of model lenet-300-100, this run trains lenet5-caffe;", Refused(("lenet5-caffe", "tiny", Configuration)).Message, StringComparison.Ordinal);
        Assert.Contains("a run on tiny, this run trains on mnist;", Refused(("lenet-300-100", "mnist", Configuration)).Message, StringComparison.Ordinal);
        // Nothing was changed by the refusals: the right run still resumes.
        Assert.Equal(2, Train(folder, true, ("lenet-300-100", "tiny", Configuration)).History.Count);
    }

    [Fact]
    public void The_same_configuration_resumes_whatever_its_formatting_thread_count_and_data_folder()
    {
        TrainFirstEpoch();
        // Indented, keys reordered, 0.1 written as 1e-1, other threads and data folder: the same run.
        const string same = """
            {
              "sparsity": { "finalDensity": 1e-1, "method": "granet" },
              "training": { "milestones": [ 1 ], "epochs": 2 },
              "dataDir": "/b",
              "threads": 1,
              "model": "lenet-300-100"
            }
            """;
        // Without the caller's leave, another thread count is another run.
        Assert.Contains("with threads 2, this run's configuration says 1;", Assert.Throws<InvalidDataException>(() => Train(folder, true, ("lenet-300-100", "tiny", same), mayDiffer: new HashSet<string>())).Message, StringComparison.Ordinal);
        var result = Train(folder, true, ("lenet-300-100", "tiny", same));
        Assert.Equal(2, result.History.Count);
        Assert.Equal(2, Checkpoint.ReadHeader(Path.Combine(folder, "last.ckpt")).EpochsCompleted);
    }

    [Fact]
    public void A_checkpoint_whose_configuration_names_the_model_by_an_alias_resumes_when_the_model_and_data_set_are_compared_by_the_header()
    {
        // A run of an earlier version wrote "mlp" into its configuration; config.json now says "lenet-300-100". The header's
        // model and data set are compared by canonical name, so the tool lets the JSON's model and dataset differ.
        const string Alias = """{"model":"mlp","dataset":"fmnist","threads":2,"training":{"epochs":2,"milestones":[1]},"sparsity":{"method":"granet","finalDensity":0.1}}""";
        using (var source = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => Train(folder, false, ("lenet-300-100", "tiny", Alias), source.Token, new StopAfterFirstEpoch(source)));
        }
        string canonical = Alias.Replace("\"mlp\"", "\"lenet-300-100\"", StringComparison.Ordinal).Replace("\"fmnist\"", "\"fashion-mnist\"", StringComparison.Ordinal);
        Assert.Contains("model mlp", Assert.Throws<InvalidDataException>(() => Train(folder, true, ("lenet-300-100", "tiny", canonical))).Message, StringComparison.Ordinal);
        var result = Train(folder, true, ("lenet-300-100", "tiny", canonical), mayDiffer: GraNet.Cli.Configuration.ConfigurationComparison.ResumeMayDiffer);
        Assert.Equal(2, result.History.Count);
    }
}
