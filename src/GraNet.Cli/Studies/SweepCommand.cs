using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GraNet.Cli.Commands;
using GraNet.Cli.Configuration;
using GraNet.Cli.Output;
using GraNet.Data;
using GraNet.Models;
using GraNet.Sparsity;
using GraNet.Training;

namespace GraNet.Cli.Studies;

/// <summary>
/// <c>granet sweep</c>: trains every method × final density (× initial density) × seed, skipping
/// finished cells and resuming interrupted ones, and writes results.csv, results.md (the paper's
/// Table 2 form) and accuracy.png after every cell.
/// </summary>
public static class SweepCommand
{
    public static Command Create(TextWriter output)
    {
        var train = new TrainOptions();
        var methods = new Option<string>("--methods") { Description = "Comma-separated methods", DefaultValueFactory = _ => "granet,gmp,rigl,set,static,dense" };
        var finals = new Option<string>("--final-densities") { Description = "Comma-separated final densities", DefaultValueFactory = _ => "0.1,0.05,0.02" };
        var inits = new Option<string>("--init-densities") { Description = "Initial densities for granet/granet-uniform", DefaultValueFactory = _ => "1.0" };
        var seeds = new Option<int>("--seeds") { Description = "Runs that trained per cell (a collapsed or diverged run is replaced by the next seed, at most --replacements times; exit 4 if a cell still has fewer)", DefaultValueFactory = _ => 3 };
        var replacements = new Option<int>("--replacements") { Description = "Seeds a cell may try in place of runs that collapsed or diverged (later seeds already in --output always count)", DefaultValueFactory = _ => SeedPlan.DefaultReplacements };
        var reportOnly = new Option<bool>("--report-only") { Description = "Only tabulate the cells already finished in --output; train nothing (given with --output alone: the grid and settings of the last sweep that trained there, from its sweep.json)" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cells trained at once, each in its own process (with more than 1, --threads defaults to cores / jobs, at most 4)", DefaultValueFactory = _ => 1 };
        var command = new Command("sweep", "Run a grid of methods, densities and seeds; write results.csv, results.md and accuracy.png.") { methods, finals, inits, seeds, replacements, reportOnly, jobs };
        train.AddTo(command);
        train.Seed.Description = "First seed of every cell: its runs use --seed, --seed + 1, … (default 17)";
        // Options of train that the sweep refuses: parsed (to be refused with advice), not shown in its help.
        var perCell = new Option[] { train.Method, train.FinalDensity, train.InitDensity };
        foreach (var option in perCell.Append(train.Resume))
        {
            option.Hidden = true;
        }
        train.OutputDir.Description = "Sweep folder (default: a new folder under runs/); the same one continues a sweep; needed by --report-only";
        command.SetAction(parse =>
        {
            var tokens = parse.Tokens.Where(t => t.Type != System.CommandLine.Parsing.TokenType.Command).Select(t => t.Value).ToList();
            if (parse.GetValue(reportOnly) && parse.GetValue(train.OutputDir) is { } tabulated && SweepRecord.Of(tokens).Arguments.Count == 0
                && SweepRecord.Read(tabulated) is { Arguments.Count: > 0 } recorded)
            {
                // Nothing but the folder: the last command that trained there says the grid and the settings. (A record
                // without arguments is of a sweep of the defaults, which this command already is.)
                var again = command.Parse([.. recorded.ForReport(TrainOptions.MaxThreads), "--output", tabulated, "--report-only"]);
                if (again.Errors.Count > 0)
                {
                    throw new InvalidDataException($"{Path.Combine(tabulated, SweepRecord.FileName)}: its arguments do not parse ({again.Errors[0].Message.TrimEnd('.')}); delete it and give the sweep's own options with --report-only.");
                }
                return again.Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false });
            }
            foreach (var fixedOption in perCell)
            {
                if (parse.GetResult(fixedOption) is { Implicit: false })
                {
                    throw new ArgumentException($"{fixedOption.Name} is set per cell by the sweep; use --methods, --final-densities, --init-densities (or train for a single run).");
                }
            }
            if (parse.GetResult(train.Resume) is { Implicit: false })
            {
                throw new ArgumentException("--resume does not apply to a sweep: rerun the same sweep command with the same --output to continue it (finished cells are skipped, interrupted ones resumed).");
            }
            // The method is set per cell, and Check validates every cell's options.
            var (baseline, _, _) = train.Resolve(parse, validateSparsity: false);
            // The training options are the same in every cell: those its optimizer or schedule would ignore are refused as train refuses them.
            train.RefuseUnused(parse, baseline.Training);
            var methodList = TrainOptions.ParseList(parse.GetValue(methods)!, "--methods", s => TrainOptions.ParseEnum<SparsityMethodKind>(s, "--methods"), "granet,gmp");
            if (baseline.Sparsity.Growth is { } growth && !methodList.Any(SparsityOptions.RegrowsWith))
            {
                // It goes to the cells that regrow; with none, it would do nothing.
                throw new ArgumentException($"--growth {TrainOptions.EnumName(growth)} has no effect with --methods {string.Join(",", methodList.Select(TrainOptions.MethodName))} (none of them regrows); drop it.");
            }
            var finalList = TrainOptions.ParseList(parse.GetValue(finals)!, "--final-densities", TrainOptions.ParseDensity, "0.1,0.05");
            var initList = TrainOptions.ParseList(parse.GetValue(inits)!, "--init-densities", TrainOptions.ParseDensity, "1.0,0.5");
            foreach (var (list, name) in new[] { (methodList.Select(TrainOptions.MethodName).ToList(), "--methods"), (finalList.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList(), "--final-densities"), (initList.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList(), "--init-densities") })
            {
                if (list.GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                {
                    throw new ArgumentException($"{name} gives {twice.Key} more than once; give each value once.");
                }
            }
            // Given explicitly but used by no cell (dense trains at 1.0; only granet and granet-uniform take an initial density): refused, as train refuses unused options.
            if (parse.GetResult(finals) is { Implicit: false } && methodList.All(m => m == SparsityMethodKind.Dense))
            {
                throw new ArgumentException("--final-densities has no effect with --methods dense (dense trains at density 1); drop it, or add a sparse method.");
            }
            if (parse.GetResult(inits) is { Implicit: false } && !methodList.Any(m => m is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform))
            {
                throw new ArgumentException("--init-densities applies to granet and granet-uniform only (in a sweep gmp starts dense, as in the paper, and the others at their final density), and --methods has neither; drop it.");
            }
            var grid = new SweepGrid(
                methodList,
                finalList,
                initList,
                parse.GetValue(seeds),
                baseline.Training.Seed,
                SeedPlan.RequireReplacements(parse.GetValue(replacements)));
            if (grid.Seeds < 1)
            {
                throw new ArgumentException($"--seeds {grid.Seeds} must be at least 1.");
            }
            SeedPlan.RequireSeedRange(baseline.Training.Seed, grid.Seeds, grid.Replacements);
            int jobCount = parse.GetValue(jobs);
            if (jobCount < 1)
            {
                throw new ArgumentException($"--jobs {jobCount} must be at least 1.");
            }
            // A report trains nothing: how many cores the cells would need does not matter to it.
            bool trains = !parse.GetValue(reportOnly);
            if (trains && jobCount > TrainOptions.MaxThreads)
            {
                // Each job is a training process of its own (hundreds of MB, at least one thread): more than the cores only wait for each other.
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--jobs {jobCount} exceeds the {TrainOptions.MaxThreads} cores of this machine (each job trains a cell in a process of its own, with at least one thread); give at most {TrainOptions.MaxThreads}."));
            }
            bool threadsGiven = parse.GetResult(train.Threads) is { Implicit: false };
            string? threadsFile = !threadsGiven && parse.GetValue(train.ConfigFile) is { } config && ConfigurationJson.Sets(config, "threads") ? config : null;
            if (jobCount > 1 && !threadsGiven && threadsFile is null)
            {
                // Jobs share the cores: each gets its part (at most the usual default) unless --threads or a --config file says otherwise.
                baseline = baseline with { Threads = Math.Clamp(Environment.ProcessorCount / jobCount, 1, GraNet.Runtime.TorchRuntime.DefaultThreads) };
            }
            if (trains && (threadsGiven || threadsFile is not null) && jobCount * baseline.Threads > TrainOptions.MaxThreads)
            {
                // Jobs at once, each with the thread count given (by --threads or the --config file): more threads than
                // cores only wait for each other, spinning, which slows every cell several-fold.
                int fits = Math.Max(1, TrainOptions.MaxThreads / jobCount);
                string source = threadsGiven ? string.Empty : $" (\"threads\" of {threadsFile})";
                string fix = threadsGiven ? $"--threads {fits}" : $"\"threads\": {fits} in {threadsFile} (or --threads {fits})";
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--jobs {jobCount} with {baseline.Threads} threads each{source} needs {jobCount * baseline.Threads} cores; this machine has {TrainOptions.MaxThreads}: give {fix}, or fewer --jobs."));
            }
            string? given = parse.GetValue(train.OutputDir);
            string folder = given ?? Path.Combine("runs", $"sweep-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{baseline.Model}-{baseline.Dataset}");
            string commandLine = "./granet sweep " + SweepRecord.Join(tokens);
            return Run(grid, baseline, folder, commandLine.Replace(" --report-only", string.Empty, StringComparison.Ordinal), output, parse.GetValue(reportOnly), claimFolder: given is null, jobs: jobCount, record: SweepRecord.Of(tokens), rewrite: train.Rewrite, dataDirFile: train.DataDirFile);
        });
        return command;
    }

