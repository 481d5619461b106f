using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class CifarFileTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-cifar");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] Record(byte[] labels, byte fill)
    {
        var record = new byte[labels.Length + CifarFile.PixelsPerImage];
        labels.CopyTo(record, 0);
        Array.Fill(record, fill, labels.Length, CifarFile.PixelsPerImage);
        return record;
    }

    [Fact]
    public void Reads_cifar10_records()
    {
        string path = Path.Combine(folder, "data_batch_1.bin");
        File.WriteAllBytes(path, [.. Record([3], 10), .. Record([9], 20)]);
        var pixels = new List<byte>();
        var labels = new List<byte>();
        CifarFile.Read(path, 1, 10, pixels, labels);
        Assert.Equal(new byte[] { 3, 9 }, labels);
        Assert.Equal(2 * 3072, pixels.Count);
        Assert.Equal(10, pixels[0]);
        Assert.Equal(20, pixels[3072]);
    }

    [Fact]
    public void Cifar100_uses_the_fine_label()
    {
        string path = Path.Combine(folder, "train.bin");
        File.WriteAllBytes(path, Record([4, 77], 1));
        var labels = new List<byte>();
        CifarFile.Read(path, 2, 100, [], labels);
        Assert.Equal(new byte[] { 77 }, labels);
    }

    [Fact]
    public void A_gzipped_file_found_by_its_gz_name_reads_as_the_raw_one()
    {
        // The locator takes data_batch_1.bin.gz for data_batch_1.bin (its "lacks" message says "raw or .gz"), so the reader must decompress it.
        string batches = Path.Combine(folder, "cifar-10-batches-bin");
        Directory.CreateDirectory(batches);
        byte fill = 5;
        foreach (string file in DatasetCatalog.Cifar10.TrainFiles.Concat(DatasetCatalog.Cifar10.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(batches, file), [.. Record([2], fill++), .. Record([7], fill++)]);
        }
        string raw = Path.Combine(batches, "data_batch_1.bin");
        using (var output = File.Create(raw + ".gz"))
        using (var zip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            zip.Write(File.ReadAllBytes(raw));
        }
        File.Delete(raw);
        var tiny = DatasetCatalog.Cifar10 with { ImagesPerTrainFile = 2, ImagesPerTestFile = 2 };
        var (train, _) = DatasetLoader.Load(tiny, folder, new DataLocator(_ => null, Path.Combine(folder, "none")));
        Assert.Equal(10, train.Count);
        Assert.Equal(new byte[] { 2, 7 }, train.Labels[..2]);
        Assert.Equal(5, train.Pixels[0]);
        Assert.Equal(6, train.Pixels[CifarFile.PixelsPerImage]);

        // Cut short, it is refused as damaged gzip, by name.
        byte[] zipped = File.ReadAllBytes(raw + ".gz");
        File.WriteAllBytes(raw + ".gz", zipped[..(zipped.Length / 2)]);
        var e = Assert.Throws<DataException>(() => CifarFile.Read(raw + ".gz", 1, 10, [], []));
        Assert.StartsWith($"{raw}.gz: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("bytes once decompressed is not a whole number of 3073-byte CIFAR records; the file is truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partial_record_names_the_file()
    {
        string path = Path.Combine(folder, "cut.bin");
        File.WriteAllBytes(path, Record([1], 0)[..^1]);
        var e = Assert.Throws<DataException>(() => CifarFile.Read(path, 1, 10, [], []));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [NotAsRootFact]
    public void An_unreadable_file_is_named_with_the_fix_for_reading_it()
    {
        string path = Path.Combine(folder, "test_batch.bin");
        File.WriteAllBytes(path, Record([1], 0));
        TestFiles.Chmod(path, UnixFileMode.None);
        var e = Assert.Throws<DataException>(() => CifarFile.Read(path, 1, 10, [], []));
        Assert.Equal($"{path}: cannot be read (permission denied); check the file's permissions (e.g. chmod a+r {path}).", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_names_the_file()
    {
        string path = Path.Combine(folder, "bad.bin");
        File.WriteAllBytes(path, Record([10], 0));
        var e = Assert.Throws<DataException>(() => CifarFile.Read(path, 1, 10, [], []));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("label 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_a_cifar10_folder_through_the_catalog()
    {
        string batches = Path.Combine(folder, "cifar-10-batches-bin");
        Directory.CreateDirectory(batches);
        byte fill = 5;
        foreach (string file in DatasetCatalog.Cifar10.TrainFiles.Concat(DatasetCatalog.Cifar10.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(batches, file), Record([2], fill++)); // images that differ: a split of identical images is refused
        }
        // One image per file: the real files' 10,000 would be 184 MB.
        var tiny = DatasetCatalog.Cifar10 with { ImagesPerTrainFile = 1, ImagesPerTestFile = 1 };
        var (train, test) = DatasetLoader.Load(tiny, folder, new DataLocator(_ => null, Path.Combine(folder, "none")));
        Assert.Equal(5, train.Count);
        Assert.Equal(1, test.Count);
        Assert.Equal(new ImageShape(3, 32, 32), train.Shape);
    }

    [Fact]
    public void A_file_cut_at_a_record_boundary_is_refused_naming_it()
    {
        string path = Path.Combine(folder, "data_batch_3.bin");
        File.WriteAllBytes(path, [.. Record([1], 0), .. Record([2], 0)]);
        var e = Assert.Throws<DataException>(() => CifarFile.Read(path, 1, 10, [], [], expectedRecords: 3));
        Assert.Equal($"{path}: 2 images where the data set's file has 3; it is cut short or not the original, download the binary version again.", e.Message);
    }

    [Theory]
    [InlineData("cifar10", "data_batch_1.bin", 10_000)]
    [InlineData("cifar100", "train.bin", 50_000)]
    public void The_catalog_knows_how_many_images_each_file_holds(string name, string first, int count)
    {
        var spec = DatasetCatalog.Get(name);
        string batches = Directory.CreateDirectory(Path.Combine(folder, spec.SubFolders[0])).FullName;
        int labelBytes = spec.Format == DatasetFormat.Cifar10Binary ? 1 : 2;
        foreach (string file in spec.TrainFiles.Concat(spec.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(batches, file), Record(new byte[labelBytes], 5));
        }
        var e = Assert.Throws<DataException>(() => DatasetLoader.Load(spec, folder, new DataLocator(_ => null, Path.Combine(folder, "none"))));
        Assert.StartsWith($"{Path.Combine(batches, first)}: 1 image where the data set's file has {count};", e.Message, StringComparison.Ordinal);
        Assert.Equal(10_000, spec.ImagesPerTestFile);
    }

    [Fact]
    public void A_file_of_identical_images_or_a_training_split_of_one_label_is_refused_naming_it()
    {
        // Zero-filled files of the right size (headers intact) are well-formed but hold no data: a model reaches 100 % on them.
        string batches = Path.Combine(folder, "cifar-10-batches-bin");
        Directory.CreateDirectory(batches);
        var tiny = DatasetCatalog.Cifar10 with { ImagesPerTrainFile = 12, ImagesPerTestFile = 12 };
        foreach (string file in tiny.TrainFiles.Concat(tiny.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(batches, file), [.. Enumerable.Range(0, 12).SelectMany(i => Record([(byte)(i % 10)], (byte)i))]);
        }
        var locator = new DataLocator(_ => null, Path.Combine(folder, "none"));
        Assert.Equal(60, DatasetLoader.Load(tiny, folder, locator).Train.Count);

        // One zeroed file among five is named by itself.
        string third = Path.Combine(batches, "data_batch_3.bin");
        File.WriteAllBytes(third, new byte[12 * (1 + CifarFile.PixelsPerImage)]);
        var e = Assert.Throws<DataException>(() => DatasetLoader.Load(tiny, folder, locator));
        Assert.StartsWith($"{third}: all 12 images are the same (every pixel is 0): the file is damaged (e.g. zeroed); replace it. To get it, download", e.Message, StringComparison.Ordinal);

        // Images that differ, every training label 3 (60 images of 10 classes): refused, naming the training files.
        foreach (string file in tiny.TrainFiles.Concat(tiny.TestFiles))
        {
            File.WriteAllBytes(Path.Combine(batches, file), [.. Enumerable.Range(0, 12).SelectMany(i => Record([3], (byte)i))]);
        }
        e = Assert.Throws<DataException>(() => DatasetLoader.Load(tiny, folder, locator));
        Assert.StartsWith($"{batches} (data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin): all 60 training labels are 3, one class of 10: the file is damaged (e.g. zeroed); replace it.", e.Message, StringComparison.Ordinal);

        // A test split of one class is a per-class evaluation set: it loads.
        Assert.Equal(12, DatasetLoader.LoadTest(tiny, folder, locator: locator).Count);
    }
}
