using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

/// <summary>Loading the test split alone, and the data folder saved with a model: tried first, passed over when gone.</summary>
public class TestSplitTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-test-split");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static readonly DatasetSpec Spec = DatasetCatalog.FashionMnist;

    private DataLocator Locator(string? environmentRoot = null) =>
        new(name => name == "GRANET_DATA" ? environmentRoot : null, Path.Combine(root, "system")) { GivenFolder = ("--data-dir", "drop --data-dir") };

    private string Tiny(string name, int test)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        TestFiles.WriteTinyMnist(folder, train: 20, test: test);
        return folder;
    }

    [Fact]
    public void The_test_split_loads_without_any_training_file()
    {
        string folder = Tiny("test-only", test: 30);
        File.Delete(Path.Combine(folder, "train-images-idx3-ubyte.gz"));
        File.WriteAllText(Path.Combine(folder, "train-labels-idx1-ubyte.gz"), "damaged");
        var test = DatasetLoader.LoadTest(Spec, folder, null, Locator());
        Assert.Equal(30, test.Count);
        Assert.Equal("fashion-mnist (test)", test.Name);
        // The whole data set still needs both splits.
        Assert.Throws<DataException>(() => DatasetLoader.Load(Spec, folder, Locator()));
    }

    [Fact]
    public void The_saved_folder_is_used_while_it_holds_the_files()
    {
        string saved = Tiny("saved", test: 30);
        Tiny(Path.Combine("env", "fashion-mnist"), test: 40);
        Assert.Equal(30, DatasetLoader.LoadTest(Spec, null, saved, Locator(Path.Combine(root, "env"))).Count);
    }

    [Fact]
    public void A_saved_folder_that_is_gone_or_emptied_passes_to_the_usual_places()
    {
        Tiny(Path.Combine("env", "fashion-mnist"), test: 40);
        string emptied = Directory.CreateDirectory(Path.Combine(root, "emptied")).FullName;
        File.WriteAllBytes(Path.Combine(emptied, "t10k-images-idx3-ubyte.gz"), [1]);
        foreach (string saved in new[] { Path.Combine(root, "gone"), emptied })
        {
            Assert.Equal(40, DatasetLoader.LoadTest(Spec, null, saved, Locator(Path.Combine(root, "env"))).Count);
        }
    }

    [Fact]
    public void An_explicit_data_dir_wins_over_the_saved_folder()
    {
        string saved = Tiny("saved", test: 30);
        string given = Tiny("given", test: 50);
        Assert.Equal(50, DatasetLoader.LoadTest(Spec, given, saved, Locator()).Count);
        var e = Assert.Throws<DataException>(() => DatasetLoader.LoadTest(Spec, Path.Combine(root, "typo"), saved, Locator()));
        Assert.StartsWith($"--data-dir {Path.Combine(root, "typo")} does not exist;", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_found_lists_the_saved_folder_and_blames_no_option()
    {
        string gone = Path.Combine(root, "gone");
        var e = Assert.Throws<DataException>(() => DatasetLoader.LoadTest(Spec, null, gone, Locator()));
        string system = Path.Combine(root, "system");
        string[] places = [.. new[] { gone, system }.SelectMany(r => Spec.SubFolders.Select(s => s.Length == 0 ? r : Path.Combine(r, s)))];
        Assert.Equal($"Data set 'fashion-mnist' not found. Looked in: {string.Join(", ", places)}. To get it, {Spec.HowToGet}.", e.Message);
    }
}
