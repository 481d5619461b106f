namespace GraNet.Tests.Cli;

/// <summary>Builds command lines for tests: defaults, with options of the same name replaced by the extra ones.</summary>
internal static class ArgumentList
{
    /// <param name="command">The command word(s), e.g. <c>train</c>.</param>
    /// <param name="defaults">Option/value pairs (a null value for a flag).</param>
    /// <param name="extra">Options and values that replace or add to the defaults.</param>
    public static string[] Build(string command, IEnumerable<(string Name, string? Value)> defaults, string[] extra)
    {
        var options = defaults.ToList();
        for (int i = 0; i < extra.Length; i += 2)
        {
            options.RemoveAll(o => o.Name == extra[i]);
            options.Add((extra[i], i + 1 < extra.Length ? extra[i + 1] : null));
        }
        return [command, .. options.SelectMany(o => o.Value is null ? new[] { o.Name } : [o.Name, o.Value])];
    }
}
