namespace GraNet.Data;

/// <summary>Loads the training and test parts of a known data set from a folder.</summary>
public static class DatasetLoader
{
    /// <summary>Finds (see <see cref="DataLocator"/>) and loads a data set; <see cref="ImageDataset.Folder"/> says where it was found.</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(DatasetSpec spec, string? dataDir, DataLocator? locator = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string folder = (locator ?? new DataLocator()).Locate(spec, dataDir);
        return (LoadPart(spec, folder, spec.TrainFiles, "train"), LoadPart(spec, folder, spec.TestFiles, "test"));
    }

    /// <summary>
    /// Finds (see <see cref="DataLocator.Locate(DatasetSpec, string?, string?, IReadOnlyList{string})"/>) and loads the
    /// test part only, for an evaluation: the training files are neither needed nor read, so a damaged or absent
    /// training file does not stop it.
    /// </summary>
    /// <param name="savedDir">The folder the model was trained with, tried when <paramref name="dataDir"/> is not given and passed over if it no longer holds the files.</param>
    public static ImageDataset LoadTest(DatasetSpec spec, string? dataDir, string? savedDir = null, DataLocator? locator = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string folder = (locator ?? new DataLocator()).Locate(spec, dataDir, savedDir, spec.TestFiles);
        return LoadPart(spec, folder, spec.TestFiles, "test");
    }

    /// <summary>Loads one part (train or test) from the given files in <paramref name="folder"/>; the data set's <see cref="ImageDataset.Folder"/> is that folder.</summary>
    public static ImageDataset LoadPart(DatasetSpec spec, string folder, IReadOnlyList<string> files, string part)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(files);
        var paths = files.Select(f => DataLocator.ResolveFile(folder, f)
            ?? throw new DataException($"{Path.Combine(folder, f)}: file missing (neither raw nor .gz). To get it, {spec.HowToGet}.")).ToList();
        string name = $"{spec.Name} ({part})";
        switch (spec.Format)
        {
            case DatasetFormat.Idx:
                var (pixels, count, rows, columns) = IdxFile.ReadImages(paths[0]);
                byte[] labels = IdxFile.ReadLabels(paths[1]);
                if (rows != spec.Shape.Height || columns != spec.Shape.Width)
                {
                    throw new DataException($"{paths[0]}: images are {rows}x{columns}, {spec.Name} has {spec.Shape.Height}x{spec.Shape.Width}; this is not a {spec.Name} file.");
                }
                if (labels.Length != count)
                {
                    throw new DataException($"{paths[1]}: {labels.Length} labels for {count} images in {paths[0]}; the files do not belong together, download them again.");
                }
                // Checked here too, not only by ImageDataset, so that the message names the file (as CIFAR's does).
                int outside = Array.FindIndex(labels, label => label >= spec.Classes);
                if (outside >= 0)
                {
                    throw new DataException($"{paths[1]}: label {labels[outside]} of item {outside} is outside {spec.Name}'s classes 0..{spec.Classes - 1}; the file is corrupt or of another data set: download it again or reinstall the data package.");
                }
                RequireVaried(spec, pixels, labels, paths[0], paths[1], training: part == "train");
                return new ImageDataset(name, spec.Shape, spec.Classes, pixels, labels) { Folder = folder };
            case DatasetFormat.Cifar10Binary:
            case DatasetFormat.Cifar100Binary:
                var pixelList = new List<byte>();
                var labelList = new List<byte>();
                int labelBytes = spec.Format == DatasetFormat.Cifar10Binary ? 1 : 2;
                for (int i = 0; i < paths.Count; i++)
                {
                    int? expected = spec.TrainFiles.Contains(files[i]) ? spec.ImagesPerTrainFile : spec.ImagesPerTestFile;
                    int start = pixelList.Count;
                    CifarFile.Read(paths[i], labelBytes, spec.Classes, pixelList, labelList, expected);
                    // Each file by itself: one zeroed file among five is the usual damage.
                    RequireDistinctImages(spec, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pixelList)[start..], (pixelList.Count - start) / spec.Shape.Size, paths[i]);
                }
                byte[] cifarPixels = [.. pixelList];
                byte[] cifarLabels = [.. labelList];
                string named = paths.Count == 1 ? paths[0] : $"{folder} ({string.Join(", ", files)})";
                RequireVaried(spec, cifarPixels, cifarLabels, named, named, training: part == "train");
                return new ImageDataset(name, spec.Shape, spec.Classes, cifarPixels, cifarLabels) { Folder = folder };
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Format, "Unknown data set format.");
        }
    }

    /// <summary>
    /// Refuses a split whose images are all the same (e.g. a file zeroed past its header) or, for a training split of more
    /// images than classes, whose labels are all one class: well-formed files of the right size, but no data to learn from
    /// (a model reached 100 % on them). A test split of one class is left alone: a per-class evaluation set is one.
    /// </summary>
    /// <exception cref="DataException">Naming the file and the fix.</exception>
    public static void RequireVaried(DatasetSpec spec, byte[] pixels, byte[] labels, string imageFile, string labelFile, bool training)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        RequireDistinctImages(spec, pixels, labels.Length, imageFile);
        if (training && labels.Length > spec.Classes && labels.AsSpan().IndexOfAnyExcept(labels[0]) < 0)
        {
            throw new DataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{labelFile}: all {labels.Length} training labels are {labels[0]}, one class of {spec.Classes}: the file is damaged (e.g. zeroed); replace it. To get it, {spec.HowToGet}."));
        }
    }

    private static void RequireDistinctImages(DatasetSpec spec, ReadOnlySpan<byte> pixels, int count, string file)
    {
        if (count >= 2 && pixels.IndexOfAnyExcept(pixels[0]) < 0)
        {
            throw new DataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{file}: all {count} images are the same (every pixel is {pixels[0]}): the file is damaged (e.g. zeroed); replace it. To get it, {spec.HowToGet}."));
        }
    }
}
