using GraNet.Runtime;
using Xunit;

namespace GraNet.Tests.Runtime;

public class CpuKernelSetsTests
{
    private static Func<CpuKernels, bool> Has(params CpuKernels[] sets) => k => k == CpuKernels.Auto || sets.Contains(k);

    [Theory]
    [InlineData(CpuKernels.Avx2, null, CpuKernels.Avx2)]
    [InlineData(CpuKernels.Baseline, "avx512", CpuKernels.Baseline)] // a set given wins over the variable
    [InlineData(CpuKernels.Auto, null, CpuKernels.Avx512)]
    [InlineData(CpuKernels.Auto, " AVX2 ", CpuKernels.Avx2)]
    [InlineData(CpuKernels.Auto, "default", CpuKernels.Baseline)]
    [InlineData(CpuKernels.Auto, "sse9", CpuKernels.Avx512)] // a value ATen ignores (with a warning) leaves its own choice
    public void Auto_is_the_set_atens_variable_names_else_the_best_there_is(CpuKernels requested, string? variable, CpuKernels expected) =>
        Assert.Equal(expected, CpuKernelSets.Resolve(requested, variable, Has(CpuKernels.Baseline, CpuKernels.Avx2, CpuKernels.Avx512)));

    [Fact]
    public void The_best_set_is_the_widest_supported()
    {
        Assert.Equal(CpuKernels.Avx512, CpuKernelSets.Best(Has(CpuKernels.Baseline, CpuKernels.Avx2, CpuKernels.Avx512)));
        Assert.Equal(CpuKernels.Avx2, CpuKernelSets.Best(Has(CpuKernels.Baseline, CpuKernels.Avx2)));
        Assert.Equal(CpuKernels.Baseline, CpuKernelSets.Best(Has(CpuKernels.Baseline)));
        Assert.Equal(CpuKernels.Auto, CpuKernelSets.Best(Has())); // not x86-64: libtorch's own choice, nothing pinned
        Assert.Equal(CpuKernels.Avx2, CpuKernelSets.Resolve(CpuKernels.Auto, null, Has(CpuKernels.Baseline, CpuKernels.Avx2)));
    }

    [Fact]
    public void A_set_pins_aten_onednn_and_mkl_to_one_instruction_set()
    {
        Assert.Equal(
            [new("ATEN_CPU_CAPABILITY", "avx2"), new("ONEDNN_MAX_CPU_ISA", "AVX2"), new("MKL_ENABLE_INSTRUCTIONS", "AVX2"), new("MKL_CBWR", "AVX2")],
            CpuKernelSets.Environment(CpuKernels.Avx2));
        Assert.Equal(
            [new("ATEN_CPU_CAPABILITY", "avx512"), new("ONEDNN_MAX_CPU_ISA", "AVX512_CORE"), new("MKL_ENABLE_INSTRUCTIONS", "AVX512"), new("MKL_CBWR", "AVX512")],
            CpuKernelSets.Environment(CpuKernels.Avx512));
        Assert.Equal(
            [new("ATEN_CPU_CAPABILITY", "default"), new("ONEDNN_MAX_CPU_ISA", "SSE41"), new("MKL_ENABLE_INSTRUCTIONS", "SSE4_2"), new("MKL_CBWR", "SSE4_2")],
            CpuKernelSets.Environment(CpuKernels.Baseline));
        Assert.Empty(CpuKernelSets.Environment(CpuKernels.Auto));
    }

    [Fact]
    public void Each_set_is_named_as_atens_capability_and_on_the_command_line()
    {
        Assert.Equal(["auto", "baseline", "avx2", "avx512"], EnumNames.All(typeof(CpuKernels)));
        foreach (var set in new[] { CpuKernels.Baseline, CpuKernels.Avx2, CpuKernels.Avx512 })
        {
            Assert.Equal(set, CpuKernelSets.FromAtenName(CpuKernelSets.Environment(set)[0].Value));
        }
        Assert.Null(CpuKernelSets.FromAtenName(null));
    }

    [Fact]
    public void A_wider_set_needs_the_narrower_ones()
    {
        // AVX-512 implies AVX2 and FMA implies SSE4.2 on every x86-64 CPU: a machine's supported sets are a prefix of the order.
        if (CpuKernelSets.IsSupported(CpuKernels.Avx512))
        {
            Assert.True(CpuKernelSets.IsSupported(CpuKernels.Avx2));
        }
        if (CpuKernelSets.IsSupported(CpuKernels.Avx2))
        {
            Assert.True(CpuKernelSets.IsSupported(CpuKernels.Baseline));
        }
        Assert.True(CpuKernelSets.IsSupported(CpuKernels.Auto));
    }

    [Fact]
    public void The_process_runs_the_set_it_pinned_as_aten_itself_reports()
    {
        // The tests' module initializer configured auto before any tensor work: the best set here, pinned, and ATen says it runs it.
        Assert.NotNull(TorchRuntime.Kernels);
        Assert.Equal(CpuKernelSets.Resolve(CpuKernels.Auto, Environment.GetEnvironmentVariable(CpuKernelSets.AtenVariable), CpuKernelSets.IsSupported), TorchRuntime.Kernels);
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Equal(TorchRuntime.Kernels, TorchRuntime.AtenKernels());
        }
        foreach (var (name, value) in CpuKernelSets.Environment(TorchRuntime.Kernels!.Value))
        {
            Assert.Equal(value, Environment.GetEnvironmentVariable(name));
        }
    }

    [Fact]
    public void Another_set_than_the_one_in_force_is_refused_and_auto_keeps_it()
    {
        var inForce = TorchRuntime.Kernels!.Value;
        TorchRuntime.Configure(1, CpuKernels.Auto);
        TorchRuntime.Configure(1, inForce);
        Assert.Equal(inForce, TorchRuntime.Kernels);
        var other = inForce == CpuKernels.Baseline ? CpuKernels.Avx2 : CpuKernels.Baseline;
        if (CpuKernelSets.IsSupported(other))
        {
            var refused = Assert.Throws<InvalidOperationException>(() => TorchRuntime.Configure(1, other));
            Assert.Equal($"libtorch already runs {EnumNames.Of(inForce)} kernels in this process and cannot change them; run {EnumNames.Of(other)} in a process of its own.", refused.Message);
        }
        Assert.Equal(inForce, TorchRuntime.Kernels);
    }
}
