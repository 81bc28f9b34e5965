using Isa.Generators.Syntax;
using Microsoft.CodeAnalysis;

namespace Isa.Generators;

/// <summary>A spec error found while parsing, checking or lowering, with the spec span it concerns.</summary>
internal sealed record SpecDiagnostic(DiagnosticDescriptor Descriptor, SourceSpan Span, string Message)
{
    public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Span.ToLocation(), Message);
}

/// <summary>The diagnostics the generator reports. IDs are stable: tests and users refer to them.</summary>
internal static class Diagnostics
{
    public static readonly DiagnosticDescriptor Syntax = Error("ISA0001", "Spec syntax error");
    public static readonly DiagnosticDescriptor UnknownName = Error("ISA0002", "Unknown name");
    public static readonly DiagnosticDescriptor TypeMismatch = Error("ISA0003", "Type error");
    public static readonly DiagnosticDescriptor Duplicate = Error("ISA0004", "Duplicate definition");
    public static readonly DiagnosticDescriptor EncodingOverlap = Error("ISA0005", "Ambiguous encoding");
    public static readonly DiagnosticDescriptor EncodingShape = Error("ISA0006", "Malformed encoding");
    public static readonly DiagnosticDescriptor FieldRange = Error("ISA0007", "Field does not fit");
    public static readonly DiagnosticDescriptor MissingSemantics = Error("ISA0008", "Instruction without semantics");
    public static readonly DiagnosticDescriptor BadSyntaxTemplate = Error("ISA0009", "Malformed assembly syntax");
    public static readonly DiagnosticDescriptor BadSetting = Error("ISA0010", "Invalid ISA setting");
    public static readonly DiagnosticDescriptor BadTest = Error("ISA0011", "Invalid test vector");
    public static readonly DiagnosticDescriptor BadExtension = Error("ISA0012", "Invalid ISA extension");
    public static readonly DiagnosticDescriptor BadHostTemplate = Error("ISA0013", "Invalid host template");

    public static SpecDiagnostic At(this DiagnosticDescriptor descriptor, SourceSpan span, string message) => new(descriptor, span, message);

    private static DiagnosticDescriptor Error(string id, string title) =>
        new(id, title, "{0}", "Isa.Spec", DiagnosticSeverity.Error, isEnabledByDefault: true);
}
