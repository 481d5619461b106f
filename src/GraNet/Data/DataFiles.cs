namespace GraNet.Data;

/// <summary>The messages for a data file that exists but cannot be read, shared by the readers.</summary>
internal static class DataFiles
{
    /// <summary>The file's permissions refuse reading it.</summary>
    public static string Unreadable(string path) =>
        $"{path}: cannot be read (permission denied); check the file's permissions (e.g. chmod a+r {IO.ShellQuoting.Quote(path)}).";

    /// <summary>Reading failed otherwise (an I/O error of the disk or the network): the reason without .NET's repetition of the path.</summary>
    public static string Unreadable(string path, IOException error)
    {
        string reason = Runtime.ErrorText.FirstLine(error.Message);
        int suffix = reason.LastIndexOf(" : '", StringComparison.Ordinal);
        return $"{path}: cannot be read ({(suffix > 0 ? reason[..suffix] : reason).TrimEnd('.')}); check the disk or copy the file again.";
    }
}
