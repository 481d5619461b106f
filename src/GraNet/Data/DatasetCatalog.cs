namespace GraNet.Data;

/// <summary>The data sets GraNet.NET reads, by name.</summary>
public static class DatasetCatalog
{
    private static readonly string[] IdxTrain = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"];
    private static readonly string[] IdxTest = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static readonly DatasetSpec FashionMnist = new(
        "fashion-mnist", DatasetFormat.Idx, new ImageShape(1, 28, 28), 10, [0.2860f], [0.3530f], false,
        ["fashion-mnist", "FashionMNIST/raw", "FashionMNIST", ""], IdxTrain, IdxTest,
        "on Debian/Ubuntu run 'sudo apt-get install dataset-fashion-mnist'; elsewhere download the four idx .gz files from https://github.com/zalandoresearch/fashion-mnist and give their folder as the data folder (--data-dir)");

    public static readonly DatasetSpec Mnist = new(
        "mnist", DatasetFormat.Idx, new ImageShape(1, 28, 28), 10, [0.1307f], [0.3081f], false,
        ["mnist", "MNIST/raw", "MNIST", ""], IdxTrain, IdxTest,
        "download the four idx .gz files from https://yann.lecun.com/exdb/mnist/ (or a mirror) and give their folder as the data folder (--data-dir)");

    public static readonly DatasetSpec Cifar10 = new(
        "cifar10", DatasetFormat.Cifar10Binary, new ImageShape(3, 32, 32), 10,
        // The GraNet code's constants (the widely copied std, not the data's 0.2470, 0.2435, 0.2616) and its reflection padding.
        [0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f], true,
        ["cifar10/cifar-10-batches-bin", "cifar-10-batches-bin", "cifar10", ""],
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"], ["test_batch.bin"],
        "download 'CIFAR-10 binary version' (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and give the folder holding cifar-10-batches-bin as the data folder (--data-dir)",
        ReflectPadding: true,
        ImagesPerTrainFile: 10_000,
        ImagesPerTestFile: 10_000);

    public static readonly DatasetSpec Cifar100 = new(
        "cifar100", DatasetFormat.Cifar100Binary, new ImageShape(3, 32, 32), 100,
        [0.5071f, 0.4865f, 0.4409f], [0.2673f, 0.2564f, 0.2762f], true,
        ["cifar100/cifar-100-binary", "cifar-100-binary", "cifar100", ""],
        ["train.bin"], ["test.bin"],
        "download 'CIFAR-100 binary version' (cifar-100-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and give the folder holding cifar-100-binary as the data folder (--data-dir)",
        ImagesPerTrainFile: 50_000,
        ImagesPerTestFile: 10_000);

    /// <summary>Every known data set.</summary>
    public static IReadOnlyList<DatasetSpec> All { get; } = [FashionMnist, Mnist, Cifar10, Cifar100];

    /// <summary>Finds a data set by name (case-insensitive; <c>cifar-10</c> and <c>fmnist</c> are accepted too).</summary>
    public static DatasetSpec Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant() switch
        {
            "fmnist" or "fashionmnist" or "fashion_mnist" => "fashion-mnist",
            "cifar-10" => "cifar10",
            "cifar-100" => "cifar100",
            var other => other,
        };
        return All.FirstOrDefault(d => d.Name == key)
            ?? throw new ArgumentException($"Unknown data set '{name}'. Known: {string.Join(", ", All.Select(d => d.Name))}.");
    }
}
