using System.Text.Json.Serialization;

namespace GraNet.Training;

/// <summary>How the learning rate changes over training (after any warm-up).</summary>
public enum LearningRateScheduleKind
{
    /// <summary>Multiplied by gamma at each milestone epoch (the paper: ×0.1 at 50 % and 75 % of the epochs).</summary>
    [JsonStringEnumMemberName("multistep")]
    MultiStep,

    /// <summary>Cosine decay from the base rate to 0 over the run, per step.</summary>
    Cosine,

    /// <summary>The base rate throughout.</summary>
    Constant,
}
