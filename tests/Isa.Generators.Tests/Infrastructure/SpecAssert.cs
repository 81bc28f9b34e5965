using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>Assertions on generator runs, with every diagnostic listed when one fails.</summary>
internal static class SpecAssert
{
    /// <summary>
    /// A diagnostic <paramref name="id"/> starts exactly at <paramref name="at"/> in <paramref name="path"/>
    /// and its message contains each of <paramref name="words"/> (ignoring case).
    /// </summary>
    public static Diagnostic Reports(GeneratorRun run, string id, string path, LinePosition at, params string[] words)
    {
        Diagnostic? found = run.Diagnostics.FirstOrDefault(d =>
            d.Id == id
            && d.Location.GetLineSpan().Path == path
            && d.Location.GetLineSpan().StartLinePosition == at);
        Assert.True(found is not null, $"expected {id} at {path}({at.Line + 1},{at.Character + 1}); the generator reported:\n{GeneratorRun.Describe(run.Diagnostics)}");
        string message = found!.GetMessage();
        foreach (string word in words)
        {
            Assert.True(message.Contains(word, StringComparison.OrdinalIgnoreCase), $"the message of {id} should mention '{word}': {message}");
        }

        Assert.Equal(DiagnosticSeverity.Error, found.Severity);
        return found;
    }

    /// <summary>The generator did not throw (it would show as CS8785) and reported only spec diagnostics.</summary>
    public static void NoCrash(GeneratorRun run, string context)
    {
        Exception? exception = run.Result.Results.Select(r => r.Exception).FirstOrDefault(e => e is not null);
        Assert.True(exception is null, $"the generator threw on {context}:\n{exception}");
        Diagnostic? foreign = run.Diagnostics.FirstOrDefault(d => !d.Id.StartsWith("ISA", StringComparison.Ordinal));
        Assert.True(foreign is null, $"unexpected {foreign} on {context}");
    }

    /// <summary>No spec diagnostics, and the generated code compiles without errors or warnings.</summary>
    public static void Compiles(GeneratorRun run)
    {
        NoCrash(run, "a valid spec");
        Assert.True(run.Diagnostics.IsEmpty, $"expected no diagnostics:\n{GeneratorRun.Describe(run.Diagnostics)}");
        Assert.NotEmpty(run.Sources);
        Assert.True(run.CompileDiagnostics.IsEmpty, $"the generated code does not compile cleanly:\n{GeneratorRun.Describe(run.CompileDiagnostics)}");
    }
}
