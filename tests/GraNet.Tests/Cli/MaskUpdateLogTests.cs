using GraNet.Cli.Output;
using GraNet.Sparsity;
using Xunit;

namespace GraNet.Tests.Cli;

/// <summary>On resume, mask-updates.jsonl keeps the updates up to the checkpoint's step and nothing after it.</summary>
public class MaskUpdateLogTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-mask-log");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static MaskUpdate Update(long step, MaskUpdateKind kind) => new(step, kind, 0.5, null, [new LayerUpdate("fc1.weight", 4, 8, 1, 1)], 0.75);

    [Fact]
    public void Resuming_at_step_200_keeps_the_lines_up_to_it_and_logs_the_updates_after_it_once()
    {
        string path = Path.Combine(root, "mask-updates.jsonl");
        string[] written = ["""{"step":0,"kind":"initial"}""", """{"step":100,"kind":"prune"}""", """{"step":200,"kind":"prune"}""", """{"step":300,"kind":"prune"}"""];
        File.WriteAllLines(path, written);

        // The checkpoint is at step 200: the run was stopped after logging step 300, which it trains again.
        var log = new MaskUpdateLog(path, resumeStep: 200);
        log.Add(Update(0, MaskUpdateKind.Initial)); // the re-created initial masks: logged already
        log.Add(Update(300, MaskUpdateKind.Prune));
        log.Flush();

        var lines = File.ReadAllLines(path);
        Assert.Equal(written[..3], lines[..3]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("""{"step":300,"kind":"prune","density":0.5,""", lines[3], StringComparison.Ordinal);
    }
}
