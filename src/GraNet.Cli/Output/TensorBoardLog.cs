using GraNet.Sparsity;
using GraNet.Sparsity.Masks;
using GraNet.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GraNet.Cli.Output;

/// <summary>
/// Writes a run's scalars to TensorBoard event files (TorchSharp's SummaryWriter): per epoch the
/// losses, accuracies, learning rate and the hook's scalars (density, FLOPs, ever-active share),
/// and each layer's density; per step with a mask update (and for a new run's initial masks, at step 0) the density
/// and ever-active share after that step's updates; at the end the test accuracy. (No histograms: TorchSharp's
/// add_histogram passes libtorch temporary Scalars, see analyzer GRANET002.)
/// </summary>
/// <param name="newRun">Whether the run starts here (its initial masks are logged at step 0), not resumed.</param>
public sealed class TensorBoardLog(string directory, MaskSet masks, bool newRun)
{
    private readonly SummaryWriter writer = utils.tensorboard.SummaryWriter(RequireWritable(directory));

    /// <summary>
    /// The state after each step's mask updates (one point a step: a step may prune, then regenerate), written once the
    /// epoch's checkpoint is kept, with the epoch's scalars: a run stopped mid-epoch and resumed makes that epoch's updates
    /// again, and would otherwise log them twice. (A stop between the checkpoint and this write loses the epoch's points, as
    /// it loses its scalars: an event file cannot take points back, so a gap is chosen over doubles.)
    /// </summary>
    private readonly List<(long Step, double Density, double EverActive)> unwritten = newRun ? [(0, masks.Density, masks.EverActiveFraction)] : [];

    /// <summary>
    /// Creates the folder now, so that a path that cannot be written is refused before training rather than at the end of
    /// the first epoch (and, called before the run folder is made, before anything of the run is written).
    /// </summary>
    public static string RequireWritable(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        // The folder, or one it would be made in, that is a file: said as such rather than in .NET's "already exists".
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        for (string? path = full; path is not null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path))
            {
                throw new IOException(path == full
                    ? $"--tensorboard {directory} is a file, not a folder; give a folder for the logs (it is created if missing), or move the file away."
                    : $"--tensorboard {directory}: {path} is a file, not a folder; choose another --tensorboard, or move the file away.");
            }
        }
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".granet-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return directory;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--tensorboard {directory}: cannot write there ({e.Message}); choose a folder you can write to.", e);
        }
    }

    /// <summary>The epoch's scalars and its steps' mask updates, once its checkpoint is kept.</summary>
    public void OnEpoch(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        WriteMaskUpdates();
        int epoch = metrics.Epoch;
        writer.add_scalar("train/loss", (float)metrics.TrainLoss, epoch);
        writer.add_scalar("train/accuracy", (float)(metrics.TrainAccuracy * 100), epoch);
        if (metrics.ValidationAccuracy is { } validation)
        {
            writer.add_scalar("validation/accuracy", (float)(validation * 100), epoch);
        }
        writer.add_scalar("train/learning_rate", (float)metrics.LearningRate, epoch);
        writer.add_scalar("train/images_per_second", (float)metrics.ImagesPerSecond, epoch);
        foreach (var (key, value) in metrics.Scalars)
        {
            writer.add_scalar($"sparsity/{key}", (float)value, epoch);
        }
        foreach (var layer in masks.Layers)
        {
            writer.add_scalar($"layer_density/{layer.Name}", (float)layer.Density, epoch);
        }
    }

    public void OnMaskUpdate(MaskUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var point = (update.Step, update.Density, update.EverActiveFraction);
        if (unwritten.Count > 0 && unwritten[^1].Step == update.Step)
        {
            unwritten[^1] = point; // the state after the step's last update
        }
        else
        {
            unwritten.Add(point);
        }
    }

    /// <summary>The test accuracy of the finished run, at its last epoch.</summary>
    public void OnFinished(double testAccuracy, int epoch)
    {
        WriteMaskUpdates();
        writer.add_scalar("test/accuracy", (float)(testAccuracy * 100), epoch);
    }

    private void WriteMaskUpdates()
    {
        foreach (var (step, density, everActive) in unwritten)
        {
            writer.add_scalar("mask_updates/density", (float)density, checked((int)step));
            writer.add_scalar("mask_updates/ever_active", (float)everActive, checked((int)step));
        }
        unwritten.Clear();
    }
}
