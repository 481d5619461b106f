using GraNet.Runtime;
using Xunit;

namespace GraNet.Tests.Runtime;

public class NativeEnvironmentTests
{
    [Fact]
    public void Undo_puts_back_what_native_code_and_dotnet_saw_before_the_change()
    {
        string kept = $"GRANET_TEST_KEPT_{Environment.ProcessId}";
        string added = $"GRANET_TEST_ADDED_{Environment.ProcessId}";
        var setup = new NativeEnvironment();
        setup.Set(kept, "before");
        try
        {
            var change = new NativeEnvironment();
            change.Set(kept, "after");
            change.Set(added, "new");
            change.Set(kept, "ignored", overwrite: false); // set already: kept as it is
            Assert.Equal("after", NativeEnvironment.Get(kept));
            Assert.Equal("after", Environment.GetEnvironmentVariable(kept));
            Assert.Equal("new", NativeEnvironment.Get(added));

            change.Undo();
            Assert.Equal("before", NativeEnvironment.Get(kept));
            Assert.Equal("before", Environment.GetEnvironmentVariable(kept));
            Assert.Null(NativeEnvironment.Get(added));
            Assert.Null(Environment.GetEnvironmentVariable(added));
        }
        finally
        {
            setup.Undo();
        }
        Assert.Null(NativeEnvironment.Get(kept));
    }
}
