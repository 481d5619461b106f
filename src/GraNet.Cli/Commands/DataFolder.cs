using GraNet.Data;

namespace GraNet.Cli.Commands;

/// <summary>Where the tool's commands look for data: the library's places, with messages that name <c>--data-dir</c>.</summary>
internal static class DataFolder
{
    public static DataLocator Locator() => new() { GivenFolder = ("--data-dir", "drop --data-dir") };
}
