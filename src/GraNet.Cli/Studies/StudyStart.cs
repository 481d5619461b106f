namespace GraNet.Cli.Studies;

/// <summary>The base run of a plasticity study (<c>--start</c>).</summary>
public enum StudyStart
{
    /// <summary>Dense training.</summary>
    Dense,

    /// <summary>A static ERK mask at <c>--init-density</c>.</summary>
    Sparse,
}
