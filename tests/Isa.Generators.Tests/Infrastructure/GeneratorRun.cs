using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>What one generator run produced: its diagnostics, its files, and the compilation that includes them.</summary>
internal sealed class GeneratorRun
{
    private ImmutableArray<Diagnostic>? _compileDiagnostics;

    public GeneratorRun(GeneratorDriverRunResult result, Compilation output)
    {
        Result = result;
        Output = output;
    }

    public GeneratorDriverRunResult Result { get; }

    /// <summary>The input compilation plus every generated file.</summary>
    public Compilation Output { get; }

    /// <summary>Diagnostics the generator reported, including CS8785 if it threw.</summary>
    public ImmutableArray<Diagnostic> Diagnostics => Result.Diagnostics;

    public ImmutableArray<GeneratedSourceResult> Sources => Result.Results.SelectMany(r => r.GeneratedSources).ToImmutableArray();

    public IEnumerable<string> HintNames => Sources.Select(s => s.HintName);

    /// <summary>Errors and warnings of compiling the generated code (computed on first use: it is the slow part).</summary>
    public ImmutableArray<Diagnostic> CompileDiagnostics => _compileDiagnostics ??= Output.GetDiagnostics()
        .Where(d => d.Severity >= DiagnosticSeverity.Warning)
        .ToImmutableArray();

    /// <summary>Every diagnostic as one line per entry, for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        string text = string.Join("\n  ", diagnostics.Select(d => d.ToString()));
        return text.Length == 0 ? "(no diagnostics)" : "  " + text;
    }

    public string Source(string hintName) => Sources.Single(s => s.HintName == hintName).SourceText.ToString();
}
