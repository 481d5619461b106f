namespace GraNet.Data;

/// <summary>
/// Finds a data set's files. Places are tried in this order: the folder given by the user
/// (the tool's <c>--data-dir</c>), <c>$GRANET_DATA</c>, the user cache folder
/// (<c>$XDG_CACHE_HOME/granet/datasets</c> or <c>~/.cache/granet/datasets</c>), then
/// <c>/usr/share/datasets</c> (where Debian's <c>dataset-*</c> packages install). Below each
/// root the data set's usual sub-folders are tried. Without a given folder, a folder saved
/// with a model (the one it was trained with) may be tried first. Nothing is ever downloaded.
/// </summary>
public sealed class DataLocator
{
    private readonly Func<string, string?> environment;
    private readonly string systemRoot;

    /// <param name="environment">Reads an environment variable (injectable for tests).</param>
    /// <param name="systemRoot">The system data root; <c>/usr/share/datasets</c> unless a test says otherwise.</param>
    public DataLocator(Func<string, string?>? environment = null, string systemRoot = "/usr/share/datasets")
    {
        this.environment = environment ?? Environment.GetEnvironmentVariable;
        this.systemRoot = systemRoot;
    }

    /// <summary>
    /// How messages name the folder given to <see cref="Locate(DatasetSpec, string?)"/> and how they say to give none:
    /// by default "data folder" and "give no data folder"; a command-line tool names its option instead
    /// (<c>("--data-dir", "drop --data-dir")</c>).
    /// </summary>
    public (string Name, string Omit) GivenFolder { get; init; } = ("data folder", "give no data folder");

    /// <summary>The roots searched, in order, each with where it came from.</summary>
    public IReadOnlyList<(string Source, string Root)> Roots(string? dataDir) => Roots(dataDir, null);

