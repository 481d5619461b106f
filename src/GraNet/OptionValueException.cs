using System.Globalization;
using System.Text.RegularExpressions;

namespace GraNet;

/// <summary>
/// An option out of range. The message names the option by its property, e.g.
/// <c>SparsityOptions.FinalDensity 1.5 must be in (0, 1].</c>; a front end that exposes the
/// options under other names (the <c>granet</c> tool's flags) renders it with <see cref="Describe"/>.
/// </summary>
public sealed partial class OptionValueException : ArgumentException
{
    /// <param name="owner">The type (or method) whose option this is, e.g. <c>SparsityOptions</c>.</param>
    /// <param name="property">The option's property (or parameter) name, e.g. <c>FinalDensity</c>.</param>
    /// <param name="value">The value given.</param>
    /// <param name="rule">What the value must satisfy. Other options are written in braces: <c>{InitDensity}</c> for one of the same owner, <c>{TrainingOptions.Epochs}</c> for another's.</param>
    public OptionValueException(string owner, string property, object? value, string rule)
        : base(Render(owner, property, value, rule, key => key))
    {
        Owner = owner;
        Property = property;
        Value = value;
        Rule = rule;
    }

    /// <summary>The type (or method) whose option is out of range.</summary>
    public string Owner { get; }

    /// <summary>The option's property (or parameter) name.</summary>
    public string Property { get; }

    /// <summary>The value given.</summary>
    public object? Value { get; }

    /// <summary>The rule, with other options in braces.</summary>
    public string Rule { get; }

    /// <summary>The option's property name (not appended to <see cref="Exception.Message"/>, which names it already).</summary>
    public override string ParamName => Property;

    /// <summary>The qualified name of the option, <c>Owner.Property</c>: the key <see cref="Describe"/> passes to its naming function.</summary>
    public string Key => $"{Owner}.{Property}";

    /// <summary>
    /// The message with every option named by <paramref name="name"/>, which receives qualified keys
    /// (<c>SparsityOptions.InitDensity</c>) and returns the name to show.
    /// </summary>
    public string Describe(Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Render(Owner, Property, Value, Rule, name);
    }

    private static string Render(string owner, string property, object? value, string rule, Func<string, string> name)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(property);
        ArgumentNullException.ThrowIfNull(rule);
        string text = Reference().Replace(rule, m => name(m.Groups[1].Value.Contains('.', StringComparison.Ordinal) ? m.Groups[1].Value : $"{owner}.{m.Groups[1].Value}"));
        return $"{name($"{owner}.{property}")} {Convert.ToString(value, CultureInfo.InvariantCulture)} {text}.";
    }

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_.]*)\}")]
    private static partial Regex Reference();
}
