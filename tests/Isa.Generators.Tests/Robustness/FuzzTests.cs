using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Isa.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace Isa.Generators.Tests.Robustness;

/// <summary>
/// The generator runs inside the compiler: on any spec text, however broken, it must report ISA
/// diagnostics and never throw (the driver would turn an exception into warning CS8785 and drop all
/// output). Slices of the real specs in isa/ are mutated thousands of times, deterministically.
/// </summary>
public sealed class FuzzTests
{
    private const int Mutants = 2000;

    /// <summary>How many mutants that pass every check get their generated code compiled.</summary>
    private const int CompiledMutants = 6;

    private static readonly Lazy<IReadOnlyList<Target>> Targets = new(LoadTargets);

    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void RealSpecsGenerateAndCompile()
    {
        IReadOnlyList<string> files = RepositoryPaths.SpecFiles();
        Assert.NotEmpty(files);
        SpecAssert.Compiles(GeneratorHarness.Run(files.Select(f => (f, File.ReadAllText(f))).ToArray()));
    }

    [Fact]
    public void SlicesOfTheRealSpecsAreValid()
    {
        foreach (Target target in Targets.Value)
        {
            GeneratorRun run = GeneratorHarness.Run(target.Inputs(target.Slice));
            SpecAssert.NoCrash(run, $"a slice of {target.Path}");
            Assert.True(run.Diagnostics.IsEmpty, $"a slice of {target.Path}:\n{GeneratorRun.Describe(run.Diagnostics)}\n{target.Slice}");
        }
    }

    [Fact]
    public void MutatedSpecsNeverCrashTheGenerator()
    {
        IReadOnlyList<Target> targets = Targets.Value;
        var failures = new ConcurrentBag<(int Seed, string Description, string Problem)>();
        var ids = new ConcurrentDictionary<string, int>();
        CSharpCompilation compilation = CSharpCompilation.Create("Fuzz");
        var clock = Stopwatch.StartNew();

        Parallel.For(0, Mutants, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            Target target = targets[seed % targets.Count];
            (string text, string description) = target.Mutator.Mutate(seed);
            GeneratorDriverRunResult result = GeneratorHarness.CreateDriver(target.Inputs(text), trackSteps: false).RunGenerators(compilation).GetRunResult();
            if (Problem(result) is { } problem)
            {
                failures.Add((seed, $"{Path.GetFileName(target.Path)} slice {target.Index}: {description}", problem));
            }

            foreach (Diagnostic d in result.Diagnostics)
            {
                ids.AddOrUpdate(d.Id, 1, (_, n) => n + 1);
            }
        });

        _output.WriteLine($"{Mutants} mutants of {targets.Count} slices in {clock.Elapsed.TotalSeconds:F1} s; diagnostics: "
            + string.Join(", ", ids.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} x{kv.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} mutants crashed the generator, e.g.:\n" + string.Join("\n\n", failures
            .OrderBy(f => f.Seed).Take(5).Select(f => $"seed {f.Seed}, {f.Description}\n{f.Problem}")));
    }

    [Fact]
    public void MutantsWithoutDiagnosticsGenerateCodeThatCompiles()
    {
        // A mutant the checker accepts (a swapped operand, a duplicated statement, a changed
        // constant) must still generate C# that compiles: the checks, not the C# compiler, catch errors.
        IReadOnlyList<Target> targets = Targets.Value;
        var seen = new HashSet<string>(targets.Select(t => t.Slice));
        int compiled = 0;
        for (int seed = 0; seed < Mutants && compiled < CompiledMutants; seed++)
        {
            Target target = targets[seed % targets.Count];
            (string text, string description) = target.Mutator.Mutate(seed);
            if (!seen.Add(text))
            {
                continue;
            }

            GeneratorRun run = GeneratorHarness.Run(target.Inputs(text));
            if (!run.Diagnostics.IsEmpty)
            {
                continue;
            }

            compiled++;
            Diagnostic[] errors = run.CompileDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0, $"seed {seed}, {Path.GetFileName(target.Path)} slice {target.Index}: {description}\n{GeneratorRun.Describe(errors)}");
        }

        _output.WriteLine($"compiled {compiled} accepted mutants");
    }

    private static string? Problem(GeneratorDriverRunResult result)
    {
        if (result.Results[0].Exception is { } exception)
        {
            return exception.ToString();
        }

        return result.Diagnostics.FirstOrDefault(d => !d.Id.StartsWith("ISA", StringComparison.Ordinal))?.ToString();
    }

    private static IReadOnlyList<Target> LoadTargets()
    {
        var originals = RepositoryPaths.SpecFiles().Select(f => new SpecText(f, File.ReadAllText(f))).ToImmutableArray();
        var targets = new List<Target>();
        foreach (SpecText file in originals)
        {
            // The other files this file's ISAs extend go in unchanged.
            List<InMemorySpec> bases = IsaSources.Plan(originals)
                .Where(s => s.Chain.Length > 0 && s.Chain[s.Chain.Length - 1].Path == file.Path)
                .SelectMany(s => s.Chain)
                .Where(s => s.Path != file.Path)
                .Distinct()
                .Select(s => new InMemorySpec(s.Path, s.Text))
                .ToList();
            IReadOnlyList<string> slices = SpecSlicer.Slice(file.Path, file.Text);
            for (int i = 0; i < slices.Count; i++)
            {
                targets.Add(new Target(file.Path, i, slices[i], new SpecMutator(file.Path, slices[i]), bases));
            }
        }

        return targets;
    }

    private sealed record Target(string Path, int Index, string Slice, SpecMutator Mutator, List<InMemorySpec> Bases)
    {
        public IEnumerable<InMemorySpec> Inputs(string text) => Bases.Append(new InMemorySpec(Path, text));
    }
}
