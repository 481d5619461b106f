using System.Reflection;
using System.Runtime.CompilerServices;
using TorchSharp;
using Xunit;
using Xunit.Sdk;

// libtorch's global random generator and thread settings are process-wide: tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: GraNet.Tests.DisposeScopePerTest]

namespace GraNet.Tests;

/// <summary>Configures libtorch (one thread, passive OpenMP) before any test touches it.</summary>
internal static class TestSetup
{
#pragma warning disable CA2255 // a module initializer is the one place that runs before every test
    [ModuleInitializer]
    internal static void Initialise() => GraNet.Runtime.TorchRuntime.Configure(1);
#pragma warning restore CA2255
}

/// <summary>
/// Runs every test inside a dispose scope of its own, disposed when the test ends. A tensor that only a native call
/// still uses (<c>cross_entropy(model.call(x), y)</c>: the logits' handle is read, then nothing refers to them) can be
/// finalized by a garbage collection on another thread while libtorch reads it; a test host crashed so, in
/// <c>THSNN_cross_entropy</c> (a use after free of the logits). The scope holds every tensor a test makes until it ends.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
internal sealed class DisposeScopePerTestAttribute : BeforeAfterTestAttribute
{
    // Tests run one at a time (above): one scope at a time, disposed by After whichever thread runs it.
    private static DisposeScope? scope;

    public override void Before(MethodInfo methodUnderTest) => scope = torch.NewDisposeScope();

    public override void After(MethodInfo methodUnderTest)
    {
        scope?.Dispose();
        scope = null;
    }
}
