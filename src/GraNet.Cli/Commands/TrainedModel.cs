using GraNet.Cli.Configuration;
using GraNet.Data;
using GraNet.Export;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Training;
using static TorchSharp.torch;

namespace GraNet.Cli.Commands;

/// <summary>A trained network loaded from a checkpoint (<c>.ckpt</c>) or a compact model (<c>granet export</c>), with what it was trained on.</summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(nn.Module<Tensor, Tensor> module, string model, DatasetSpec dataset, RunConfiguration configuration, string description)
    {
        Module = module;
        Model = model;
        Dataset = dataset;
        Configuration = configuration;
        Description = description;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    public string Model { get; }

    public DatasetSpec Dataset { get; }

    public RunConfiguration Configuration { get; }

    /// <summary>The digest of the test images the run was tested on (<see cref="ImageDataset.Digest"/>); null for files that predate digests.</summary>
    public string? TestImagesSha256 { get; private init; }

    /// <summary>
    /// A note for when <paramref name="test"/> is this model's own data set but not the test images its run was tested on
    /// (another copy, edited or relabelled), whose accuracy is then not comparable with the run's; null otherwise.
    /// </summary>
    public string? OtherTestImagesNote(DatasetSpec spec, ImageDataset test)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(test);
        return spec.Name == Dataset.Name && TestImagesSha256 is { } tested && tested != test.Digest
            ? $"the {spec.Name} test images in {test.Folder ?? "the data given"} are not the ones the run was tested on (their SHA-256 digests differ), so this accuracy is not comparable with the run's summary.json."
            : null;
    }

    /// <summary>What was loaded: <c>epoch 20</c> for a checkpoint (the epochs it had completed), or the compact model's description.</summary>
    public string Description { get; }

    /// <summary>
    /// A note naming the weight tensors (convolutions and linear layers) that hold no non-zero value, whose outputs no longer
    /// depend on their inputs (pruning emptied them; <c>granet train</c> warned so at the end of the run); null if there is none.
    /// </summary>
    public string? EmptyLayersNote()
    {
        using var guard = no_grad();
        var empty = Module.named_parameters().Where(p => p.parameter.dim() >= 2 && p.parameter.count_nonzero().item<long>() == 0).Select(p => p.name).ToList();
        return empty.Count == 0 ? null
            : $"{string.Join(", ", empty)} hold{(empty.Count == 1 ? "s" : string.Empty)} no non-zero weight: {(empty.Count == 1 ? "its" : "their")} output no longer depends on the input (pruning emptied {(empty.Count == 1 ? "it" : "them")}), so the network's predictions do not depend on the image.";
    }

    /// <summary>Loads a checkpoint or a compact model (told apart by their magic bytes). Configures torch threads first.</summary>
    public static TrainedModel Load(string path, int? threads)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            // A run folder (or any folder) where a file is wanted: point at the checkpoints inside it. No file is there, so
            // it is refused as a missing file is (exit 3), like every path of the wrong kind (--config DIR, --resume FILE).
            var inside = new[] { Trainer.LastCheckpoint(path), Trainer.BestCheckpoint(path) }.Where(File.Exists).ToList();
            throw new FileNotFoundException(inside.Count > 0
                ? $"{path} is a folder; give the checkpoint file in it: {string.Join(" or ", inside)}."
                : $"{path} is a folder without last.ckpt or best.ckpt; give a .ckpt file from 'granet train' or a model from 'granet export'.", path);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: not found; give a .ckpt file from 'granet train' or a model from 'granet export'.", path);
        }
        if (!CompactModel.Format.Matches(path) && !Checkpoint.Format.Matches(path))
        {
            throw new InvalidDataException($"{path}: neither a GraNet checkpoint nor a compact model; give a .ckpt file from 'granet train' or a model from 'granet export'.");
        }
        if (CompactModel.Format.Matches(path))
        {
            var header = CompactModel.ReadVerifiedHeader(path);
            CheckHeader(path, header.Model, header.Dataset, header.Configuration);
            var configuration = ConfigurationJson.Deserialize(header.Configuration, path);
            TorchRuntime.Configure(threads ?? Math.Min(configuration.Threads, TrainOptions.MaxThreads), KernelsOf(configuration));
            var spec = DatasetCatalog.Get(header.Dataset);
            var shape = new ImageShape(header.Channels, header.Height, header.Width);
            if (shape != spec.Shape || header.Classes != spec.Classes)
            {
                // Export writes the data set's own shape and classes: a header that differs was not written by it.
                throw new InvalidDataException($"{path}: its header gives {shape} images and {header.Classes} classes, but its data set {spec.Name} has {spec.Shape} and {spec.Classes}; the file was not written by 'granet export' as it is: export the model again.");
            }
            var module = ModelRegistry.Create(header.Model, shape, header.Classes);
            CompactModel.Load(path, module);
            return new TrainedModel(module, header.Model, spec, configuration, "compact model") { TestImagesSha256 = header.TestImagesSha256 };
        }
        var checkpoint = Checkpoint.ReadVerifiedHeader(path);
        CheckHeader(path, checkpoint.Model, checkpoint.Dataset, checkpoint.Configuration);
        var config = ConfigurationJson.Deserialize(checkpoint.Configuration, path);
        TorchRuntime.Configure(threads ?? Math.Min(config.Threads, TrainOptions.MaxThreads), KernelsOf(config));
        var dataset = DatasetCatalog.Get(checkpoint.Dataset);
        var model = ModelRegistry.Create(checkpoint.Model, dataset.Shape, dataset.Classes);
        Checkpoint.Load(path, model, null, null);
        return new TrainedModel(model, checkpoint.Model, dataset, config, $"epoch {checkpoint.EpochsCompleted}") { TestImagesSha256 = checkpoint.TestImagesSha256 };
    }

    public void Dispose() => Module.Dispose();

    /// <summary>
    /// Refuses a header (checksum intact) without its model, data set or configuration, or naming a model or data set this
    /// version does not know (a file of a newer version, say), as the file's fault, naming it (exit 3): not as an option
    /// given wrong ("Unknown model 'x'", exit 2), since no option named them.
    /// </summary>
    private static void CheckHeader(string path, string? model, string? dataset, string? configuration)
    {
        if (model is null || dataset is null || configuration is null)
        {
            string missing = model is null ? "model" : dataset is null ? "data set" : "configuration";
            throw new InvalidDataException($"{path}: damaged header (it names no {missing}); give a .ckpt file from 'granet train' or a model from 'granet export'.");
        }
        if (!Known(() => ModelRegistry.Get(model)))
        {
            throw new InvalidDataException($"{path}: its header names model '{model}', which this version of GraNet.NET does not have (it has {string.Join(", ", ModelRegistry.All.Select(m => m.Name))}); the file was written by another version or is damaged: use the version that wrote it.");
        }
        if (!Known(() => DatasetCatalog.Get(dataset)))
        {
            throw new InvalidDataException($"{path}: its header names data set '{dataset}', which this version of GraNet.NET does not have (it has {string.Join(", ", DatasetCatalog.All.Select(d => d.Name))}); the file was written by another version or is damaged: use the version that wrote it.");
        }
    }

    private static bool Known(Action get)
    {
        try
        {
            get();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The kernel set the model was trained with where this CPU has it (evaluation then repeats the run's figures), else this CPU's best.</summary>
    private static CpuKernels KernelsOf(RunConfiguration configuration) =>
        CpuKernelSets.IsSupported(configuration.CpuKernels) ? configuration.CpuKernels : CpuKernels.Auto;
}
