namespace GraNet.Cli.Commands;

/// <summary>
/// A path or name given on the command line that must not be empty: <c>--output ""</c> would otherwise reach .NET
/// ("The value cannot be an empty string.") or name a file without a name (": not found").
/// </summary>
public static class GivenText
{
    /// <summary><paramref name="value"/> itself, or null if not given; refused when given empty or blank.</summary>
    /// <param name="name">The option or argument, e.g. <c>--output</c> or <c>RUN_DIR</c>.</param>
    /// <param name="fix">What to give instead, e.g. "give the file to write".</param>
    /// <exception cref="ArgumentException">The value is empty or blank.</exception>
    public static string? Require(string? value, string name, string fix) =>
        value is not null && string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} is empty; {fix}.") : value;
}
