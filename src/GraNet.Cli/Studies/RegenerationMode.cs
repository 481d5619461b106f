namespace GraNet.Cli.Studies;

/// <summary>What a plasticity cell does after pruning (written <c>none</c> and <c>gradient</c> in its records and tables).</summary>
public enum RegenerationMode
{
    /// <summary>Continue training with the pruned masks.</summary>
    None,

    /// <summary>Regrow as many connections as were pruned, by the gradient of one mini-batch, then continue.</summary>
    Gradient,
}