    /// <summary>
    /// Runs (or skips) every cell and rewrites the result files after each. Before anything is written, every cell's
    /// settings are validated and every cell folder already there must hold a run of the settings this command gives it.
    /// </summary>
    /// <param name="reportOnly">Tabulate the finished cells of <paramref name="folder"/> only (refused with no finished cell, or with <paramref name="claimFolder"/>); train nothing.</param>
    /// <param name="claimFolder">The folder is a default name: claim a new one (<c>-2</c>, <c>-3</c>, … if taken) instead of continuing one.</param>
    /// <param name="jobs">Cells trained at once, each in a child process; 1: one after another in this process.</param>
    /// <param name="record">The command's arguments, written to the folder's sweep.json when it trains (null: none written).</param>
    /// <param name="rewrite">How a library refusal names options (<see cref="TrainOptions.Rewrite"/>: by flag, or by --config key for a value the file gave); default by flag.</param>
    /// <param name="dataDirFile">The <c>--config</c> file that gave the data folder (its key <c>dataDir</c>), which data messages then name; null: <c>--data-dir</c>.</param>
    public static int Run(SweepGrid grid, Configuration.RunConfiguration baseline, string folder, string commandLine, TextWriter output, bool reportOnly = false, bool claimFolder = false, int jobs = 1, SweepRecord? record = null, Func<string, string>? rewrite = null, string? dataDirFile = null)
    {
        rewrite ??= message => Configuration.OptionFlags.Rewrite(message);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        if (reportOnly && claimFolder)
        {
            // A new folder has nothing to tabulate.
            throw new ArgumentException("--report-only needs --output DIR, the folder of the sweep to tabulate.");
        }
        if (!claimFolder)
        {
            // A sweep's tables and cells beside a run's files or a study's would mix two outputs in one folder.
            FolderContents.RequireNoOther(folder, FolderOutput.Sweep, "sweep");
            // Runs of replacement seeds that an earlier command (with more --replacements) trained stay in the tables.
            grid = grid.Reaching(cell => Directory.Exists(Path.Combine(folder, cell.FolderName)));
        }
        Check(grid, baseline, claimFolder ? null : folder, rewrite);
        if (!reportOnly)
        {
            RequireTrainable(grid, baseline, claimFolder ? null : folder, rewrite, DataFolder.For(dataDirFile));
        }
        var leftOut = claimFolder || !Directory.Exists(folder) ? [] : LeftOut(grid, folder);
        if (reportOnly && leftOut.Count > 0)
        {
            // Tables of this grid would replace the folder's and drop these runs from them.
            throw new ArgumentException($"{folder} holds finished cells that this grid leaves out ({Named(leftOut)}), whose rows the tables would lose; give --methods, --final-densities, --init-densities and --seeds that include them.");
        }
        if (reportOnly && Collect(grid, folder).Count == 0)
        {
            throw new ExitCodeException(ExitCodes.BadInput, $"no finished cells in {folder}; run the sweep without --report-only.");
        }
        if (leftOut.Count > 0)
        {
            // Training another grid in the folder is how a sweep grows; its tables then show this grid alone.
            output.WriteLine($"note: {folder} holds finished cells that this grid leaves out ({Named(leftOut)}); the tables will show this grid's cells only.");
        }
        folder = claimFolder ? RunFolder.Claim(folder) : folder;
        Directory.CreateDirectory(folder);
        // One sweep at a time per folder: a second one would train cells the first is about to train.
        using var locked = reportOnly ? null : new RunFolder(folder).Lock();
        if (!reportOnly)
        {
            RunFolder.RemoveStudyTemporaries(folder); // left by a killed sweep
            // Before the first cell finishes: the folder is a sweep's from now on, and says with what command.
            record?.Write(folder);
        }
        Interruption.Advise($"finished cells are kept; run the same command again with --output {GraNet.IO.ShellQuoting.Quote(folder)} to continue.");
        if (jobs > 1 && !reportOnly)
        {
            RunInParallel(grid, baseline, folder, commandLine, output, jobs, dataDirFile);
            var collected = Collect(grid, folder);
            if (collected.Count > 0)
            {
                // Only a file that was written: every finished cell has rewritten it.
                output.WriteLine($"results: {Path.Combine(folder, "results.md")}");
            }
            return Finish(grid, collected);
        }
        var results = new List<SweepResult>();
        foreach (var (cell, finished) in Cells(grid, folder))
        {
            var runFolder = new RunFolder(Path.Combine(folder, cell.FolderName));
            var done = finished;
            if (done is null && reportOnly)
            {
                output.WriteLine($"== {cell.FolderName}: {(File.Exists(runFolder.LastCheckpoint) ? "unfinished" : "not run")} (--report-only)");
                continue;
            }
            if (done is null)
            {
                bool resume = File.Exists(runFolder.LastCheckpoint);
                output.WriteLine($"== {cell.FolderName}{(resume ? " (resuming)" : string.Empty)}");
                // Check has made sure that a folder being resumed was started with this configuration
                // (up to the settings that may change, such as --threads, which this command's value sets).
                try
                {
                    TrainCommand.Execute(CellConfiguration(baseline, cell), runFolder, resume, output, locator: DataFolder.For(dataDirFile));
                }
                catch (TrainingDivergedException e)
                {
                    // Like a collapse: kept (its summary says "diverged"), reported, and replaced by the next seed.
                    output.WriteLine($"== {cell.FolderName} diverged: {Configuration.OptionFlags.Rewrite(e.Message)}");
                }
                done = Read(folder, cell) ?? throw new InvalidDataException($"{runFolder.SummaryFile}: the run ended without a summary.");
                // What the finished cell left to the collector (its copy of the data set, tensors held by finalizers)
                // goes before the next cell loads its own; the collector otherwise runs rarely during training.
                GraNet.Runtime.TorchRuntime.CollectGarbage();
            }
            else
            {
                output.WriteLine($"== {cell.FolderName}: done ({Outcome(done)})");
            }
            results.Add(done);
            Write(folder, grid, results, baseline, commandLine);
        }
        if (results.Count > 0)
        {
            output.WriteLine($"results: {Path.Combine(folder, "results.md")}");
        }
        return Finish(grid, results);
    }

