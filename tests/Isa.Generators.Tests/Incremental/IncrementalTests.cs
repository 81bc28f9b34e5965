using Isa.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Isa.Generators.Tests.Incremental;

/// <summary>
/// Editing one spec regenerates only the ISAs built from it: the IDE reruns the generator on every
/// keystroke in a spec, and the other ISAs' outputs must come from the cache.
/// </summary>
public sealed class IncrementalTests
{
    private static readonly InMemorySpec A = new("/specs/a.isa", Spec("a", "") + "\n");
    private static readonly InMemorySpec B = new("/specs/b.isa", Spec("b", "") + "\n");
    private static readonly InMemorySpec C = new("/specs/c.isa", """
        isa c : a {
          endian big "c";
          insn two = 000010 ra rb rest "two {ra}, {rb}" { r[ra] = r[rb] + 2; }
        }
        """);

    private static readonly CSharpCompilation Compilation = GeneratorHarness.CreateCompilation();

    [Fact]
    public void EditingOneSpecRegeneratesOnlyItsIsa()
    {
        GeneratorDriver driver = Start();
        driver = Edit(driver, B, Spec("b", "insn three = 000011 ra rb rest \"three {ra}\" { r[ra] = 3; }"));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Assert.Equal(new Dictionary<string, IncrementalStepRunReason>
        {
            ["a"] = IncrementalStepRunReason.Cached,
            ["b"] = IncrementalStepRunReason.Modified,
            ["c"] = IncrementalStepRunReason.Cached,
        }, Reasons<GeneratedIsa>(result, TrackingNames.GeneratedIsa, g => g.Name));
        Assert.Equal(new Dictionary<string, IncrementalStepRunReason>
        {
            ["a"] = IncrementalStepRunReason.Unchanged,
            ["b"] = IncrementalStepRunReason.Modified,
            ["c"] = IncrementalStepRunReason.Unchanged,
        }, Reasons<IsaSources>(result, TrackingNames.IsaSources, s => s.Name));
        Assert.Equal(new Dictionary<string, IncrementalStepRunReason>
        {
            [A.Path] = IncrementalStepRunReason.Cached,
            [B.Path] = IncrementalStepRunReason.Modified,
            [C.Path] = IncrementalStepRunReason.Cached,
        }, Reasons<SpecText>(result, TrackingNames.SpecText, s => s.Path));

        // The catalog lists the same variants, so its output is not rebuilt.
        Assert.All(result.TrackedSteps[TrackingNames.Catalog].SelectMany(s => s.Outputs), o => Assert.NotEqual(IncrementalStepRunReason.Modified, o.Reason));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "B.Interpreter.g.cs" && s.SourceText.ToString().Contains("Exec_three", StringComparison.Ordinal));
    }

    [Fact]
    public void EditingABaseRegeneratesItsExtensions()
    {
        GeneratorDriver driver = Start();
        driver = Edit(driver, A, Spec("a", "insn three = 000011 ra rb rest \"three {ra}\" { r[ra] = 3; }"));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Assert.Equal(new Dictionary<string, IncrementalStepRunReason>
        {
            ["a"] = IncrementalStepRunReason.Modified,
            ["b"] = IncrementalStepRunReason.Cached,
            ["c"] = IncrementalStepRunReason.Modified,
        }, Reasons<GeneratedIsa>(result, TrackingNames.GeneratedIsa, g => g.Name));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "C.Decoder.g.cs" && s.SourceText.ToString().Contains("three", StringComparison.Ordinal));
    }

    [Fact]
    public void EditingACommentLeavesTheOutputUnchanged()
    {
        GeneratorDriver driver = Start();
        driver = Edit(driver, A, A.Text + "// a comment after the isa\n");
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        // a's text changed, so a and c are regenerated, but to the same files: nothing downstream reruns.
        Assert.Equal(new Dictionary<string, IncrementalStepRunReason>
        {
            ["a"] = IncrementalStepRunReason.Unchanged,
            ["b"] = IncrementalStepRunReason.Cached,
            ["c"] = IncrementalStepRunReason.Unchanged,
        }, Reasons<GeneratedIsa>(result, TrackingNames.GeneratedIsa, g => g.Name));
    }

    [Fact]
    public void RerunningWithoutEditsUsesTheCache()
    {
        GeneratorDriver driver = Start().RunGenerators(Compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.All(Reasons<GeneratedIsa>(result, TrackingNames.GeneratedIsa, g => g.Name).Values, r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    private static string Spec(string name, string extra) => $$"""
        isa {{name}} {
          endian little "{{name}}";
          register r[4] : u32;
          field ra = [25:24] : r;
          field rb = [23:22] : r;
          field rest = [21:0];
          insn one = 000001 ra rb rest "one {ra}, {rb}" { r[ra] = r[rb] + 1; }
          {{extra}}
        }
        """;

    private static GeneratorDriver Start()
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new[] { A, B, C }, trackSteps: true).RunGenerators(Compilation);
        GeneratorDriverRunResult first = driver.GetRunResult();
        Assert.Empty(first.Diagnostics);
        Assert.Equal(19, first.GeneratedTrees.Length); // 6 files for each of a, b and c, and the catalog
        return driver;
    }

    private static GeneratorDriver Edit(GeneratorDriver driver, InMemorySpec spec, string text) =>
        driver.ReplaceAdditionalText(spec, new InMemorySpec(spec.Path, text)).RunGenerators(Compilation);

    /// <summary>Why each output of a step was produced (Cached, Unchanged, Modified, New), by a key of its value.</summary>
    private static Dictionary<string, IncrementalStepRunReason> Reasons<T>(GeneratorRunResult result, string step, Func<T, string> key) =>
        result.TrackedSteps[step]
            .SelectMany(s => s.Outputs)
            .Where(o => o.Value is T)
            .ToDictionary(o => key((T)o.Value), o => o.Reason);
}
