namespace GraNet.Data;

/// <summary>A data file is missing, unreadable or malformed. The message names the file and the fix.</summary>
public sealed class DataException : Exception
{
    public DataException(string message)
        : base(message)
    {
    }

    public DataException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
