using GraNet.Cli.Output;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>The records of a JSON-lines file are named by their line in the file, blank lines counted.</summary>
public class RunRecordTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-run-record");

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void A_line_after_blank_lines_is_named_by_its_line_in_the_file()
    {
        string path = Path.Combine(root, "metrics.jsonl");
        File.WriteAllText(path, "{\"epoch\":1}\n\n  \n{\"epoch\":2}\n");
        var records = RunRecord.ReadLines(path, "fix it");
        Assert.Equal([1, 4], records.Select(r => r.Line));
        Assert.Equal($"{path} line 4", records[1].Where);

        File.AppendAllText(path, "\n{\"epoch\":");
        var e = Assert.Throws<InvalidDataException>(() => RunRecord.ReadLines(path, "fix it"));
        Assert.Equal($"{path} line 6 is not valid JSON (cut short, or not written by 'granet train'); fix it.", e.Message);
    }
}
