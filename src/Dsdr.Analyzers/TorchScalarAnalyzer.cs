using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Dsdr.Analyzers;

/// <summary>
/// Keeps every TorchSharp <c>Scalar</c> alive while libtorch reads it (issue 19). A Scalar is a managed wrapper with a
/// finalizer that frees the native value, no dispose scope tracks it, and TorchSharp's methods read its handle without
/// keeping the wrapper alive. A Scalar that nothing holds (an implicit conversion, an inline <c>ToScalar()</c>) can be
/// finalized by a collection that another thread starts while the native call still reads it: "Unknown scalar type",
/// or a silently wrong number. Allowed: a <c>using var s = value.ToScalar();</c> local, a field (static readonly, or of
/// an object that outlives the call) or a parameter.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TorchScalarAnalyzer : DiagnosticAnalyzer
{
    public const string ImplicitScalarId = "DSDR001";
    public const string TemporaryScalarId = "DSDR002";
    public const string UnsafeMethodId = "DSDR003";
    public const string StaleListId = "DSDR004";
    public const string ListedTorchSharpVersion = "0.107.0.0";

    private const string Category = "TorchSharp.Lifetime";
    private const string HoldIt = "hold it for the whole call: `using var s = value.ToScalar();` (or a static readonly Scalar field, or a parameter) and pass s";

    internal static readonly DiagnosticDescriptor ImplicitScalar = new(ImplicitScalarId,
        "A number becomes a Scalar that nothing holds",
        "'{0}' ({1}) is converted to a TorchSharp Scalar that nothing holds, so another thread's GC can finalize it while libtorch reads it; " + HoldIt,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    internal static readonly DiagnosticDescriptor TemporaryScalar = new(TemporaryScalarId,
        "A temporary Scalar is passed to TorchSharp",
        "{0} is passed without anything holding it, so another thread's GC can finalize it while libtorch reads it; " + HoldIt,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    internal static readonly DiagnosticDescriptor UnsafeMethod = new(UnsafeMethodId,
        "A TorchSharp method makes a Scalar that nothing holds",
        "{0} makes a Scalar inside TorchSharp that nothing holds (another thread's GC can finalize it while libtorch reads it); {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    internal static readonly DiagnosticDescriptor StaleList = new(StaleListId,
        "The unsafe-method list is for another TorchSharp",
        "The list of TorchSharp methods that make unheld Scalars (src/Dsdr.Analyzers/UnsafeTorchSharpMethods.txt) is for TorchSharp {0} but this project uses {1}; regenerate it from the new version's sources",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, customTags: WellKnownDiagnosticTags.CompilationEnd);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(ImplicitScalar, TemporaryScalar, UnsafeMethod, StaleList);

    private static readonly Lazy<ImmutableHashSet<string>> Unsafe = new(ReadUnsafeList);

    /// <summary>Documentation-comment ids of the listed TorchSharp methods.</summary>
    internal static ImmutableHashSet<string> UnsafeMethodIds => Unsafe.Value;

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null) return;
            var version = scalar.ContainingAssembly.Identity.Version.ToString();
            if (version != ListedTorchSharpVersion)
                start.RegisterCompilationEndAction(end => end.ReportDiagnostic(Diagnostic.Create(StaleList, Location.None, ListedTorchSharpVersion, version)));
            var unsafeMethods = Unsafe.Value;
            start.RegisterOperationAction(c => CheckConversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => CheckScalarOperands(c, scalar), OperationKind.Argument, OperationKind.Binary);
            start.RegisterOperationAction(c => CheckTarget(c, unsafeMethods), OperationKind.Invocation, OperationKind.ObjectCreation,
                OperationKind.Binary, OperationKind.Unary, OperationKind.CompoundAssignment, OperationKind.Conversion, OperationKind.PropertyReference);
        });
    }

    // DSDR001: 2.0 → Scalar through Scalar's implicit (or explicit) operator
    private static void CheckConversion(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!IsScalarOperator(conversion, scalar)) return;
        context.ReportDiagnostic(Diagnostic.Create(ImplicitScalar, conversion.Syntax.GetLocation(),
            conversion.Operand.Syntax.ToString(), conversion.Operand.Type?.ToDisplayString() ?? "a value"));
    }

    // DSDR002: a Scalar argument or operand that is neither a parameter, a field nor a using-local
    private static void CheckScalarOperands(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var values = context.Operation switch
        {
            IArgumentOperation argument => new[] { argument.Value },
            IBinaryOperation { OperatorMethod: not null } binary => new[] { binary.LeftOperand, binary.RightOperand },
            _ => Array.Empty<IOperation>(),
        };
        foreach (var value in values.Select(Unwrap))
        {
            if (!SymbolEqualityComparer.Default.Equals(value.Type, scalar) || value.ConstantValue is { HasValue: true, Value: null }) continue;
            if (value is IConversionOperation conversion && IsScalarOperator(conversion, scalar)) continue;   // DSDR001's
            var problem = value switch
            {
                IParameterReferenceOperation or IFieldReferenceOperation => null,
                ILocalReferenceOperation { Local.IsUsing: true } => null,
                ILocalReferenceOperation local => $"Scalar local '{local.Local.Name}' is not a using-local: it is dead once this call starts, and it",
                _ => $"The temporary Scalar '{value.Syntax}'",
            };
            if (problem is not null) context.ReportDiagnostic(Diagnostic.Create(TemporaryScalar, value.Syntax.GetLocation(), problem));
        }
    }

    // DSDR003: a call of a TorchSharp method on the unsafe list
    private static void CheckTarget(OperationAnalysisContext context, ImmutableHashSet<string> unsafeMethods)
    {
        var target = context.Operation switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            IObjectCreationOperation creation => creation.Constructor,
            IBinaryOperation binary => binary.OperatorMethod,
            IUnaryOperation unary => unary.OperatorMethod,
            ICompoundAssignmentOperation compound => compound.OperatorMethod,
            IConversionOperation conversion => conversion.OperatorMethod,
            IPropertyReferenceOperation property => property.Property.GetMethod,
            _ => null,
        };
        if (target is null || target.ContainingAssembly?.Name != "TorchSharp") return;
        var id = target.OriginalDefinition.GetDocumentationCommentId();
        if (id is null || !unsafeMethods.Contains(id)) return;
        context.ReportDiagnostic(Diagnostic.Create(UnsafeMethod, context.Operation.Syntax.GetLocation(),
            $"{target.ContainingType.Name}.{target.Name}({string.Join(", ", target.Parameters.Select(p => p.Type.Name))})", Advice(target)));
    }

    /// <summary>What to write instead of a listed method.</summary>
    internal static string Advice(IMethodSymbol method)
    {
        var name = method.Name;
        if (method.ContainingType.Name == "TensorExtensionMethods" || name == "op_Explicit")
            return "read the value with item<T>() of the tensor's own dtype instead";
        if (method.ContainingType.BaseType?.Name == "Optimizer" || name == "step")
            return "use Dsdr.Learning.Training.AdamW (its Scalars are fields) instead of TorchSharp's optimizer";
        if (name is "op_Addition" or "op_Subtraction" or "op_Multiply" or "op_Division" or "op_Modulus")
            return "call add/sub/mul/div/remainder with a held Scalar (add and sub also take the held alpha: a.add(b, one))";
        if (name is "add" or "add_" or "addcdiv" or "addcdiv_")
            return "call the overload that takes alpha/value, with a held Scalar";
        if (name == "arange")
            return "call arange(start, stop, step, …) with all three held Scalars";
        if (name == "square")
            return "write x.mul(x)";
        return "find an overload that takes every Scalar from you, or write it with tensor ops";
    }

    private static bool IsScalarOperator(IConversionOperation conversion, INamedTypeSymbol scalar) =>
        conversion.OperatorMethod is { } method && SymbolEqualityComparer.Default.Equals(method.ContainingType, scalar)
        && SymbolEqualityComparer.Default.Equals(conversion.Type, scalar);

    private static IOperation Unwrap(IOperation value)
    {
        while (value is IParenthesizedOperation or IConversionOperation { OperatorMethod: null, IsImplicit: true })
            value = value is IParenthesizedOperation p ? p.Operand : ((IConversionOperation)value).Operand;
        return value;
    }

    private static ImmutableHashSet<string> ReadUnsafeList()
    {
        using var stream = typeof(TorchScalarAnalyzer).Assembly.GetManifestResourceStream("UnsafeTorchSharpMethods.txt")
            ?? throw new InvalidOperationException("Dsdr.Analyzers was built without UnsafeTorchSharpMethods.txt.");
        using var reader = new StreamReader(stream);
        var ids = new List<string>();
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            if (line.Length > 0 && line[0] != '#') ids.Add(line.Trim());
        return ids.ToImmutableHashSet(StringComparer.Ordinal);
    }
}