    /// <summary><c>completed, 88.12%</c>; a diverged run has no accuracy: <c>diverged</c>.</summary>
    private static string Outcome(SweepResult result) =>
        double.IsNaN(result.TestAccuracy) ? result.Ending : string.Create(CultureInfo.InvariantCulture, $"{result.Ending}, {result.TestAccuracy:F2}%");

    /// <summary>
    /// Success, unless a cell ran out of seeds with fewer runs that trained than <see cref="SweepGrid.Seeds"/>: then exit code 4
    /// and one line naming each such cell (the other cells have finished and the result files are written).
    /// </summary>
    private static int Finish(SweepGrid grid, IReadOnlyList<SweepResult> results)
    {
        var shortfalls = SweepTables.Shortfalls(results, grid);
        if (shortfalls.Count == 0)
        {
            return ExitCodes.Success;
        }
        // Another --lr changes the cells' settings, which this folder refuses; another --seed only adds new cells. A cell
        // that pruning emptied layers of gives its own fix (another --final-density is a new cell in this folder).
        var luck = shortfalls.Where(s => !s.PrunedAway).ToList();
        string advice = luck.Count == 0 ? string.Empty
            : luck.Any(s => s.Collapsed) ? "; try more --replacements, another --seed, or a lower --lr with another --output" : "; try more --replacements, or a lower --lr with another --output";
        throw new ExitCodeException(ExitCodes.TrainingFailed, $"{string.Join("; ", shortfalls.Select(s => s.Text))}{advice}.");
    }

