using System.Globalization;

namespace GraNet;

/// <summary>
/// An option out of range. The message names the option, and any other option its rule refers to, by
/// qualified property name, e.g. <c>SparsityOptions.FinalDensity 0.8 must not exceed SparsityOptions.InitDensity 0.5
/// for a pruning method.</c>; a front end that exposes the options under other names (the <c>granet</c>
/// tool's flags) can rewrite those names.
/// </summary>
/// <param name="owner">The type (or method) whose option this is, e.g. <c>SparsityOptions</c>.</param>
/// <param name="property">The option's property (or parameter) name, e.g. <c>FinalDensity</c>.</param>
/// <param name="value">The value given.</param>
/// <param name="rule">What the value must satisfy; other options named as <c>Owner.Property</c>.</param>
public sealed class OptionValueException(string owner, string property, object? value, string rule)
    : ArgumentException($"{owner}.{property} {Format(value)} {rule}.")
{
    /// <summary>
    /// A value as options are written in configuration files: an enum by its JSON name (<c>granet-uniform</c>, <c>rigl</c>),
    /// a bool as <c>true</c>/<c>false</c>, numbers culture-invariant.
    /// </summary>
    public static string Format(object? value) => value switch
    {
        null => "(none)",
        bool b => b ? "true" : "false",
        Enum e => EnumNames.Of(e),
        double d => d.ToString(CultureInfo.InvariantCulture).Replace('E', 'e'), // 1e-09, as typed, not 1E-09
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>The type (or method) whose option is out of range.</summary>
    public string Owner { get; } = owner;

    /// <summary>The option's property (or parameter) name.</summary>
    public string Property { get; } = property;

    /// <summary>The value given.</summary>
    public object? Value { get; } = value;

    /// <summary>What the value must satisfy.</summary>
    public string Rule { get; } = rule;

    /// <summary>The option's property name (not appended to <see cref="Exception.Message"/>, which names it already).</summary>
    public override string ParamName => Property;
}
