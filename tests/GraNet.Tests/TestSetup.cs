using System.Runtime.CompilerServices;
using Xunit;

// libtorch's global random generator and thread settings are process-wide: tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace GraNet.Tests;

/// <summary>Configures libtorch (one thread, passive OpenMP) before any test touches it.</summary>
internal static class TestSetup
{
#pragma warning disable CA2255 // a module initializer is the one place that runs before every test
    [ModuleInitializer]
    internal static void Initialise() => GraNet.Runtime.TorchRuntime.Configure(1);
#pragma warning restore CA2255
}
