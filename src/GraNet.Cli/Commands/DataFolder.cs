using GraNet.Data;

namespace GraNet.Cli.Commands;

/// <summary>Where the tool's commands look for data: the library's places, with messages that name <c>--data-dir</c>.</summary>
internal static class DataFolder
{
    public static DataLocator Locator() => new() { GivenFolder = ("--data-dir", "drop --data-dir") };

    /// <summary>The same places, for a folder that a <c>--config</c> file's key <c>dataDir</c> gave: messages name that key and file, not an option never given.</summary>
    public static DataLocator Locator(string configFile) => new() { GivenFolder = ("--config key dataDir", $"drop dataDir from {configFile}") };

    /// <summary><see cref="Locator(string)"/> for a folder that <paramref name="configFile"/> gave, else <see cref="Locator()"/>.</summary>
    public static DataLocator For(string? configFile) => configFile is null ? Locator() : Locator(configFile);
}