    /// <summary>
    /// Trains the cells that have not finished, <paramref name="jobs"/> at a time, each in a child process
    /// (<see cref="CellProcess"/>), and rewrites the result files (in grid order) whenever one ends. A replacement
    /// seed starts once the run it replaces has ended collapsed or diverged. A child that fails otherwise stops new
    /// cells from starting; the running ones finish, then its error ends the sweep with its exit code.
    /// </summary>
    private static void RunInParallel(SweepGrid grid, Configuration.RunConfiguration baseline, string folder, string commandLine, TextWriter output, int jobs, string? dataDirFile)
    {
        var done = Collect(grid, folder);
        foreach (var finished in done)
        {
            output.WriteLine($"== {finished.Cell.FolderName}: done ({Outcome(finished)})");
        }
        if (done.Count > 0)
        {
            // As one job at a time does: the result files are this grid's even if no cell is left to train.
            Write(folder, grid, done, baseline, commandLine);
        }
        string logs = Path.Combine(folder, "logs");
        var started = new HashSet<string>(StringComparer.Ordinal);
        var running = new List<CellProcess>();
        (CellProcess Child, int Code)? failure = null;
        // If this process is ended (SIGTERM, Ctrl+C), its children end with it (the signal then ends this process as usual): an orphan would go on writing a
        // cell folder that the next run of the sweep resumes at the same time.
        void StopChildren(System.Runtime.InteropServices.PosixSignalContext _)
        {
            lock (running)
            {
                running.ForEach(child => child.Stop());
            }
        }
        using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, StopChildren);
        using var onInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, StopChildren);
        try
        {
            while (true)
            {
                while (failure is null && running.Count < jobs && NextCell(grid, folder, started) is { } cell)
                {
                    started.Add(cell.FolderName);
                    var runFolder = new RunFolder(Path.Combine(folder, cell.FolderName));
                    bool resume = File.Exists(runFolder.LastCheckpoint);
                    var child = CellProcess.Start(cell, CellConfiguration(baseline, cell), runFolder.Path, logs, dataDirFile);
                    lock (running)
                    {
                        running.Add(child);
                    }
                    output.WriteLine($"== {cell.FolderName}{(resume ? " (resuming)" : string.Empty)}: started, log {child.LogFile}");
                }
                if (running.Count == 0)
                {
                    break;
                }
                int index = Task.WaitAny(running.Select(r => (Task)r.Exited).ToArray());
                var ended = running[index];
                lock (running)
                {
                    running.RemoveAt(index);
                }
                int code = ended.Exited.Result;
                var result = Read(folder, ended.Cell);
                if (result is null)
                {
                    // A cell stopped by Ctrl+C (or by this process on SIGTERM) did not fail: it resumes on the next run.
                    output.WriteLine(code == ExitCodes.Cancelled
                        ? $"== {ended.Cell.FolderName}: interrupted (it resumes when the sweep runs again), log {ended.LogFile}"
                        : $"== {ended.Cell.FolderName}: failed (exit {code}), log {ended.LogFile}");
                    if (failure is null)
                    {
                        failure = (ended, code);
                    }
                    else
                    {
                        ended.Dispose(); // the first failure is the one reported
                    }
                    continue;
                }
                string line = result.Outcome == "diverged" ? "diverged (NaN loss; see the log)" : Outcome(result);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== {ended.Cell.FolderName}: {line} ({ended.Elapsed.TotalMinutes:F1} min)"));
                ended.Dispose();
                Write(folder, grid, Collect(grid, folder), baseline, commandLine);
            }
        }
        finally
        {
            lock (running)
            {
                running.ForEach(child =>
                {
                    child.Stop();
                    child.Dispose();
                });
            }
        }
        if (failure is { } f)
        {
            string detail = (f.Child.LastError.StartsWith("granet: ", StringComparison.Ordinal) ? f.Child.LastError["granet: ".Length..] : f.Child.LastError).TrimEnd().TrimEnd('.');
            f.Child.Dispose();
            throw new ExitCodeException(f.Code == 0 ? ExitCodes.InternalError : f.Code,
                $"sweep cell {f.Child.Cell.FolderName} failed (exit {f.Code}): {detail} (log {f.Child.LogFile}); finished cells are kept, the same command continues the sweep.");
        }
    }

    /// <summary>
    /// The cells the grid wants given the results so far, in grid order, each with its result if it has finished.
    /// Lazy: a cell trained while this is enumerated counts when the seeds after it are decided (a collapse adds one).
    /// </summary>
    private static IEnumerable<(SweepCell Cell, SweepResult? Result)> Cells(SweepGrid grid, string folder) =>
        grid.Groups().SelectMany(group => grid.SeedsFor(s => Read(folder, group with { Seed = s })?.Run)
            .Select(seed => group with { Seed = seed }))
            .Select(cell => (cell, Read(folder, cell)));

    /// <summary>Up to three names, then how many more.</summary>
    private static string Named(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(3)) + (names.Count > 3 ? $" and {names.Count - 3} more" : string.Empty);

    /// <summary>The folders of finished runs (a summary.json) in <paramref name="folder"/> that are no cell of <paramref name="grid"/>, by name.</summary>
    private static List<string> LeftOut(SweepGrid grid, string folder)
    {
        var cells = grid.Groups().SelectMany(group => grid.AllSeeds.Select(seed => (group with { Seed = seed }).FolderName)).ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(name => !cells.Contains(name) && File.Exists(Path.Combine(folder, name, "summary.json")))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The next cell to start: the first, in grid order, that has not finished and was not started here.</summary>
    private static SweepCell? NextCell(SweepGrid grid, string folder, HashSet<string> started) =>
        Cells(grid, folder).Where(c => c.Result is null && !started.Contains(c.Cell.FolderName)).Select(c => c.Cell).FirstOrDefault();

    /// <summary>The finished runs, in grid order.</summary>
    private static List<SweepResult> Collect(SweepGrid grid, string folder) =>
        Cells(grid, folder).Select(c => c.Result).OfType<SweepResult>().ToList();

    /// <summary>
    /// The hidden command <c>granet sweep-cell CONFIG FOLDER</c> that <c>sweep --jobs</c> runs in each child process:
    /// trains (or resumes) one cell with the configuration in CONFIG, exactly as the sweep does in its own process.
    /// </summary>
    public static Command CreateCell(TextWriter output)
    {
        var config = new Argument<string>("config") { Description = "The cell's configuration (config.json form)" };
        var folder = new Argument<string>("folder") { Description = "The cell's run folder" };
        var parent = new Option<int?>("--parent") { Description = "End when this process (the sweep) is gone" };
        var dataDirFile = new Option<string?>("--data-dir-from") { Description = "The sweep's --config file, which gave the data folder (its messages name that file's dataDir)" };
        var command = new Command("sweep-cell", "Train one cell of 'granet sweep --jobs' (used by sweep).") { config, folder, parent, dataDirFile };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            using var watch = parse.GetValue(parent) is { } id ? CellProcess.ExitWithParent(id) : null;
            Interruption.Advise("this cell belongs to a sweep: run the sweep's command again to continue.");
            string file = parse.GetValue(config)!;
            var configuration = Configuration.ConfigurationJson.Deserialize(Configuration.ConfigurationJson.ReadText(file, "run the sweep's command again, which writes it anew"), file);
            var run = new RunFolder(parse.GetValue(folder)!);
            return TrainCommand.Execute(configuration, run, File.Exists(run.LastCheckpoint), output, locator: DataFolder.For(parse.GetValue(dataDirFile)));
        });
        return command;
    }

    /// <summary>
    /// The configuration a cell trains with: the command's, with the cell's method, densities and seed; <c>--growth</c>
    /// only for the cells whose method regrows connections (for gmp, static and dense it has no meaning).
    /// </summary>
    public static Configuration.RunConfiguration CellConfiguration(Configuration.RunConfiguration baseline, SweepCell cell)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(cell);
        return baseline with
        {
            Training = baseline.Training with { Seed = cell.Seed },
            TensorBoard = baseline.TensorBoard is { } board ? Path.Combine(board, cell.FolderName) : null,
            Sparsity = baseline.Sparsity with
            {
                Method = cell.Method, FinalDensity = cell.FinalDensity, InitDensity = cell.InitDensity,
                Growth = GraNet.Sparsity.SparsityOptions.RegrowsWith(cell.Method) ? baseline.Sparsity.Growth : null,
            },
        };
    }

    /// <summary>
    /// Refuses, before any cell trains, settings that some cell cannot train with (as <c>train</c> would, naming the
    /// cell), and cell folders left by a sweep with other settings (whose results this command would report as its own).
    /// </summary>
    /// <param name="folder">The sweep folder being continued; null for a new one.</param>
    private static void Check(SweepGrid grid, Configuration.RunConfiguration baseline, string? folder, Func<string, string> rewrite)
    {
        ModelRegistry.Get(baseline.Model);
        DatasetCatalog.Get(baseline.Dataset);
        foreach (var group in grid.Groups())
        {
            var configuration = CellConfiguration(baseline, group);
            try
            {
                configuration.Training.Validate();
                configuration.Sparsity.Validate(configuration.Training.Epochs);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"sweep cell {group.FolderName}: {rewrite(e.Message)}", e);
            }
            foreach (int seed in folder is null ? [] : grid.AllSeeds)
            {
                var cell = group with { Seed = seed };
                Configuration.ConfigurationComparison.RequireSameRun(new RunFolder(Path.Combine(folder!, cell.FolderName)), CellConfiguration(baseline, cell));
            }
        }
    }

    /// <summary>
    /// Refuses, before any cell trains, what a cell would be refused when it starts: a batch larger than the training images
    /// left by the validation hold-out (<see cref="TrainingData.Create"/>), and what the sparsity controller refuses for the
    /// run's real steps per epoch (an update interval that leaves a regenerating method no update step, a density that leaves
    /// a layer no weight, a pruning window within one step). Each group's data split, model, optimizer and controller are made
    /// as its cell makes them (by <see cref="Trainer"/>), then dropped; the message is the cell's, naming the cell.
    /// </summary>
    private static void RequireTrainable(SweepGrid grid, Configuration.RunConfiguration baseline, string? folder, Func<string, string> rewrite, DataLocator locator)
    {
        // Only groups with a cell left to train: a finished sweep run again to rebuild its tables is not refused, unless
        // it names a --data-dir, which the data must then be in (as a run would check it): the command is recorded in
        // sweep.json and results.md, and a later --report-only repeats it.
        var open = folder is null ? grid.Groups() : Cells(grid, folder).Where(c => c.Result is null).Select(c => c.Cell with { Seed = grid.FirstSeed }).Distinct().ToList();
        bool checkData = open.Count > 0 || !string.IsNullOrWhiteSpace(baseline.DataDir);
        if (!checkData)
        {
            return;
        }
        GraNet.Runtime.TorchRuntime.Configure(baseline.Threads, baseline.CpuKernels);
        var spec = DatasetCatalog.Get(baseline.Dataset);
        var modelInfo = ModelRegistry.Get(baseline.Model);
        ImageDataset train, test;
        try
        {
            (train, test) = DatasetLoader.Load(spec, baseline.DataDir, locator);
        }
        catch (Exception e) when (open.Count > 0 && e is DataException or InvalidDataException or IOException)
        {
            // Missing or damaged data: every cell reports it as it starts (with --jobs, with the cell's log), and none trains.
            // (With no cell left, nothing else would: the error stands.)
            return;
        }
        foreach (var group in open)
        {
            var configuration = CellConfiguration(baseline, group);
            try
            {
                var data = TrainingData.Create(spec, train, test, configuration.Training, configuration.EvaluationBatchSize);
                using var model = modelInfo.Create(spec.Shape, spec.Classes);
                using var sparsity = new SparsityController(configuration.Sparsity);
                using var trainer = new Trainer(model, data, configuration.Training, hook: sparsity);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"sweep cell {group.FolderName}: {rewrite(e.Message)}", e);
            }
        }
        if (folder is not null && Cells(grid, folder).FirstOrDefault(c => c.Result?.Images is { } images && images != (train.Digest, test.Digest)) is { Result: not null } other)
        {
            // A sweep continued with another --data-dir: its new cells would not compare with the finished ones.
            throw new DataException($"{train.Folder} holds other images (or labels) than the finished cells of the sweep in {folder} used ({other.Cell.FolderName}, by the SHA-256 digests in its summary.json): give --data-dir the folder they were trained with, or another --output for a sweep on this data.");
        }
        // The first cell loads the data set again: this copy goes first.
        GraNet.Runtime.TorchRuntime.CollectGarbage();
    }

    private static void Write(string folder, SweepGrid grid, IReadOnlyList<SweepResult> results, Configuration.RunConfiguration baseline, string commandLine)
    {
        AtomicFile.WriteText(Path.Combine(folder, "results.csv"), SweepTables.Csv(results));
        var unfinished = Cells(grid, folder).Where(c => c.Result is null).Select(c => c.Cell.FolderName).ToList();
        AtomicFile.WriteText(Path.Combine(folder, "results.md"), SweepTables.Markdown(results, $"{baseline.Model} on {baseline.Dataset}: methods × sparsity", commandLine, grid.LastSeed, grid.Replacements, unfinished));
        string chart = Path.Combine(folder, "accuracy.png");
        if (SweepTables.AccuracyChart(results, $"{baseline.Model} on {baseline.Dataset}") is { } accuracy)
        {
            Charts.Lines(chart, accuracy);
        }
        else
        {
            // No run of this grid trained: a chart left by an earlier grid in this folder would contradict results.md.
            File.Delete(chart);
        }
    }

    /// <summary>The finished result of a cell, or null if it has not finished.</summary>
    public static SweepResult? Read(string folder, SweepCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        string path = Path.Combine(folder, cell.FolderName, "summary.json");
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var summary = JsonDocument.Parse(File.ReadAllText(path));
            var root = summary.RootElement;
            // A diverged run has no numbers (null): NaN, and it is not counted.
            static double Number(JsonElement root, string key) => root.GetProperty(key) is { ValueKind: JsonValueKind.Null } ? double.NaN : root.GetProperty(key).GetDouble();
            // A summary written before collapseCause existed has none: its collapse is taken for bad luck, as it was then.
            string? cause = root.TryGetProperty("collapseCause", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            string? kind = root.TryGetProperty("collapseKind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            string? kernels = root.TryGetProperty("cpuKernels", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
            // Digests as the trainer writes them (64 hex digits); anything else (null for a run of unknown data, an edited file) is no record.
            static bool IsDigest(JsonElement e) => e.ValueKind == JsonValueKind.String && e.GetString() is { Length: 64 } d && d.All(char.IsAsciiHexDigitLower);
            (string, string)? images = root.TryGetProperty("trainingImagesSha256", out var ti) && IsDigest(ti)
                && root.TryGetProperty("testImagesSha256", out var te) && IsDigest(te) ? (ti.GetString()!, te.GetString()!) : null;
            int[]? changed = root.TryGetProperty("settingsChangedAtEpochs", out var a) && a.ValueKind == JsonValueKind.Array ? [.. a.EnumerateArray().Select(e => e.GetInt32())] : null;
            // A summary of another cell's method, or with numbers no run gives, would enter the tables as a result.
            string method = Commands.TrainOptions.MethodName(cell.Method);
            string? outcome = root.GetProperty("outcome").GetString();
            string? wrong = !RunFolder.Outcomes.Contains(outcome) ? $"outcome {outcome ?? "null"} is none of {string.Join(", ", RunFolder.Outcomes)}"
                : root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() != method ? $"it is of method {m.GetString()}, the cell's is {method}"
                : Number(root, "testAccuracy") is var accuracy && !double.IsNaN(accuracy) && accuracy is < 0 or > 100 ? string.Create(CultureInfo.InvariantCulture, $"testAccuracy {accuracy} is not in [0, 100]")
                : Number(root, "finalDensity") is var density && !double.IsNaN(density) && density is < 0 or > 1 ? string.Create(CultureInfo.InvariantCulture, $"finalDensity {density} is not in [0, 1]")
                : null;
            if (wrong is not null)
            {
                throw new InvalidDataException($"{path}: not this cell's summary ({wrong}); {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", Path.GetDirectoryName(path)!)} writes it again from the cell's last checkpoint (or delete that folder to train the cell again).");
            }
            return new SweepResult(cell, outcome!, Number(root, "testAccuracy"), Number(root, "finalDensity"),
                Number(root, "trainingFlopsRelative"), Number(root, "inferenceFlopsRelative"), Number(root, "wallSeconds"), cause, kind, kernels, changed, images);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a summary written by 'granet train' ({e.Message}); {GraNet.IO.ShellQuoting.Suggest("granet", "train", "--resume", Path.GetDirectoryName(path)!)} writes it again from the cell's last checkpoint (or delete that folder to train the cell again).", e);
        }
    }
}
