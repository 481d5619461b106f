using System.Collections.Immutable;
using System.Reflection;
using GraNet.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace GraNet.Tests.Reliability;

/// <summary>The analyzer that keeps temporary Scalars out of our code (tools/GraNet.Analyzers) flags what it should and nothing else.</summary>
public class TemporaryScalarAnalyzerTests
{
    private static readonly Lazy<DiagnosticAnalyzer> Analyzer = new(() =>
    {
        string configuration = typeof(TemporaryScalarAnalyzerTests).Assembly.Location.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string path = Path.Combine(TestFiles.RepositoryRoot, "tools", "GraNet.Analyzers", "bin", configuration, "netstandard2.0", "GraNet.Analyzers.dll");
        var type = Assembly.LoadFrom(path).GetType("GraNet.Analyzers.TemporaryScalarAnalyzer", throwOnError: true)!;
        return (DiagnosticAnalyzer)Activator.CreateInstance(type)!;
    });

    private static string[] Diagnose(string body)
    {
        string source = $$"""
            using GraNet.Runtime;
            using TorchSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;
            public static class Probe
            {
                public static void Run(Tensor t, Tensor other, Tensor mask, Scalar given, double number)
                {
                    {{body}}
                }
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(typeof(HeldScalars).Assembly.Location));
        var compilation = CSharpCompilation.Create("Probe", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var diagnostics = compilation.WithAnalyzers([Analyzer.Value]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [InlineData("t.masked_fill_(mask, 0);", "GRANET001")]
    [InlineData("t.mul_(number);", "GRANET001")]
    [InlineData("t.mul_(number.ToScalar());", "GRANET001")]
    [InlineData("var d = t.sum().ToDouble();", "GRANET001")]
    [InlineData("var d = (double)t.sum();", "GRANET001")]
    [InlineData("var s = number.ToScalar(); t.mul_(s);", "GRANET001")]
    [InlineData("using var product = t * number.ToScalar();", "GRANET001")]
    [InlineData("t.add_(other);", "GRANET002")]
    [InlineData("using var sum = t + other;", "GRANET002")]
    [InlineData("using var scaled = t * 2.0;", "GRANET002")]
    [InlineData("using var bn = nn.BatchNorm2d(3);", "GRANET002")]
    [InlineData("using var sgd = optim.SGD(new[] { new Parameter(t) }, 0.1);", "GRANET002")]
    [InlineData("using var adam = new Adam(new[] { new Parameter(t) });", "GRANET002")]
    public void It_flags_temporary_scalars(string body, string id) => Assert.Equal([id], Diagnose(body));

    [Theory]
    [InlineData("t.masked_fill_(mask, HeldScalars.Zero);")]
    [InlineData("using Scalar s = number.ToScalar(); t.mul_(s);")]
    [InlineData("t.mul_(given);")]
    [InlineData("t.add_(other, HeldScalars.One);")]
    [InlineData("t.mul_(number > 0 ? given : HeldScalars.One);")]
    [InlineData("using (Scalar s = number.ToScalar()) { t.mul_(s); }")]
    [InlineData("using Scalar s = number.ToScalar(); using var product = t * s;")]
    [InlineData("using var product = t * other; using var difference = t - other; var v = t.sum().item<float>();")]
    [InlineData("using var sgd = new GraNet.Training.Optimizers.ScalarSafeSgd(new[] { new Parameter(t) }, 0.1, 0.9);")]
    [InlineData("using var bn = new GraNet.Models.ScalarSafeBatchNorm2d(3);")]
    public void It_accepts_held_scalars_and_members_without_temporaries(string body) => Assert.Empty(Diagnose(body));
}
