using GraNet.Data;

namespace GraNet.Training;

/// <summary>The loaders of one run. <see cref="Validation"/> is null when nothing is held out.</summary>
public sealed record TrainingData(BatchLoader Train, BatchLoader? Validation, BatchLoader Test, int Classes, bool Augment)
{
    /// <summary>
    /// Splits <paramref name="train"/> into training and validation parts (seeded by the run's
    /// seed) and builds the loaders with the data set's normalisation.
    /// </summary>
    public static TrainingData Create(DatasetSpec spec, ImageDataset train, ImageDataset test, TrainingOptions options, int evaluationBatchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        var (trainIndices, validationIndices) = DataSplit.Holdout(train.Count, options.ValidationFraction, options.Seed);
        if (trainIndices.Length == 0)
        {
            throw new OptionValueException(nameof(TrainingOptions), nameof(TrainingOptions.ValidationFraction), options.ValidationFraction, FormattableString.Invariant($"leaves no training images out of {train.Count}"));
        }
        if (options.ValidationFraction > 0 && validationIndices.Length == 0)
        {
            // Asked for a validation split that rounds to no image: selection would silently fall back to the last epoch.
            throw new OptionValueException(nameof(TrainingOptions), nameof(TrainingOptions.ValidationFraction), options.ValidationFraction,
                FormattableString.Invariant($"holds out no image of {train.Count}; give 0 for no validation split, or at least {(1.0 / train.Count).ToString("G3", System.Globalization.CultureInfo.InvariantCulture).Replace('E', 'e')}"));
        }
        if (options.BatchSize > trainIndices.Length)
        {
            // Name the hold-out when it is what left the training part smaller than a batch.
            string held = validationIndices.Length > 0 && options.BatchSize <= train.Count
                ? FormattableString.Invariant($" ({nameof(TrainingOptions)}.{nameof(TrainingOptions.ValidationFraction)} {OptionValueException.Format(options.ValidationFraction)} holds out {validationIndices.Length} of {train.Count})")
                : string.Empty;
            throw new OptionValueException(nameof(TrainingOptions), nameof(TrainingOptions.BatchSize), options.BatchSize, FormattableString.Invariant($"must not exceed the {trainIndices.Length} training images{held}"));
        }
        var trainLoader = new BatchLoader(train, trainIndices, spec.Mean, spec.Std, options.BatchSize, spec.ReflectPadding);
        // An evaluation batch never needs to hold more than the images evaluated (its buffers are allocated at full size).
        var validation = validationIndices.Length > 0 ? new BatchLoader(train, validationIndices, spec.Mean, spec.Std, Math.Min(evaluationBatchSize, validationIndices.Length)) : null;
        var testLoader = new BatchLoader(test, null, spec.Mean, spec.Std, Math.Min(evaluationBatchSize, test.Count));
        return new TrainingData(trainLoader, validation, testLoader, spec.Classes, options.Augment ?? spec.AugmentByDefault);
    }
}
