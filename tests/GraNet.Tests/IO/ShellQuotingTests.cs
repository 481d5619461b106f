using GraNet.IO;
using Xunit;

namespace GraNet.Tests.IO;

public class ShellQuotingTests
{
    [Theory]
    [InlineData("--output", "--output")]
    [InlineData("/tmp/run-1_a.b", "/tmp/run-1_a.b")]
    [InlineData("a@b%c+d=e:f,g", "a@b%c+d=e:f,g")]
    [InlineData("/tmp/q dir/r un", "'/tmp/q dir/r un'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("/tmp/a&b/sw", "'/tmp/a&b/sw'")]
    [InlineData("", "''")]
    [InlineData("ü", "'ü'")]
    [InlineData("'", "''\\'''")]
    [InlineData("/tmp/q dir/ü 'x' $HOME \"y\"/sw eep", "'/tmp/q dir/ü '\\''x'\\'' $HOME \"y\"/sw eep'")]
    public void A_word_is_bare_when_safe_else_in_single_quotes_with_each_quote_escaped(string word, string expected) =>
        Assert.Equal(expected, ShellQuoting.Quote(word));

    [Fact]
    public void A_command_line_quotes_each_word_on_its_own()
    {
        Assert.Equal("granet train --resume '/tmp/a&b/r un' --note '' --epochs 5", ShellQuoting.Join(["granet", "train", "--resume", "/tmp/a&b/r un", "--note", "", "--epochs", "5"]));
    }

    [Fact]
    public void Bash_reads_a_quoted_word_back_unchanged()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/bash"))
        {
            return;
        }
        string[] words = ["/tmp/q dir/ü 'x' $HOME \"y\"/sw eep", "", "a&b", "it's", "back\\slash", "`date`", "new\nline"];
        var start = new System.Diagnostics.ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("printf '%s\\0' " + ShellQuoting.Join(words));
        using var bash = System.Diagnostics.Process.Start(start)!;
        string read = bash.StandardOutput.ReadToEnd();
        bash.WaitForExit();
        Assert.Equal(words, read.Split('\0')[..^1]);
    }

    [Fact]
    public void A_suggested_command_is_set_off_in_single_quotes_or_in_double_quotes_when_a_word_needs_single_ones()
    {
        Assert.Equal("'granet train --resume runs/a'", ShellQuoting.Suggest("granet", "train", "--resume", "runs/a"));
        Assert.Equal("\"granet train --resume '/tmp/my runs'\"", ShellQuoting.Suggest("granet", "train", "--resume", "/tmp/my runs"));
    }
}
