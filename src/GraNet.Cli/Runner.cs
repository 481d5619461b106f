using System.CommandLine;
using GraNet.Cli.Commands;
using GraNet.Data;
using GraNet.Training;

namespace GraNet.Cli;

/// <summary>The testable body of <c>granet</c>: parses, runs a command, turns failures into one line and an exit code.</summary>
public static partial class Runner
{
    // errno values of Linux (an IOException on Unix carries the errno as its HResult).
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;
    private const int NameTooLong = 36;
    private const int NotADirectory = 20;
    private const int ReadOnlyFileSystem = 30;
    private const int IsADirectory = 21;

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
            ConvolutionCheck.Create(output),
        };
        using var interruption = Interruption.Listen(error);
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
            {
                string messages = string.Join("; ", Unrecognized(parse, root) ?? parse.Errors.Select(ParseErrorText).Select(m => m.TrimEnd('.')));
                error.WriteLine($"granet: {messages}{(messages.EndsWith('?') ? string.Empty : ".")} (see 'granet --help' or 'granet COMMAND --help').");
                return ExitCodes.BadArguments;
            }
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"granet: {OneLine(Configuration.OptionFlags.Rewrite(e.Message))}");
            return ExitCodes.BadArguments;
        }
        catch (FileNotFoundException e) when (e.Message.StartsWith("Could not find file '", StringComparison.Ordinal))
        {
            // .NET's own text (our messages name the option and the fix): a file that could not be opened or made there.
            error.WriteLine($"granet: {FileSystemErrorText(e, args)}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is DataException or InvalidDataException or FileNotFoundException or System.Text.Json.JsonException)
        {
            error.WriteLine($"granet: {Configuration.OptionFlags.Rewrite(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"granet: {AccessDeniedText(e, args)}");
            return ExitCodes.BadInput;
        }
        catch (IOException e)
        {
            error.WriteLine($"granet: {FileSystemErrorText(e, args)}");
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
    /// For a mistyped command or option, one message with the nearest name (<c>unknown option --epoch; did you mean
    /// --epochs?</c>) instead of one error per word that follows it; null when every word was recognised.
    /// </summary>
    private static string[]? Unrecognized(ParseResult parse, Command root)
    {
        var words = parse.UnmatchedTokens;
        if (words.Count == 0)
        {
            return null;
        }
        string first = words[0];
        if (TrueFalseValue(parse, first) is { } refused)
        {
            return [refused];
        }
        if (parse.CommandResult.Command == root && !first.StartsWith('-'))
        {
            var commands = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            return [$"unknown command '{first}'{Nearest(first, commands)}"];
        }
        string command = CommandPath(parse.CommandResult);
        if (words.FirstOrDefault(w => w.StartsWith("--", StringComparison.Ordinal)) is { } option)
        {
            var options = parse.CommandResult.Command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
            return [$"unknown option {option} for '{command}'{Nearest(option, options)}"];
        }
        if (!first.StartsWith('-'))
        {
            // A mistyped subcommand (granet bench sparsee), or a word no option or argument takes (a second value, a second folder).
            var subcommands = parse.CommandResult.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            if (subcommands.Count > 0)
            {
                return [$"unknown command '{first}' for '{command}'{Nearest(first, subcommands)}"];
            }
            var arguments = parse.CommandResult.Command.Arguments.Where(a => !a.Hidden).Select(a => a.Name).ToList();
            string takes = arguments.Count == 0 ? "options only, each with one value" : $"its {string.Join(", ", arguments)} and options, each with one value";
            return [$"unexpected argument '{first}' for '{command}', which takes {takes}; drop it (or quote a value that holds spaces)"];
        }
        return null;
    }

    /// <summary>
    /// For a word left over right after an option that takes true or false (<c>--dense-first maybe</c>, <c>--nesterov=yes</c>):
    /// the option and the values it takes. System.CommandLine leaves such a word unread, to be reported as an unrecognized
    /// argument that names neither. Null when <paramref name="word"/> follows no such option.
    /// </summary>
    private static string? TrueFalseValue(ParseResult parse, string word)
    {
        var tokens = parse.Tokens;
        for (int i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value != word || tokens[i].Type != System.CommandLine.Parsing.TokenType.Argument || tokens[i - 1].Type != System.CommandLine.Parsing.TokenType.Option)
            {
                continue;
            }
            string name = tokens[i - 1].Value;
            for (var at = parse.CommandResult; at is not null; at = at.Parent as System.CommandLine.Parsing.CommandResult)
            {
                if (at.Command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name)) is { } option)
                {
                    return (option.ValueType == typeof(bool) || option.ValueType == typeof(bool?)) && option.Arity.MaximumNumberOfValues == 1
                        ? $"{option.Name} '{word}' is not one of: true, false (or give {option.Name} alone for true)"
                        : null;
                }
            }
        }
        return null;
    }

    /// <summary>"; did you mean X?" for the name nearest to <paramref name="word"/> within two edits (three for a long word), else empty.</summary>
    private static string Nearest(string word, IEnumerable<string> names)
    {
        int most = word.Length >= 10 ? 3 : 2;
        var best = names.Distinct().Select(n => (Name: n, Distance: EditDistance(word, n))).Where(c => c.Distance <= most).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is null ? string.Empty : $"; did you mean {best.Name}?";
    }

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    public static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
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
            // A whole number beyond the option's type (--epochs 99999999999) is one, only too large.
            string kind = Configuration.WholeNumber.OutOfRange(typed.Groups[1].Value, typed.Groups[3].Value) ?? $"not {Configuration.ConfigurationJson.Kind(typed.Groups[3].Value)}";
            return $"{typed.Groups[2].Value} '{typed.Groups[1].Value}' is {kind}.";
        }
        if (Repeated().Match(message) is { Success: true } repeated)
        {
            return $"{repeated.Groups[1].Value} is given {repeated.Groups[2].Value} times; give it once.";
        }
        if (Missing(error, message) is { } missing)
        {
            return missing;
        }
        var option = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option,
            _ => null,
        };
        return option is not null && !message.Contains(option.Name, StringComparison.Ordinal) ? $"{option.Name}: {message}" : message;
    }

    /// <summary>
    /// For a command given without its subcommand, argument or a required option: what to give, from the command's own
    /// subcommands or the argument's or option's description (<c>'granet bench' needs a command: sparse, inference, data</c>).
    /// Null for any other error.
    /// </summary>
    private static string? Missing(System.CommandLine.Parsing.ParseError error, string message)
    {
        var at = error.SymbolResult;
        while (at is not null and not System.CommandLine.Parsing.CommandResult)
        {
            at = at.Parent;
        }
        if (at is not System.CommandLine.Parsing.CommandResult result)
        {
            return null;
        }
        string command = $"'{CommandPath(result)}'";
        static string What(string? description) => description is { Length: > 1 } d && char.IsUpper(d[0]) && (char.IsLower(d[1]) || d[1] == ' ') ? char.ToLowerInvariant(d[0]) + d[1..] : description ?? string.Empty;
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
        {
            var commands = result.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            return commands.Count == 0 ? null : $"{command} needs a command: {string.Join(", ", commands)}.";
        }
        if (message.StartsWith("Required argument missing for command", StringComparison.Ordinal) && result.Command.Arguments.FirstOrDefault(a => !a.Hidden) is { } argument)
        {
            return $"{command} needs {argument.Name}: {What(argument.Description).TrimEnd('.')}.";
        }
        if (RequiredOption().Match(message) is { Success: true } required
            && result.Command.Options.FirstOrDefault(o => o.Name == required.Groups[1].Value) is { } option)
        {
            return $"{command} needs {option.Name}: {What(option.Description).TrimEnd('.')}.";
        }
        if (ValueMissing().Match(message) is { Success: true } bare
            && result.Command.Options.FirstOrDefault(o => o.Name == bare.Groups[1].Value || o.Aliases.Contains(bare.Groups[1].Value)) is { } given)
        {
            // An option given without its value (the last word, or followed by another option).
            return $"{bare.Groups[1].Value} needs a value: {What(given.Description).TrimEnd('.')}.";
        }
        return null;
    }

    /// <summary>The whole path of a parsed command, <c>granet bench data</c>, not its last word alone.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var at = result; at is not null; at = at.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, at.Command.Name);
        }
        return string.Join(' ', names);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^Option '(.*)' is required")]
    private static partial System.Text.RegularExpressions.Regex RequiredOption();

    [System.Text.RegularExpressions.GeneratedRegex(@"^Required argument missing for option: '(.*)'")]
    private static partial System.Text.RegularExpressions.Regex ValueMissing();

    /// <summary>The file a path names, or the one its temporary name is written for (<c>last.ckpt</c>, not <c>last.ckpt.4833.tmp</c>).</summary>
    private static string WrittenFile(string path) =>
        Output.RunFolder.Written(Path.GetFileName(path)) is { } written ? Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, written) : path;

    [System.Text.RegularExpressions.GeneratedRegex(@"^Option '(.*)' expects a single argument but ([0-9]+) were provided")]
    private static partial System.Text.RegularExpressions.Regex Repeated();

    [System.Text.RegularExpressions.GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();

    /// <summary>
    /// The line for a permission error, with the fix for what failed, told from the path in the message: a file or folder
    /// that exists and cannot be read ("check its permissions"), one behind a folder that may not be entered, or else a
    /// write (the permissions of its folder, and "another --output" only for a command that takes one).
    /// </summary>
    /// <param name="args">The command line, for the command and its options.</param>
    /// <param name="readable">Whether the current user may read a path (injectable for tests, which may run as root).</param>
    public static string AccessDeniedText(UnauthorizedAccessException error, IReadOnlyList<string> args, Func<string, bool>? readable = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(args);
        if (QuotedPath(error.Message) is not { } quoted)
        {
            return $"{OneLine(error.Message)} Check the permissions of the files and folders involved.";
        }
        // The file being written, not the temporary name it is written under (config.json, not config.json.4833.tmp).
        string path = WrittenFile(quoted);
        bool? folder;
        try
        {
            folder = File.GetAttributes(path).HasFlag(FileAttributes.Directory);
        }
        catch (UnauthorizedAccessException)
        {
            return $"cannot reach {path}: a folder on its path may not be entered (permission denied); check those folders' permissions (e.g. chmod a+x).";
        }
        catch (IOException)
        {
            folder = null;
        }
        if (folder is { } isFolder && !(readable ?? CanRead)(path))
        {
            return $"cannot read {path} (permission denied); check its permissions (e.g. chmod {(isFolder ? "a+rx" : "a+r")} {GraNet.IO.ShellQuoting.Quote(path)}).";
        }
        string parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path)) ?? path;
        return $"cannot write {path} (permission denied); check the permissions of {(folder is null ? "its folder" : "it and of its folder")} {parent}{(TakesOutput(args) ? ", or choose another --output" : string.Empty)}.";
    }

    /// <summary>
    /// The line for any other file-system error: a full disk with how to continue (<c>granet train --resume DIR</c> for a
    /// run), a name too long for the file system, a path below a file, a folder in the place of a file the command writes
    /// (to move away, with how to continue), a read-only file system; else the message on one line.
    /// </summary>
    /// <param name="args">The command line, for the command and its options.</param>
    public static string FileSystemErrorText(IOException error, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(args);
        string? path = QuotedPath(error.Message);
        string subject = path is null ? string.Empty : $"{path}: ";
        if (DiskFull(error) is { } full)
        {
            // The file being written, not the temporary name it is written under (last.ckpt, not last.ckpt.4833.tmp).
            string written = path is null ? string.Empty : $"{WrittenFile(path)}: ";
            return CommandName(args) == "sweep-cell"
                ? $"{written}{full}; free space first."
                : $"{written}{full}; free space, then {Continuation(path, args)}.";
        }
        if (error is PathTooLongException || (!OperatingSystem.IsWindows() && error.HResult == NameTooLong))
        {
            string? output = TakesOutput(args) ? OptionValue(args, "--output", "-o") : null;
            string named = path is null && output is not null ? $"--output {output}: " : subject;
            return $"{named}a name in this path is longer than the file system allows (255 bytes on most); choose a shorter {(TakesOutput(args) ? "--output" : "name")}.";
        }
        if (path is not null && (error is DirectoryNotFoundException || (!OperatingSystem.IsWindows() && error.HResult == NotADirectory)))
        {
            string? missing = path;
            string? existing = Path.GetDirectoryName(path);
            while (existing is not null && !File.Exists(existing) && !Directory.Exists(existing))
            {
                missing = existing;
                existing = Path.GetDirectoryName(existing);
            }
            string? option = GivenPathOption(path, args, out string? value);
            if (existing is not null && File.Exists(existing))
            {
                return option is null
                    ? $"{path}: {existing} is a file, not a folder; move it, or choose another path."
                    : $"{option} {value}: {existing} is a file, not a folder; choose another {option}.";
            }
            if (existing is not null && missing != path)
            {
                return $"{path}: the folder {missing} does not exist; create it, or choose another path.";
            }
        }
        if (path is not null && !OperatingSystem.IsWindows() && error.HResult == IsADirectory)
        {
            // A folder with the name of a file the command writes (last.ckpt made a folder, an archive unpacked under a file's name).
            return $"{WrittenFile(path)} is a folder where a file is written; move it away, then {Continuation(path, args)}.";
        }
        if (path is not null && !OperatingSystem.IsWindows() && error.HResult == ReadOnlyFileSystem)
        {
            // A read-only mount (a backup, a shared data volume): no permission to fix, and no other process to wait for.
            string written = WrittenFile(path);
            if (GivenPathOption(path, args, out string? value) is { } option)
            {
                return written == Path.TrimEndingDirectorySeparator(Path.GetFullPath(value!))
                    ? $"{option} {value}: read-only file system; choose another {option}."
                    : $"{option} {value}: cannot write {written} (read-only file system); choose another {option}.";
            }
            return TakesOutput(args)
                ? $"cannot write {written} (read-only file system); give an --output on a writable file system."
                : $"cannot write {written} (read-only file system); remount it writable, or copy the folder to one that is and run the command on the copy.";
        }
        if (path is not null && error is FileNotFoundException && Directory.Exists(Path.GetDirectoryName(path)))
        {
            // The folder is there, the file is not and could not be made: a file system that takes no new files (/proc, /sys).
            string? option = GivenPathOption(path, args, out string? value);
            return option is null
                ? $"{path}: not found; check the path."
                : $"{option} {value}: no file can be made in {Path.GetDirectoryName(path)} (a file system that takes no new files); choose another {option}.";
        }
        return OneLine(error.Message);
    }

    /// <summary>What is full, when <paramref name="error"/> says the disk (or the user's quota) is; else null.</summary>
    private static string? DiskFull(IOException error) => OperatingSystem.IsWindows()
        ? (error.HResult & 0xFFFF) is 0x70 or 0x27 ? "no space left on the disk" : null // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
        : error.HResult switch
        {
            NoSpace => "no space left on the device",
            QuotaExceeded => "the disk quota is used up",
            _ => null,
        };

    /// <summary>How to carry on after space was freed: resume the run whose folder it is, rerun a study, or the command.</summary>
    private static string Continuation(string? path, IReadOnlyList<string> args)
    {
        switch (CommandName(args))
        {
            case "train":
                // The run folder: the one resumed or given, or the one the file was written in; only once it holds a run.
                string?[] candidates = [OptionValue(args, "--resume"), OptionValue(args, "--output", "-o"), path is null ? null : Path.GetDirectoryName(path)];
                return candidates.FirstOrDefault(folder => folder is not null && File.Exists(Path.Combine(folder, "config.json"))) is { } run
                    ? $"continue with {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", run)}"
                    : "run the command again";
            case "sweep":
            case "plasticity":
                return "run the same command again to continue (what has finished is kept)";
            default:
                return "run the command again";
        }
    }

    /// <summary>
    /// Whether the command writes where <c>--output</c> says (train, unless resuming; sweep, unless it only tabulates the
    /// folder given; plasticity; export), so that another <c>--output</c> is a fix.
    /// </summary>
    private static bool TakesOutput(IReadOnlyList<string> args) =>
        CommandName(args) is "plasticity" or "export"
        || (CommandName(args) == "sweep" && !args.Contains("--report-only"))
        || (CommandName(args) == "train" && OptionValue(args, "--resume") is null);

    /// <summary>The option (<c>--output</c>) whose value <paramref name="path"/> is, or is inside; null if none.</summary>
    private static string? GivenPathOption(string path, IReadOnlyList<string> args, out string? value)
    {
        value = OptionValue(args, "--output", "-o");
        if (value is not null && TakesOutput(args))
        {
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(value));
            if (path == full || path.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return "--output";
            }
        }
        return null;
    }

    /// <summary>The command: the first argument that is not an option.</summary>
    private static string? CommandName(IReadOnlyList<string> args) => args.FirstOrDefault(a => !a.StartsWith('-'));

    /// <summary>The value given to an option (<c>--name value</c>, <c>--name=value</c> or <c>--name:value</c>), or null.</summary>
    private static string? OptionValue(IReadOnlyList<string> args, params string[] names)
    {
        for (int i = 0; i < args.Count; i++)
        {
            foreach (string name in names)
            {
                if (args[i] == name && i + 1 < args.Count)
                {
                    return args[i + 1];
                }
                if (args[i].Length > name.Length + 1 && args[i].StartsWith(name, StringComparison.Ordinal) && args[i][name.Length] is '=' or ':')
                {
                    return args[i][(name.Length + 1)..];
                }
            }
        }
        return null;
    }

    /// <summary>The path a .NET file-system message quotes ("Access to the path '/a/b' is denied.", "No space left on device : '/a/b'"), or null.</summary>
    private static string? QuotedPath(string message)
    {
        int first = message.IndexOf('\'');
        int last = message.LastIndexOf('\'');
        return first >= 0 && last > first + 1 ? message[(first + 1)..last] : null;
    }

    /// <summary>Whether the current user may read <paramref name="path"/> (open the file, or list the folder).</summary>
    private static bool CanRead(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                using var entries = Directory.EnumerateFileSystemEntries(path).GetEnumerator();
                entries.MoveNext();
            }
            else
            {
                using var file = File.OpenRead(path);
            }
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        catch (IOException)
        {
            // Another problem than a permission (a FIFO, a vanished file): not a reading permission to fix.
            return true;
        }
    }

    /// <summary>A message on one line: line breaks and tabs become spaces, and .NET's "(Parameter 'x')" suffix is dropped.</summary>
    internal static string OneLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string text = System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)", string.Empty);
        return System.Text.RegularExpressions.Regex.Replace(text, @"\s*[\r\n\t]+\s*", " ").Trim();
    }
}
