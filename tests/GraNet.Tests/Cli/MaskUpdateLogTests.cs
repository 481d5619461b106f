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

    [Fact]
    public void Resuming_without_the_file_logs_from_the_checkpoint_on_and_not_the_masks_drawn_before_loading_it()
    {
        // The run's folder lost its log (deleted, as a damaged log's refusal offers). A resume draws initial masks, then
        // loads the checkpoint's: logging the drawn ones as the run's initial masks showed their density until step 500.
        string path = Path.Combine(root, "mask-updates.jsonl");
        var log = new MaskUpdateLog(path, resumeStep: 400);
        log.Add(Update(0, MaskUpdateKind.Initial));
        log.Add(Update(500, MaskUpdateKind.Prune));
        log.Flush();
        var line = Assert.Single(File.ReadAllLines(path));
        Assert.StartsWith("""{"step":500,"kind":"prune",""", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_run_logs_its_initial_masks()
    {
        string path = Path.Combine(root, "mask-updates.jsonl");
        var log = new MaskUpdateLog(path, resumeStep: null);
        log.Add(Update(0, MaskUpdateKind.Initial));
        log.Flush();
        Assert.StartsWith("""{"step":0,"kind":"initial",""", Assert.Single(File.ReadAllLines(path)), StringComparison.Ordinal);
    }
}
