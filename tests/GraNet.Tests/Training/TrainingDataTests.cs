using GraNet.Data;
using GraNet.Training;
using Xunit;

namespace GraNet.Tests.Training;

public class TrainingDataTests
{
    /// <summary>1x1 images whose one pixel is their index (first, 0..count-1), normalised by mean 0.5 and std 0.25.</summary>
    private static readonly DatasetSpec Spec = DatasetCatalog.Mnist with { Shape = new ImageShape(1, 1, 1), Mean = [0.5f], Std = [0.25f] };

    private static ImageDataset Numbered(int count, int first = 0) =>
        new("numbered", Spec.Shape, 10, Enumerable.Range(first, count).Select(i => (byte)i).ToArray(), new byte[count]);

    /// <summary>The pixel values a loader serves in one unshuffled epoch, undoing the normalisation: v = (p / 255 - 0.5) / 0.25.</summary>
    private static List<int> Served(BatchLoader loader) =>
        loader.Epoch(0, shuffle: false, augment: false, seed: 0).SelectMany(b => b.Images.Take(b.Count).Select(v => (int)Math.Round(((v * 0.25) + 0.5) * 255)).ToList()).ToList();

    [Fact]
    public void Training_validation_and_test_loaders_serve_disjoint_parts_with_the_data_sets_normalisation()
    {
        // 10 training images, 0.2 held out: round(2) = 2 validation images, the other 8 train (2 batches of 4); the 5 test
        // images (values 100..104) are served whole. No image is trained on that is also validated on.
        var options = new TrainingOptions { BatchSize = 4, ValidationFraction = 0.2, Seed = 3 };
        var data = TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), options);
        var train = Served(data.Train);
        var validation = Served(data.Validation!);
        Assert.Equal(8, train.Count);
        Assert.Equal(2, data.Train.BatchesPerEpoch);
        Assert.Equal(DataSplit.Holdout(10, 0.2, 3).Validation, validation);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 10), train.Concat(validation).Order());
        Assert.Equal([100, 101, 102, 103, 104], Served(data.Test));
        Assert.Equal((10, false), (data.Classes, data.Augment)); // MNIST's classes and its default: no augmentation
    }

    [Fact]
    public void Without_a_validation_share_every_image_trains()
    {
        var data = TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), new TrainingOptions { BatchSize = 4, ValidationFraction = 0, Augment = true });
        Assert.Null(data.Validation);
        Assert.Equal(Enumerable.Range(0, 10), Served(data.Train).Order());
        Assert.True(data.Augment);
    }

    [Fact]
    public void A_validation_share_that_holds_out_no_image_is_refused_and_one_that_leaves_too_few_is_named()
    {
        // 10 images: 0.04 rounds to 0 held out; 0.05 rounds to 1 (half away from zero).
        var none = Assert.Throws<OptionValueException>(() => TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), new TrainingOptions { BatchSize = 4, ValidationFraction = 0.04 }));
        Assert.Equal("TrainingOptions.ValidationFraction 0.04 holds out no image of 10; give 0 for no validation split, or at least 0.1.", none.Message);
        Assert.Equal(9, TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), new TrainingOptions { BatchSize = 4, ValidationFraction = 0.05 }).Train.Count);
        var few = Assert.Throws<OptionValueException>(() => TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), new TrainingOptions { BatchSize = 4, ValidationFraction = 0.8 }));
        Assert.Equal("TrainingOptions.BatchSize 4 must not exceed the 2 training images (TrainingOptions.ValidationFraction 0.8 holds out 8 of 10).", few.Message);
        var large = Assert.Throws<OptionValueException>(() => TrainingData.Create(Spec, Numbered(10), Numbered(5, 100), new TrainingOptions { BatchSize = 20, ValidationFraction = 0.1 }));
        Assert.Equal("TrainingOptions.BatchSize 20 must not exceed the 9 training images.", large.Message);
    }
}
