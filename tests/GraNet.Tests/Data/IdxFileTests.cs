using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class IdxFileTests : IDisposable
{
    private readonly string folder = TestFiles.TempFolder("granet-idx");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_raw_or_gzipped(bool gzip)
    {
        string images = Path.Combine(folder, "img");
        string labels = Path.Combine(folder, "lab");
        TestFiles.Write(images, TestFiles.Idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), gzip);
        TestFiles.Write(labels, TestFiles.Idx([2], [7, 3]), gzip);
        var (pixels, count, rows, columns) = IdxFile.ReadImages(images);
        Assert.Equal((2, 2, 3), (count, rows, columns));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, pixels);
        Assert.Equal(new byte[] { 7, 3 }, IdxFile.ReadLabels(labels));
    }

    [Fact]
    public void Wrong_magic_number_names_the_file()
    {
        string path = Path.Combine(folder, "labels-as-images");
        TestFiles.Write(path, TestFiles.Idx([3], [1, 2, 3]), gzip: false);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gz_name_on_a_file_that_is_not_gzip_is_said_with_its_wrong_magic_number()
    {
        string text = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        File.WriteAllText(text, "plain text");
        Assert.Equal(
            $"{text}: wrong magic number 0x706C6169, expected an idx image file (0x00000803) (the file is not gzip data either, despite its .gz name); check the file name or download it again or reinstall the data package.",
            Assert.Throws<DataException>(() => IdxFile.ReadImages(text)).Message);
        // Gzip data of a label file, read as images: the wrong magic number alone.
        string labels = Path.Combine(folder, "labels.gz");
        TestFiles.Write(labels, TestFiles.Idx([3], [1, 2, 3]), gzip: true);
        Assert.DoesNotContain("not gzip", Assert.Throws<DataException>(() => IdxFile.ReadImages(labels)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_data_names_the_file()
    {
        string path = Path.Combine(folder, "short");
        byte[] full = TestFiles.Idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
        TestFiles.Write(path, full[..^3], gzip: false);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_header_names_the_file()
    {
        string path = Path.Combine(folder, "tiny");
        File.WriteAllBytes(path, [0, 0, 8]);
        Assert.Contains(path, Assert.Throws<DataException>(() => IdxFile.ReadLabels(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        string path = Path.Combine(folder, "broken.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_gzip_is_called_not_a_valid_gzip_file_without_dotnet_wording()
    {
        string path = Path.Combine(folder, "broken.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));
        Assert.Equal($"{path}: not a valid gzip file (damaged, or cut short); download it again or reinstall the data package.", e.Message);
    }

    [NotAsRootFact]
    public void An_unreadable_file_is_named_with_the_fix_for_reading_it()
    {
        string path = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        TestFiles.Write(path, TestFiles.Idx([1, 28, 28], new byte[784]), gzip: true);
        TestFiles.Chmod(path, UnixFileMode.None);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path));
        Assert.Equal($"{path}: cannot be read (permission denied); check the file's permissions (e.g. chmod a+r {path}).", e.Message);
    }

    [NotAsRootFact]
    public void The_chmod_suggested_for_an_unreadable_file_quotes_its_path_for_the_shell()
    {
        string path = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "my data")).FullName, "train-images-idx3-ubyte.gz");
        TestFiles.Write(path, TestFiles.Idx([1, 28, 28], new byte[784]), gzip: true);
        TestFiles.Chmod(path, UnixFileMode.None);
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path));
        Assert.Equal($"{path}: cannot be read (permission denied); check the file's permissions (e.g. chmod a+r '{folder}/my data/train-images-idx3-ubyte.gz').", e.Message);
    }

    [Fact]
    public void Zero_dimension_is_refused()
    {
        string path = Path.Combine(folder, "zero");
        TestFiles.Write(path, TestFiles.Idx([0], []), gzip: false);
        Assert.Throws<DataException>(() => IdxFile.ReadLabels(path));
    }

    [Fact]
    public void Gzip_data_that_decompresses_past_any_data_sets_file_is_refused_before_it_fills_memory()
    {
        // A valid header and 600 MB of zeros (600 kB compressed); a device given as a data file (/dev/zero) went on reading
        // until the command was stopped.
        string path = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        using (var file = File.Create(path))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(TestFiles.Idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 600; i++)
            {
                gzip.Write(zeros);
            }
        }
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(path));
        Assert.Equal($"{path}: holds more than 512 MiB decompressed, more than any data set's file (the largest, CIFAR-100's training file, is 150 MB), so it is not one; download it again or reinstall the data package.", e.Message);
    }
}
