using System.Globalization;
using GraNet.Training;
using Spectre.Console;

namespace GraNet.Cli.Output;

/// <summary>
/// Renders training events: a live progress bar (loss, accuracy, images/s, ETA) on a terminal,
/// one plain line per epoch when the output is redirected (CI, files).
/// </summary>
public sealed class ConsoleReporter(TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Lines said once training starts, before its first line (the run folder, the data read): a run refused before it
    /// starts (a setting the method finds impossible for these step counts) then prints its refusal alone, not a run
    /// folder that was never made.
    /// </summary>
    public IList<string> Preamble { get; } = [];

    /// <summary>True when a live display can be drawn.</summary>
    public bool Interactive { get; } = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="body"/> with an observer that renders to this reporter's output.</summary>
    public T Run<T>(Func<ITrainingObserver, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Interactive)
        {
            return body(new PlainObserver(output, Preamble));
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = body(new LiveObserver(context, Preamble)));
        return result;
    }

    /// <summary>One line (under 120 characters for the usual scalars) describing an epoch.</summary>
    public static string Describe(EpochMetrics m, int epochs)
    {
        ArgumentNullException.ThrowIfNull(m);
        string validation = m.ValidationAccuracy is { } v ? string.Create(Invariant, $"  val {v * 100:F2}%") : string.Empty;
        string scalars = string.Concat(m.Scalars.Select(s => string.Create(Invariant, $"  {ShortName(s.Key)} {s.Value:0.###}")));
        return string.Create(Invariant, $"epoch {m.Epoch}/{epochs}  loss {m.TrainLoss:F4}  train {m.TrainAccuracy * 100:F2}%{validation}  lr {m.LearningRate:G3}  {m.Seconds:F1}s  {m.ImagesPerSecond:F0} img/s  wait {m.DataWaitSeconds:F2}s{scalars}");
    }

    /// <summary>What a run does from here: trains from the start, resumes at an epoch, or has trained every epoch already.</summary>
    public static string StartLine(int firstEpoch, int epochs, int stepsPerEpoch) =>
        firstEpoch > epochs
            ? $"{(epochs == 1 ? "the epoch was" : $"all {epochs} epochs were")} trained already; the summary is written again from the last checkpoint"
            : firstEpoch > 1
            ? $"resuming at epoch {firstEpoch}/{epochs} ({stepsPerEpoch} steps per epoch)"
            : $"training {epochs} epoch{(epochs == 1 ? string.Empty : "s")} ({stepsPerEpoch} step{(stepsPerEpoch == 1 ? string.Empty : "s")} per epoch)";

    private static string ShortName(string key) => key switch
    {
        "everActiveFraction" => "ever",
        "inferenceFlopsRelative" => "inf-FLOPs",
        "trainingFlopsRelative" => "train-FLOPs",
        _ => key,
    };

    private sealed class PlainObserver(TextWriter output, IList<string> preamble) : ITrainingObserver
    {
        private int epochs;

        public void OnStarted(int firstEpoch, int epochs, int stepsPerEpoch)
        {
            this.epochs = epochs;
            foreach (string line in preamble)
            {
                output.WriteLine(line);
            }
            output.WriteLine(StartLine(firstEpoch, epochs, stepsPerEpoch));
        }

        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history) => output.WriteLine(Describe(metrics, epochs));

        public void OnNotice(string message) => output.WriteLine($"note: {message}");
    }

    private sealed class LiveObserver(ProgressContext context, IList<string> preamble) : ITrainingObserver
    {
        private ProgressTask? task;
        private int epochs;
        private int stepsPerEpoch;

        public void OnStarted(int firstEpoch, int epochs, int stepsPerEpoch)
        {
            this.epochs = epochs;
            this.stepsPerEpoch = stepsPerEpoch;
            // The same lines as without a terminal, above the bar (a resume says where it resumes).
            foreach (string line in preamble)
            {
                AnsiConsole.MarkupLine(Markup.Escape(line));
            }
            AnsiConsole.MarkupLine(Markup.Escape(StartLine(firstEpoch, epochs, stepsPerEpoch)));
            task = context.AddTask("starting", maxValue: (double)epochs * stepsPerEpoch);
            task.Value = (double)(firstEpoch - 1) * stepsPerEpoch;
        }

        public void OnBatch(BatchProgress p)
        {
            if (task is null)
            {
                return;
            }
            task.Value = ((double)(p.Epoch - 1) * stepsPerEpoch) + p.Batch;
            if (p.Batch % 10 == 0 || p.Batch == p.Batches)
            {
                task.Description = string.Create(Invariant, $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy * 100:F2}%  {p.ImagesPerSecond:F0} img/s");
            }
        }

        public void OnEpochCompleted(EpochMetrics metrics, IReadOnlyList<EpochMetrics> history) =>
            AnsiConsole.MarkupLine(Markup.Escape(Describe(metrics, epochs)));

        public void OnNotice(string message) => AnsiConsole.MarkupLine($"[yellow]note:[/] {Markup.Escape(message)}");
    }
}
