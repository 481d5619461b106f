using GraNet.Cli.Commands;
using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Cli;

public class DataMismatchTests
{
    private static ImageDataset Bright(ImageShape shape) =>
        new("bright", shape, 10, [.. Enumerable.Range(0, 2 * shape.Size).Select(i => (byte)(i % 2 == 0 ? 203 : 205))], [1, 2]) { Folder = "/data" };

    [Fact]
    public void Cifar_images_far_from_the_data_sets_brightness_are_noted_without_the_mnist_reason()
    {
        // CIFAR's files have names of their own: the MNIST / Fashion-MNIST mix-up the note explains cannot be the cause.
        Assert.Equal(
            "the training images in /data have a mean brightness of 0.800, cifar10's is 0.473: they may be another data set; check --data-dir and --dataset.",
            TrainCommand.DataMismatch(DatasetCatalog.Cifar10, Bright(new ImageShape(3, 32, 32))));
    }

    [Fact]
    public void Idx_images_keep_the_reason()
    {
        Assert.EndsWith(
            "they may be another data set (MNIST and Fashion-MNIST files have the same names); check --data-dir and --dataset.",
            TrainCommand.DataMismatch(DatasetCatalog.FashionMnist, Bright(new ImageShape(1, 28, 28)), "test"), StringComparison.Ordinal);
    }
}