    /// <summary>
    /// The roots searched, in order, each with where it came from: <paramref name="dataDir"/> if given, else
    /// <paramref name="savedDir"/> if given, then the usual places.
    /// </summary>
    public IReadOnlyList<(string Source, string Root)> Roots(string? dataDir, string? savedDir)
    {
        var roots = new List<(string, string)>();
        if (!string.IsNullOrWhiteSpace(dataDir))
        {
            roots.Add((GivenFolder.Name, dataDir));
        }
        else if (!string.IsNullOrWhiteSpace(savedDir))
        {
            roots.Add(("saved", savedDir));
        }
        string? fromEnvironment = environment("GRANET_DATA");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            roots.Add(("$GRANET_DATA", fromEnvironment));
        }
        string? cacheHome = environment("XDG_CACHE_HOME");
        string? home = environment("HOME");
        if (!string.IsNullOrWhiteSpace(cacheHome))
        {
            roots.Add(("user cache", Path.Combine(cacheHome, "granet", "datasets")));
        }
        else if (!string.IsNullOrWhiteSpace(home))
        {
            roots.Add(("user cache", Path.Combine(home, ".cache", "granet", "datasets")));
        }
        roots.Add(("system", systemRoot));
        return roots;
    }

    /// <summary>Returns the folder that holds every file of <paramref name="spec"/>.</summary>
    /// <exception cref="DataException">No place holds the files; the message lists the places and how to get the data.</exception>
    public string Locate(DatasetSpec spec, string? dataDir)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Locate(spec, dataDir, null, [.. spec.TrainFiles, .. spec.TestFiles]);
    }

    /// <summary>
    /// Returns the folder that holds <paramref name="files"/> (some of <paramref name="spec"/>'s files, e.g. only
    /// its test files for an evaluation).
    /// </summary>
    /// <param name="dataDir">The folder the user gave (<see cref="GivenFolder"/>): searched first and checked (see <see cref="Locate(DatasetSpec, string?)"/>).</param>
    /// <param name="savedDir">
    /// A folder remembered from earlier, e.g. the one a model was trained with; ignored when <paramref name="dataDir"/>
    /// is given, else searched first and, when it no longer holds the files (moved, or another machine), passed over
    /// for the usual places without complaint: the user did not ask for it.
    /// </param>
    /// <exception cref="DataException">
    /// No place holds the files (the message lists the places and how to get the data), or a folder the user named
    /// (<paramref name="dataDir"/>, <c>$GRANET_DATA</c>) is not a folder, is incomplete, or cannot be read.
    /// </exception>
    public string Locate(DatasetSpec spec, string? dataDir, string? savedDir, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(files);
        CheckGivenFolder(spec, dataDir, files);
        var looked = new List<string>();
        foreach (var (source, root) in Roots(dataDir, savedDir))
        {
            if (Holding(spec, root, files) is { } folder)
            {
                return folder;
            }
            string? denied = DeniedFolder(spec, root, files);
            if (denied is not null && source == "$GRANET_DATA")
            {
                // Named by the user, like the given folder: whether it holds the data cannot be told, so it is not passed over.
                throw new DataException($"$GRANET_DATA {root}: {denied} cannot be read (permission denied); make it readable (e.g. chmod a+rx {IO.ShellQuoting.Quote(denied)}), or point $GRANET_DATA elsewhere.");
            }
            looked.AddRange(Folders(spec, root).Select(f => denied is not null && IsAtOrBelow(f, denied) ? $"{f} (permission denied)" : f));
        }
        throw new DataException(
            $"Data set '{spec.Name}' not found.{OtherDataSet(spec, dataDir)} Looked in: {string.Join(", ", looked.Distinct())}. To get it, {spec.HowToGet}.");
    }

    /// <summary>
    /// When the given folder holds another known data set with other file names (a CIFAR-10 folder given for CIFAR-100),
    /// a sentence saying so, which is the likely mistake; else empty.
    /// </summary>
    private string OtherDataSet(DatasetSpec spec, string? dataDir)
    {
        if (string.IsNullOrWhiteSpace(dataDir))
        {
            return string.Empty;
        }
        var own = spec.TrainFiles.Concat(spec.TestFiles).ToHashSet();
        foreach (var other in DatasetCatalog.All.Where(d => d.Name != spec.Name && !d.TrainFiles.Concat(d.TestFiles).Any(own.Contains)))
        {
            if (Holding(other, dataDir, [.. other.TrainFiles, .. other.TestFiles]) is { } folder)
            {
                return $" {GivenFolder.Name} {dataDir} holds {other.Name} ({folder}), not {spec.Name}: choose data set {other.Name} for it, or give the folder that holds {spec.Name}.";
            }
        }
        return string.Empty;
    }

    /// <summary>The folder under <paramref name="root"/> (itself or one of the data set's usual sub-folders) that holds every one of <paramref name="files"/> (raw or .gz), or null.</summary>
    public static string? Holding(DatasetSpec spec, string root, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(files);
        return Folders(spec, root).FirstOrDefault(folder => files.All(f => ResolveFile(folder, f) is not null));
    }

    /// <summary>The folders where <paramref name="spec"/>'s files may be under <paramref name="root"/>: itself, then its usual sub-folders.</summary>
    private static IEnumerable<string> Folders(DatasetSpec spec, string root) => spec.SubFolders.Select(sub => sub.Length == 0 ? root : Path.Combine(root, sub));

    /// <summary>
    /// An explicit folder (<see cref="GivenFolder"/>) that does not exist, is a file, cannot be read, or holds part of the data set's
    /// files, is a mistake (a typo, a file's name, a permission, an unfinished copy): refused rather than quietly
    /// replaced by data found elsewhere. A readable folder that holds none of them (e.g. a root of other data sets)
    /// falls through to the next places.
    /// </summary>
    private void CheckGivenFolder(DatasetSpec spec, string? dataDir, IReadOnlyList<string> files)
    {
        if (string.IsNullOrWhiteSpace(dataDir))
        {
            return;
        }
        var (name, omit) = GivenFolder;
        switch (Probe(dataDir))
        {
            case Entry.Missing:
                throw new DataException($"{name} {dataDir} does not exist; give the folder that holds the {spec.Name} files, or {omit} to search the usual places.");
            case Entry.File:
                string? parent = Path.GetDirectoryName(Path.GetFullPath(dataDir));
                bool ours = spec.TrainFiles.Concat(spec.TestFiles).Any(f => Path.GetFileName(dataDir) == f || Path.GetFileName(dataDir) == f + ".gz");
                throw new DataException($"{name} {dataDir} is a file, not a folder; give the folder that holds the {spec.Name} files{(ours && parent is not null ? $" ({parent})" : string.Empty)}, or {omit} to search the usual places.");
            case Entry.Denied:
                throw new DataException($"{name} {dataDir} cannot be reached (permission denied on a folder above it); check those folders' permissions, or give another {name}.");
        }
        if (Holding(spec, dataDir, files) is null && DeniedFolder(spec, dataDir, files) is { } denied)
        {
            throw new DataException($"{name} {dataDir}: {denied} cannot be read (permission denied), so whether it holds {spec.Name} cannot be told; make it readable (e.g. chmod a+rx {IO.ShellQuoting.Quote(denied)}), or give another {name}.");
        }
        foreach (string folder in Folders(spec, dataDir))
        {
            var missing = files.Where(f => ResolveFile(folder, f) is null).ToList();
            // Part of the data set: some of the files asked for, or (when only the test files are asked for, by an
            // evaluation) some other file of the data set, such as its training files beside a missing test file.
            if (missing.Count > 0 && (missing.Count < files.Count || spec.TrainFiles.Concat(spec.TestFiles).Except(files).Any(f => ResolveFile(folder, f) is not null)))
            {
                // A folder in a file's place (e.g. an archive unpacked under the file's own name) is said as such.
                var named = missing.Select(f => new[] { f, f + ".gz" }.FirstOrDefault(n => Directory.Exists(Path.Combine(folder, n))) is { } entry
                    ? $"{f} ({entry} there is a folder, not the file)" : f);
                throw new DataException($"{name} {dataDir}: {folder} holds part of {spec.Name} but lacks {string.Join(", ", named)} (raw or .gz); complete it, or {omit} to search the usual places.");
            }
        }
    }

    /// <summary>
    /// The first folder at or below <paramref name="root"/>, on the way to one of <paramref name="files"/> in one of the
    /// data set's folders, that refuses to be searched (so a file in it cannot even be seen); null if none does.
    /// </summary>
    private static string? DeniedFolder(DatasetSpec spec, string root, IReadOnlyList<string> files)
    {
        if (Probe(root) != Entry.Folder)
        {
            return null;
        }
        foreach (string sub in spec.SubFolders)
        {
            string folder = root;
            bool reached = true;
            foreach (string part in sub.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                string next = Path.Combine(folder, part);
                var entry = Probe(next);
                if (entry == Entry.Denied)
                {
                    return folder;
                }
                if (entry != Entry.Folder)
                {
                    reached = false;
                    break;
                }
                folder = next;
            }
            if (reached && files.Any(f => Probe(Path.Combine(folder, f)) == Entry.Denied))
            {
                return folder;
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or inside it.</summary>
    private static bool IsAtOrBelow(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>What is at <paramref name="path"/>, telling "absent" from "not allowed to look" (which <see cref="File.Exists(string?)"/> does not).</summary>
    private static Entry Probe(string path)
    {
        try
        {
            return File.GetAttributes(path).HasFlag(FileAttributes.Directory) ? Entry.Folder : Entry.File;
        }
        catch (UnauthorizedAccessException)
        {
            return Entry.Denied;
        }
        catch (IOException)
        {
            // Not found, or a part of the path is a file.
            return Entry.Missing;
        }
    }

    private enum Entry
    {
        Missing,
        File,
        Folder,
        Denied,
    }

    /// <summary>The path of <paramref name="file"/> in <paramref name="folder"/>, raw or with <c>.gz</c>; null if absent.</summary>
    public static string? ResolveFile(string folder, string file)
    {
        string raw = Path.Combine(folder, file);
        if (File.Exists(raw))
        {
            return raw;
        }
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }
}
