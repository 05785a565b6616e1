using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Dsdr.Analyzers.Tests;

/// <summary>Snippets compiled against the real TorchSharp assembly, with the diagnostics the analyzer gives them.</summary>
public class TorchScalarAnalyzerTests
{
    private const string AllowedPattern = "`using var s = value.ToScalar();`";

    private static readonly MetadataReference[] Framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator).Where(p => Path.GetFileName(p) != "TorchSharp.dll")
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();

    private static readonly MetadataReference TorchSharp = MetadataReference.CreateFromFile(typeof(TorchSharp.Scalar).Assembly.Location);

    /// <summary>The analyzer's diagnostics for <paramref name="body"/> inside a method with tensors x, y, a parameter Scalar and a static readonly one.</summary>
    private static ImmutableArray<Diagnostic> Analyze(string body, MetadataReference? torch = null)
    {
        var source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            static class Snippet
            {
                static readonly Scalar Held = 1.0.ToScalar();
                static object Run(Tensor x, Tensor y, Scalar given)
                {
                    {{body}}
                    return x;
                }
            }
            """;
        var compilation = CSharpCompilation.Create("Snippet", [CSharpSyntaxTree.ParseText(source)], [.. Framework, torch ?? TorchSharp],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return compilation.WithAnalyzers([new TorchScalarAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }

    private static Diagnostic Single(ImmutableArray<Diagnostic> diagnostics, string id) =>
        Assert.Single(diagnostics, d => d.Id == id);

    [Fact]
    public void A_number_converted_implicitly_is_reported_with_the_allowed_pattern()
    {
        var diagnostics = Analyze("x.mul_(2.0);");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(TorchScalarAnalyzer.ImplicitScalarId, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        var message = diagnostic.GetMessage();
        Assert.Contains("'2.0' (double) is converted to a TorchSharp Scalar that nothing holds", message);
        Assert.Contains(AllowedPattern, message);
    }

    [Fact]
    public void An_inline_ToScalar_and_a_plain_local_are_temporaries()
    {
        var inline = Single(Analyze("x.mul_(2.0.ToScalar());"), TorchScalarAnalyzer.TemporaryScalarId).GetMessage();
        Assert.Contains("The temporary Scalar '2.0.ToScalar()' is passed without anything holding it", inline);
        Assert.Contains(AllowedPattern, inline);

        var local = Single(Analyze("var s = 2.0.ToScalar(); x.mul_(s);"), TorchScalarAnalyzer.TemporaryScalarId).GetMessage();
        Assert.Contains("Scalar local 's' is not a using-local", local);

        var readBack = Single(Analyze("var v = x.sum().ToScalar().ToDouble();"), TorchScalarAnalyzer.TemporaryScalarId).GetMessage();
        Assert.Contains("'x.sum().ToScalar()'", readBack);
    }

    [Fact]
    public void Using_locals_parameters_fields_and_null_are_held()
    {
        Assert.Empty(Analyze("""
            using var s = 2.0.ToScalar();
            x.mul_(s).add_(y, given).clamp_(null, Held);
            using (var t = 3L.ToScalar()) x.div_(t);
            var v = x.sum().item<float>();
            """));
    }

    [Fact]
    public void TorchSharp_methods_that_make_their_own_Scalars_are_named_with_what_to_write_instead()
    {
        var plus = Single(Analyze("var z = x + y;"), TorchScalarAnalyzer.UnsafeMethodId).GetMessage();
        Assert.Contains("Tensor.op_Addition(Tensor, Tensor) makes a Scalar inside TorchSharp that nothing holds", plus);
        Assert.Contains("a.add(b, one)", plus);

        var read = Single(Analyze("var v = x.sum().ToDouble();"), TorchScalarAnalyzer.UnsafeMethodId).GetMessage();
        Assert.Contains("TensorExtensionMethods.ToDouble(Tensor)", read);
        Assert.Contains("item<T>()", read);

        // x * 2.0 converts nothing in our code: the conversion happens inside TorchSharp's operator
        var times = Assert.Single(Analyze("var z = x * 2.0;"));
        Assert.Equal(TorchScalarAnalyzer.UnsafeMethodId, times.Id);
        Assert.Contains("Tensor.op_Multiply(Tensor, Double)", times.GetMessage());

        var optimizer = Single(Analyze("using var adam = optim.AdamW(new[] { new TorchSharp.Modules.Parameter(x) }); adam.step();"), TorchScalarAnalyzer.UnsafeMethodId).GetMessage();
        Assert.Contains("AdamW.step(Func)", optimizer);
        Assert.Contains("Dsdr.Learning.Training.AdamW", optimizer);

        Assert.Empty(Analyze("var z = x - y; var w = x.add(y, Held); var r = arange(given, given, Held, ScalarType.Int64);"));
    }

    [Fact]
    public void Every_listed_method_exists_in_the_TorchSharp_this_repository_uses()
    {
        var compilation = CSharpCompilation.Create("Lookup", [], [.. Framework, TorchSharp]);
        Assert.True(TorchScalarAnalyzer.UnsafeMethodIds.Count > 100);
        var missing = TorchScalarAnalyzer.UnsafeMethodIds.Where(id => DocumentationCommentId.GetFirstSymbolForDeclarationId(id, compilation) is null).ToList();
        Assert.True(missing.Count == 0, "listed but not in TorchSharp: " + string.Join(", ", missing.Take(10)));
        Assert.Equal(TorchScalarAnalyzer.ListedTorchSharpVersion, typeof(TorchSharp.Scalar).Assembly.GetName().Version!.ToString());
    }

    [Fact]
    public void Another_TorchSharp_version_asks_for_the_list_to_be_regenerated()
    {
        var fake = CSharpCompilation.Create("TorchSharp",
            [CSharpSyntaxTree.ParseText("""
                [assembly: System.Reflection.AssemblyVersion("9.9.9.0")]
                namespace TorchSharp
                {
                    public sealed class Scalar { }
                    public static class ScalarExtensionMethods { public static Scalar ToScalar(this double value) => new(); }
                    public static class torch { public sealed class Tensor { } }
                }
                """)],
            Framework, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var message = Single(Analyze("", fake.ToMetadataReference()), TorchScalarAnalyzer.StaleListId).GetMessage();
        Assert.Contains("is for TorchSharp 0.107.0.0 but this project uses 9.9.9.0; regenerate it", message);
    }
}
