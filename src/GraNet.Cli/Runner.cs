using System.CommandLine;
using GraNet.Cli.Commands;
using GraNet.Data;
using GraNet.Training;

namespace GraNet.Cli;

/// <summary>The testable body of <c>granet</c>: parses, runs a command, turns failures into one line and an exit code.</summary>
public static partial class Runner
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        // A plain command named "granet" rather than a RootCommand, which takes its name from the executable
        // (GraNet.Cli, or testhost under a test runner): help's usage lines then read "granet train [options]".
        var root = new Command("granet", "granet: sparse training of neural networks (GraNet, GMP, RigL, SET, SNFS, static, dense) on TorchSharp.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            TrainCommand.Create(output, error),
            EvaluateCommand.Create(output),
            EvaluateCommand.CreateInfer(output),
            ExportCommand.Create(output),
            ListCommand.Create(output),
            BenchCommand.Create(output),
            Studies.SweepCommand.Create(output),
            Studies.ReportCommand.Create(output),
            Studies.PlasticityCommand.Create(output),
            Studies.SweepCommand.CreateCell(output),
        };
        using var interruption = Interruption.Listen(error);
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
            {
                string messages = string.Join("; ", parse.Errors.Select(ParseErrorText));
                error.WriteLine($"granet: {messages} (see 'granet --help' or 'granet COMMAND --help').");
                return ExitCodes.BadArguments;
            }
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"granet: {OneLine(Configuration.OptionFlags.Rewrite(e.Message))}");
            return ExitCodes.BadArguments;
        }
        catch (Exception e) when (e is DataException or InvalidDataException or FileNotFoundException or System.Text.Json.JsonException)
        {
            error.WriteLine($"granet: {Configuration.OptionFlags.Rewrite(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"granet: {OneLine(e.Message)} Choose a path you can write to (e.g. another --output), or check its permissions.");
            return ExitCodes.BadInput;
        }
        catch (IOException e)
        {
            error.WriteLine($"granet: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"granet: {Configuration.OptionFlags.Rewrite(e.Message)}");
            return ExitCodes.TrainingFailed;
        }
        catch (ExitCodeException e)
        {
            error.WriteLine($"granet: {OneLine(e.Message)}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine(Interruption.Line);
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            // Anything else is a fault of granet (or of libtorch below it): one line, no stack trace unless asked for.
            // The first line only: a native error's message goes on with libtorch's stack trace.
            error.WriteLine($"granet: internal error ({e.GetType().Name}: {GraNet.Runtime.ErrorText.FirstLine(e.Message)}); please report it with the command line; GRANET_TRACE=1 prints the stack trace.");
            if (Environment.GetEnvironmentVariable("GRANET_TRACE") is "1")
            {
                error.WriteLine(e.ToString());
            }
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// A parse error in the tool's terms: the option and what it takes (<c>--lr 'abc' is not a number</c>) rather than
    /// .NET's type names, and the option named when System.CommandLine leaves it out (a value outside an allowed list).
    /// </summary>
    internal static string ParseErrorText(System.CommandLine.Parsing.ParseError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        string message = OneLine(error.Message);
        var typed = ExpectedType().Match(message);
        if (typed.Success)
        {
            return $"{typed.Groups[2].Value} '{typed.Groups[1].Value}' is not {Configuration.ConfigurationJson.Kind(typed.Groups[3].Value)}.";
        }
        var option = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option,
            _ => null,
        };
        return option is not null && !message.Contains(option.Name, StringComparison.Ordinal) ? $"{option.Name}: {message}" : message;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    /// <summary>A message on one line: line breaks and tabs become spaces, and .NET's "(Parameter 'x')" suffix is dropped.</summary>
    internal static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string text = System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)", string.Empty);
        return System.Text.RegularExpressions.Regex.Replace(text, @"\s*[\r\n\t]+\s*", " ").Trim();
    }
}
