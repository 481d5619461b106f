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
    /// in a process of its own, with this process's CPU kernels and one thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process could not start, failed, or gave no result per shape: the message says how.</exception>
    public static IReadOnlyList<double> InChildProcess(IReadOnlyList<ConvolutionShape> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        // The tool's own executable where it runs as one; else (dotnet GraNet.Cli.dll, a test host) the dotnet host with the tool's assembly.
        string? self = Environment.ProcessPath;
        bool apphost = self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(typeof(ConvolutionCheck).Assembly.Location);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var start = new ProcessStartInfo(apphost ? self! : dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (!apphost)
        {
            start.ArgumentList.Add(typeof(ConvolutionCheck).Assembly.Location);
        }
        start.ArgumentList.Add("check-convolutions");
        start.ArgumentList.Add("--cpu-kernels");
        start.ArgumentList.Add(EnumNames.Of(TorchRuntime.Kernels ?? CpuKernels.Auto));
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
            throw new InvalidOperationException($"the checking process could not start ({e.Message})", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the checking process took more than {Timeout.TotalMinutes:F0} minutes");
            }
            string[] lines = output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (process.ExitCode != 0)
            {
                // A signal is reported as 128 + its number: 136 for SIGFPE, the floating-point exception seen.
                string last = error.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => !l.Contains("NNPACK", StringComparison.Ordinal)) ?? string.Empty;
                string how = process.ExitCode == 136 ? "a floating-point exception" : $"exit code {process.ExitCode}";
                throw new InvalidOperationException($"the checking process ended with {how} after {Count(lines.Length, "of them")}{(last.Length > 0 ? $" ({last.Trim()})" : string.Empty)}");
            }
            var errors = lines.Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out double e) ? e : double.NaN).ToList();
            return errors.Count == shapes.Count && errors.All(e => !double.IsNaN(e)) ? errors
                : throw new InvalidOperationException($"the checking process gave {lines.Length} lines for {shapes.Count} shapes");
        }
    }

    private static string Count(int n, string what) => n == 0 ? "none of them" : string.Create(CultureInfo.InvariantCulture, $"{n} {what}");

    /// <summary><c>granet check-convolutions --cpu-kernels SET SHAPE...</c>: each shape's error on oneDNN, one per line.</summary>
    public static Command Create(TextWriter output)
    {
        var kernels = new Option<CpuKernels?>("--cpu-kernels") { Description = "Instruction set of libtorch's CPU kernels", CustomParser = r => TrainOptions.EnumOption<CpuKernels>(r, "--cpu-kernels") };
        var shapes = new Argument<string[]>("shapes") { Description = "Convolution shapes (13 comma-separated numbers each)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check-convolutions", "Measure convolutions on oneDNN against float64 (used by train, evaluate and bench).") { kernels, shapes };
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
            TorchRuntime.Configure(1, parse.GetValue(kernels) ?? CpuKernels.Auto);
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
