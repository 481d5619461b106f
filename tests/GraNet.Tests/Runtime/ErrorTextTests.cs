using GraNet.Runtime;
using Xunit;

namespace GraNet.Tests.Runtime;

public class ErrorTextTests
{
    [Theory]
    [InlineData("shape '[300, 784]' is invalid\nException raised from view at aten/...\nframe #0: ...", "shape '[300, 784]' is invalid")]
    [InlineData("  one line  ", "one line")]
    [InlineData("first\r\nsecond", "first")]
    public void Keeps_the_first_line_of_a_native_message(string message, string expected) => Assert.Equal(expected, ErrorText.FirstLine(message));
}
