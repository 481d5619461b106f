using GraNet.Data;
using Xunit;

namespace GraNet.Tests.Data;

public class DataSplitTests
{
    [Fact]
    public void Holds_out_the_rounded_share_disjointly_and_covers_everything()
    {
        var (train, validation) = DataSplit.Holdout(105, 0.1, 7);
        Assert.Equal(11, validation.Length); // round(10.5) away from zero
        Assert.Equal(94, train.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 105), train.Concat(validation).Order());
    }

    [Fact]
    public void The_seed_decides_the_split()
    {
        Assert.Equal(DataSplit.Holdout(100, 0.2, 1).Validation, DataSplit.Holdout(100, 0.2, 1).Validation);
        Assert.NotEqual(DataSplit.Holdout(100, 0.2, 1).Validation, DataSplit.Holdout(100, 0.2, 2).Validation);
    }

    [Fact]
    public void Zero_holds_out_nothing()
    {
        var (train, validation) = DataSplit.Holdout(10, 0, 1);
        Assert.Empty(validation);
        Assert.Equal(10, train.Length);
    }

    [Fact]
    public void A_fraction_of_one_is_refused() => Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.Holdout(10, 1, 1));
}
