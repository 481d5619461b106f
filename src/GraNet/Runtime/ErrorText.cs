namespace GraNet.Runtime;

/// <summary>Turning exception messages into the one-line errors the tool gives.</summary>
public static class ErrorText
{
    /// <summary>The first line of <paramref name="message"/>, trimmed: libtorch's errors carry a native stack trace after it.</summary>
    public static string FirstLine(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
