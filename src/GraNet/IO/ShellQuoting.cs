using System.Text;

namespace GraNet.IO;

/// <summary>
/// Words for a POSIX shell (bash, sh, zsh) in a command that a message or a file suggests, so that it can be pasted as
/// it is: a word of safe characters only (<c>A-Z a-z 0-9 _ @ % + = : , . / -</c>) stays bare; any other, the empty word
/// included, goes in single quotes, each <c>'</c> in it written <c>'\''</c>.
/// </summary>
public static class ShellQuoting
{
    /// <summary><paramref name="word"/> as the shell reads it back unchanged: <c>/tmp/a b</c> → <c>'/tmp/a b'</c>, <c>it's</c> → <c>'it'\''s'</c>.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && word.All(IsSafe))
        {
            return word;
        }
        var text = new StringBuilder(word.Length + 2);
        text.Append('\'');
        foreach (char c in word)
        {
            text.Append(c == '\'' ? "'\\''" : c.ToString());
        }
        return text.Append('\'').ToString();
    }

    /// <summary>The words as one command line, each quoted as <see cref="Quote"/> does, separated by single spaces.</summary>
    public static string Join(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        return string.Join(' ', words.Select(Quote));
    }

    /// <summary>
    /// A command suggested in a message, its words joined as <see cref="Join"/> does, set off in single quotes as messages
    /// set off commands (<c>'granet train --resume runs/a'</c>), or in double quotes when a word needed single quotes
    /// (<c>"granet train --resume '/tmp/my runs'"</c>), which would otherwise be lost among the outer ones.
    /// </summary>
    public static string Suggest(params string[] words) => SetOff(Join(words));

    /// <summary>A command line already quoted for the shell, set off as <see cref="Suggest"/> does.</summary>
    public static string SetOff(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Contains('\'', StringComparison.Ordinal) ? $"\"{command}\"" : $"'{command}'";
    }

    private static bool IsSafe(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '@' or '%' or '+' or '=' or ':' or ',' or '.' or '/' or '-';
}
