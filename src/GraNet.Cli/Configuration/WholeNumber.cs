using System.Globalization;
using System.Numerics;

namespace GraNet.Cli.Configuration;

/// <summary>A whole number given as text that does not fit its type: said as too large or too small, not as "not a whole number".</summary>
public static class WholeNumber
{
    /// <summary>
    /// "too large (at most 2147483647)" or "far below any value the option takes" when <paramref name="text"/> is a whole number
    /// outside [<paramref name="minimum"/>, <paramref name="maximum"/>]; null when it lies inside, or is no whole number.
    /// </summary>
    public static string? OutOfRange(string text, long minimum, long maximum)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }
        return value > maximum ? string.Create(CultureInfo.InvariantCulture, $"too large (at most {maximum})")
            : value < minimum ? "far below any value the option takes" // the type's bound is no option's: counts start at 0 or 1
            : null;
    }

    /// <summary><see cref="OutOfRange(string, long, long)"/> for the type System.CommandLine names (<c>System.Int32</c>, <c>System.Nullable`1[System.Int64]</c>); null for another type.</summary>
    public static string? OutOfRange(string text, string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Contains("System.Int32", StringComparison.Ordinal) ? OutOfRange(text, int.MinValue, int.MaxValue)
            : type.Contains("System.Int64", StringComparison.Ordinal) ? OutOfRange(text, long.MinValue, long.MaxValue)
            : null;
    }
}
