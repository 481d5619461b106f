using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class DataLocatorTests : IDisposable
{
    private readonly string root = TestFiles.TempFolder("granet-locate");

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string MakeMnist(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (string file in DatasetCatalog.FashionMnist.TrainFiles.Concat(DatasetCatalog.FashionMnist.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(folder, file + ".gz"), [1]);
        }
        return folder;
    }

    /// <summary>A locator as the tool makes it: its messages name --data-dir.</summary>
    private DataLocator Locator(Dictionary<string, string> environment) =>
        new(name => environment.GetValueOrDefault(name), Path.Combine(root, "system")) { GivenFolder = ("--data-dir", "drop --data-dir") };

    [Fact]
    public void A_library_caller_is_not_told_about_the_tools_option()
    {
        var locator = new DataLocator(_ => null, Path.Combine(root, "system"));
        string typo = Path.Combine(root, "fashon-mnist");
        var e = Assert.Throws<DataException>(() => locator.Locate(DatasetCatalog.FashionMnist, typo));
        Assert.Equal($"data folder {typo} does not exist; give the folder that holds the fashion-mnist files, or give no data folder to search the usual places.", e.Message);
        string file = Path.Combine(root, "notes.txt");
        File.WriteAllText(file, "x");
        e = Assert.Throws<DataException>(() => DatasetLoader.Load(DatasetCatalog.FashionMnist, file, locator));
        Assert.Equal($"data folder {file} is a file, not a folder; give the folder that holds the fashion-mnist files, or give no data folder to search the usual places.", e.Message);
        Assert.Equal(("data folder", file), locator.Roots(file)[0]);
    }

    [Fact]
    public void Data_dir_wins_over_every_other_place()
    {
        string given = MakeMnist(Path.Combine(root, "given"));
        MakeMnist(Path.Combine(root, "env", "fashion-mnist"));
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        var locator = Locator(new() { ["GRANET_DATA"] = Path.Combine(root, "env") });
        Assert.Equal(given, locator.Locate(DatasetCatalog.FashionMnist, given));
    }

    [Fact]
    public void Environment_comes_before_the_cache_and_the_system()
    {
        string env = MakeMnist(Path.Combine(root, "env", "fashion-mnist"));
        MakeMnist(Path.Combine(root, "home", ".cache", "granet", "datasets", "fashion-mnist"));
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        var locator = Locator(new() { ["GRANET_DATA"] = Path.Combine(root, "env"), ["HOME"] = Path.Combine(root, "home") });
        Assert.Equal(env, locator.Locate(DatasetCatalog.FashionMnist, null));
    }

    [Fact]
    public void The_user_cache_follows_xdg_or_home()
    {
        string xdg = MakeMnist(Path.Combine(root, "xdg", "granet", "datasets", "fashion-mnist"));
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        Assert.Equal(xdg, Locator(new() { ["XDG_CACHE_HOME"] = Path.Combine(root, "xdg"), ["HOME"] = Path.Combine(root, "home") }).Locate(DatasetCatalog.FashionMnist, null));
        string home = MakeMnist(Path.Combine(root, "home", ".cache", "granet", "datasets", "fashion-mnist"));
        Assert.Equal(home, Locator(new() { ["HOME"] = Path.Combine(root, "home") }).Locate(DatasetCatalog.FashionMnist, null));
    }

    [Fact]
    public void The_system_folder_is_the_last_resort()
    {
        string system = MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        Assert.Equal(system, Locator([]).Locate(DatasetCatalog.FashionMnist, empty));
    }

    [Fact]
    public void A_data_dir_that_does_not_exist_is_refused_not_replaced()
    {
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string typo = Path.Combine(root, "fashon-mnist");
        var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, typo));
        Assert.StartsWith($"--data-dir {typo} does not exist;", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_dir_with_part_of_the_files_names_the_missing_ones()
    {
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string folder = MakeMnist(Path.Combine(root, "partial-copy"));
        File.Delete(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"));
        File.Delete(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, folder));
        Assert.Contains("lacks t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        // A folder where a file belongs is named as a folder.
        Directory.CreateDirectory(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"));
        e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, folder));
        Assert.Contains("lacks t10k-images-idx3-ubyte (t10k-images-idx3-ubyte.gz there is a folder, not the file), t10k-labels-idx1-ubyte (raw or .gz)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_data_dir_that_is_a_file_says_so_and_names_its_folder()
    {
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string folder = MakeMnist(Path.Combine(root, "copy"));
        string file = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, file));
        Assert.Equal($"--data-dir {file} is a file, not a folder; give the folder that holds the fashion-mnist files ({folder}), or drop --data-dir to search the usual places.", e.Message);
        string other = Path.Combine(root, "notes.txt");
        File.WriteAllText(other, "x");
        e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, other));
        Assert.Equal($"--data-dir {other} is a file, not a folder; give the folder that holds the fashion-mnist files, or drop --data-dir to search the usual places.", e.Message);
    }

    [Fact]
    public void An_empty_data_dir_falls_through_and_the_data_names_the_folder_it_came_from()
    {
        string system = Path.Combine(root, "system", "fashion-mnist");
        Directory.CreateDirectory(system);
        TestFiles.WriteTinyMnist(system, train: 10, test: 10);
        string empty = Directory.CreateDirectory(Path.Combine(root, "d_empty")).FullName;
        var (train, test) = DatasetLoader.Load(DatasetCatalog.FashionMnist, empty, Locator([]));
        Assert.Equal(system, train.Folder);
        Assert.Equal(system, test.Folder);
        Assert.Equal(system, DatasetLoader.LoadTest(DatasetCatalog.FashionMnist, empty, locator: Locator([])).Folder);
    }

    [Fact]
    public void A_data_dir_with_the_training_files_but_no_test_file_names_it_to_an_evaluation_too()
    {
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string batches = Directory.CreateDirectory(Path.Combine(root, "notest", "cifar-10-batches-bin")).FullName;
        foreach (string file in DatasetCatalog.Cifar10.TrainFiles)
        {
            File.WriteAllBytes(Path.Combine(batches, file), [0]);
        }
        string given = Path.Combine(root, "notest");
        string expected = $"--data-dir {given}: {batches} holds part of cifar10 but lacks test_batch.bin (raw or .gz); complete it, or drop --data-dir to search the usual places.";
        Assert.Equal(expected, Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.Cifar10, given)).Message);
        // An evaluation asks for the test file only: the folder is still the data set's, and the file it lacks is named.
        Assert.Equal(expected, Assert.Throws<DataException>(() => DatasetLoader.LoadTest(DatasetCatalog.Cifar10, given, locator: Locator([]))).Message);
    }

    [NotAsRootFact]
    public void An_unreadable_data_dir_is_refused_not_replaced()
    {
        MakeMnist(Path.Combine(root, "system", "fashion-mnist"));
        string locked = MakeMnist(Path.Combine(root, "locked"));
        string parent = Directory.CreateDirectory(Path.Combine(root, "parent")).FullName;
        string inner = MakeMnist(Path.Combine(parent, "fashion-mnist"));
        try
        {
            TestFiles.Chmod(locked, UnixFileMode.None);
            var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, locked));
            Assert.StartsWith($"--data-dir {locked}: {locked} cannot be read (permission denied)", e.Message, StringComparison.Ordinal);
            // Readable but not searchable (r--) hides the files as well.
            TestFiles.Chmod(locked, UnixFileMode.UserRead);
            Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, locked));
            TestFiles.Chmod(inner, UnixFileMode.None);
            e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, parent));
            Assert.StartsWith($"--data-dir {parent}: {inner} cannot be read (permission denied)", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestFiles.Chmod(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            TestFiles.Chmod(inner, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [NotAsRootFact]
    public void An_unreadable_granet_data_is_refused_and_an_unreadable_usual_place_is_named_as_such()
    {
        string env = MakeMnist(Path.Combine(root, "env"));
        string system = Directory.CreateDirectory(Path.Combine(root, "system")).FullName;
        try
        {
            TestFiles.Chmod(env, UnixFileMode.None);
            var e = Assert.Throws<DataException>(() => Locator(new() { ["GRANET_DATA"] = env }).Locate(DatasetCatalog.FashionMnist, null));
            Assert.StartsWith($"$GRANET_DATA {env}: {env} cannot be read (permission denied)", e.Message, StringComparison.Ordinal);
            TestFiles.Chmod(system, UnixFileMode.None);
            e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, null));
            Assert.Contains($"{Path.Combine(system, "fashion-mnist")} (permission denied)", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestFiles.Chmod(env, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            TestFiles.Chmod(system, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Raw_files_are_preferred_to_gz_and_either_is_found()
    {
        string folder = Path.Combine(root, "mixed");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "a"), [1]);
        File.WriteAllBytes(Path.Combine(folder, "a.gz"), [1]);
        File.WriteAllBytes(Path.Combine(folder, "b.gz"), [1]);
        Assert.Equal(Path.Combine(folder, "a"), DataLocator.ResolveFile(folder, "a"));
        Assert.Equal(Path.Combine(folder, "b.gz"), DataLocator.ResolveFile(folder, "b"));
        Assert.Null(DataLocator.ResolveFile(folder, "c"));
    }

    [Fact]
    public void Not_found_lists_the_places_and_how_to_get_the_data()
    {
        string given = Directory.CreateDirectory(Path.Combine(root, "nothing-here")).FullName;
        var locator = Locator(new() { ["GRANET_DATA"] = Path.Combine(root, "env") });
        var e = Assert.Throws<DataException>(() => locator.Locate(DatasetCatalog.FashionMnist, given));
        Assert.Contains(given, e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "env"), e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(root, "system", "fashion-mnist"), e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cifar100", "cifar10")]
    [InlineData("cifar10", "cifar100")]
    public void A_folder_of_the_other_cifar_given_says_which_data_set_it_holds(string asked, string held)
    {
        var other = DatasetCatalog.Get(held);
        string folder = Directory.CreateDirectory(Path.Combine(root, "given", other.SubFolders[1])).FullName;
        foreach (string file in other.TrainFiles.Concat(other.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(folder, file), [0]);
        }
        foreach (string given in new[] { Path.Combine(root, "given"), folder })
        {
            var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.Get(asked), given));
            Assert.StartsWith($"Data set '{asked}' not found. --data-dir {given} holds {held} ({folder}), not {asked}: choose data set {held} for it, or give the folder that holds {asked}. Looked in: ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_folder_of_nothing_known_adds_no_guess()
    {
        string given = Directory.CreateDirectory(Path.Combine(root, "other")).FullName;
        var e = Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.Cifar100, given));
        Assert.StartsWith("Data set 'cifar100' not found. Looked in: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_missing_one_file_is_not_taken()
    {
        string folder = MakeMnist(Path.Combine(root, "partial"));
        File.Delete(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
        Assert.Throws<DataException>(() => Locator([]).Locate(DatasetCatalog.FashionMnist, folder));
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        string folder = Path.Combine(root, "mismatch");
        Directory.CreateDirectory(folder);
        TestFiles.Write(Path.Combine(folder, "train-images-idx3-ubyte"), TestFiles.Idx([2, 28, 28], new byte[2 * 784]), gzip: false);
        TestFiles.Write(Path.Combine(folder, "train-labels-idx1-ubyte"), TestFiles.Idx([3], [1, 2, 3]), gzip: false);
        var e = Assert.Throws<DataException>(() => DatasetLoader.LoadPart(DatasetCatalog.FashionMnist, folder, DatasetCatalog.FashionMnist.TrainFiles, "train"));
        Assert.Contains("train-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_idx_label_out_of_range_names_the_label_file()
    {
        string folder = Path.Combine(root, "bad-label");
        Directory.CreateDirectory(folder);
        var pixels = new byte[3 * 784];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7);
        }
        TestFiles.Write(Path.Combine(folder, "t10k-images-idx3-ubyte"), TestFiles.Idx([3, 28, 28], pixels), gzip: false);
        string labels = Path.Combine(folder, "t10k-labels-idx1-ubyte");
        TestFiles.Write(labels, TestFiles.Idx([3], [1, 12, 3]), gzip: false);
        var e = Assert.Throws<DataException>(() => DatasetLoader.LoadPart(DatasetCatalog.FashionMnist, folder, DatasetCatalog.FashionMnist.TestFiles, "test"));
        Assert.Equal(
            $"{labels}: label 12 of item 1 is outside fashion-mnist's classes 0..9; the file is corrupt or of another data set: download it again or reinstall the data package.",
            e.Message);
    }

    [Fact]
    public void Labels_out_of_range_are_refused()
    {
        var e = Assert.Throws<DataException>(() => new ImageDataset("x", new ImageShape(1, 1, 1), 2, [0, 0], [1, 5]));
        Assert.Contains("label 5", e.Message, StringComparison.Ordinal);
    }
}
