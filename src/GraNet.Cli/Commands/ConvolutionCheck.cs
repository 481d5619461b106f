using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GraNet.Runtime;

namespace GraNet.Cli.Commands;

/// <summary>
/// Checks a model's convolutions on oneDNN in a process of their own (<see cref="TorchRuntime.ConvolutionsFor"/>): where
/// oneDNN is faulty it can end the process that runs it (a floating-point exception was seen at one of ResNet-50's
/// convolutions), which must not be the run's. <c>granet check-convolutions</c> (hidden) measures the shapes it is given.
/// </summary>
public static class ConvolutionCheck
{
    /// <summary>How long the checking process may take: ResNet-50's 20-odd shapes took a few seconds.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>A scope for <paramref name="model"/>'s convolutions (<see cref="TorchRuntime.ConvolutionsFor"/>), its shapes checked by <see cref="InChildProcess"/>.</summary>
    public static ConvolutionScope For(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, GraNet.Data.ImageShape sample) =>
        TorchRuntime.ConvolutionsFor(model, sample.Dimensions, InChildProcess);

    /// <summary>
    /// The error of each shape on oneDNN (<see cref="TorchRuntime.MeasureOnOneDnn"/>), measured by <c>granet check-convolutions</c>
    /// in a process of its own, with this process's CPU kernels and threads.
    /// </summary>
    /// <exception cref="ConvolutionCheckException">The process ended early (a floating-point exception was seen) or hung: at the shape after those it measured.</exception>
    /// <exception cref="InvalidOperationException">The process could not start, or gave no result per shape: the message says how.</exception>
    public static IReadOnlyList<double> InChildProcess(IReadOnlyList<ConvolutionShape> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var (host, prefix) = Studies.CellProcess.SelfCommand();
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in prefix)
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("check-convolutions");
        start.ArgumentList.Add("--cpu-kernels");
        start.ArgumentList.Add(EnumNames.Of(TorchRuntime.Kernels ?? CpuKernels.Auto));
        start.ArgumentList.Add("--threads");
        start.ArgumentList.Add((TorchRuntime.Threads ?? 1).ToString(CultureInfo.InvariantCulture));
        foreach (var shape in shapes)
        {
            start.ArgumentList.Add(shape.Argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("the checking process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"the checking process could not start ({e.Message})", e); // not kept: the next model tries again
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            bool finished = process.WaitForExit(Timeout);
            if (!finished)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            var measured = output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out double e) ? e : double.NaN)
                .TakeWhile(e => !double.IsNaN(e)).ToList();
            if (!finished)
            {
                throw new ConvolutionCheckException($"took more than {Timeout.TotalMinutes:F0} minutes", measured);
            }
            if (process.ExitCode != 0)
            {
                // A signal is reported as 128 + its number: 136 for SIGFPE, the floating-point exception seen.
                string last = error.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => !l.Contains("NNPACK", StringComparison.Ordinal)) ?? string.Empty;
                string how = process.ExitCode == 136 ? "a floating-point exception" : $"exit code {process.ExitCode}";
                throw new ConvolutionCheckException($"ended the checking process with {how}{(last.Length > 0 ? $" ({last.Trim()})" : string.Empty)}", measured);
            }
            return measured.Count == shapes.Count ? measured
                : throw new InvalidOperationException($"the checking process gave {measured.Count} results for {shapes.Count} shapes");
        }
    }

    /// <summary><c>granet check-convolutions --cpu-kernels SET SHAPE...</c>: each shape's error on oneDNN, one per line.</summary>
    public static Command Create(TextWriter output)
    {
        var kernels = new Option<CpuKernels?>("--cpu-kernels") { Description = "Instruction set of libtorch's CPU kernels", CustomParser = r => TrainOptions.EnumOption<CpuKernels>(r, "--cpu-kernels") };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads", DefaultValueFactory = _ => 1 };
        var shapes = new Argument<string[]>("shapes") { Description = "Convolution shapes (13 comma-separated numbers each)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check-convolutions", "Measure convolutions on oneDNN against float64 (used by train, evaluate and bench).") { kernels, threads, shapes };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var parsed = parse.GetValue(shapes)!.Select(text =>
            {
                try
                {
                    return ConvolutionShape.Parse(text);
                }
                catch (FormatException e)
                {
                    throw new ArgumentException(e.Message, e);
                }
            }).ToList();
            TorchRuntime.Configure(TrainOptions.CheckThreads(parse.GetValue(threads)), parse.GetValue(kernels) ?? CpuKernels.Auto);
            foreach (var shape in parsed)
            {
                // One at a time, flushed: where a shape ends the process, the lines before it say how far it got.
                output.WriteLine(TorchRuntime.MeasureOnOneDnn([shape])[0].ToString("R", CultureInfo.InvariantCulture));
                output.Flush();
            }
            return 0;
        });
        return command;
    }
}
