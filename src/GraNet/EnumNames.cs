using System.Text.Json;
using System.Text.Json.Serialization;

namespace GraNet;

/// <summary>
/// The names under which enum values are written in configuration files and typed as options: a value's
/// <see cref="JsonStringEnumMemberNameAttribute"/> (<c>granet</c>, <c>rigl</c>, <c>multistep</c>), else its name in kebab
/// case (<c>granet-uniform</c>), as the JSON converter writes it.
/// </summary>
public static class EnumNames
{
    /// <summary>The name of <paramref name="value"/>.</summary>
    public static string Of(Enum value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string name = value.ToString();
        return value.GetType().GetField(name)?.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false)
            .OfType<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name
            ?? JsonNamingPolicy.KebabCaseLower.ConvertName(name);
    }

    /// <summary>The names of every value of <paramref name="enumType"/>, in declaration order.</summary>
    public static IReadOnlyList<string> All(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return Enum.GetValues(enumType).Cast<Enum>().Select(Of).ToList();
    }
}
