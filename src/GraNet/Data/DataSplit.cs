namespace GraNet.Data;

/// <summary>Seeded hold-out split of a training set into training and validation indices.</summary>
public static class DataSplit
{
    /// <summary>
    /// Shuffles <c>0..count-1</c> with <paramref name="seed"/> and holds out
    /// <c>round(fraction * count)</c> indices for validation. Both lists come back sorted.
    /// </summary>
    public static (int[] Train, int[] Validation) Holdout(int count, double fraction, int seed)
    {
        if (fraction is < 0 or >= 1 || double.IsNaN(fraction))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be in [0, 1).");
        }
        int[] order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        int held = (int)Math.Round(fraction * count, MidpointRounding.AwayFromZero);
        int[] validation = order[..held];
        int[] train = order[held..];
        Array.Sort(validation);
        Array.Sort(train);
        return (train, validation);
    }
}
