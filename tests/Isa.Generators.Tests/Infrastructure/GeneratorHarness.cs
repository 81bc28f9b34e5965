using System.Collections.Immutable;
using Isa.Runtime.Cpu;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="IsaGenerator"/> the way the compiler does: a <see cref="CSharpGeneratorDriver"/> over a
/// compilation that references Isa.Runtime (as src/Guests does), with spec files as AdditionalTexts.
/// </summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>Specs as (path, text); paths are what diagnostics report.</summary>
    public static GeneratorRun Run(params (string Path, string Text)[] specs) =>
        Run(specs.Select(s => new InMemorySpec(s.Path, s.Text)));

    public static GeneratorRun Run(IEnumerable<InMemorySpec> specs)
    {
        GeneratorDriver driver = CreateDriver(specs, trackSteps: false);
        driver = driver.RunGeneratorsAndUpdateCompilation(CreateCompilation(), out Compilation output, out _);
        return new GeneratorRun(driver.GetRunResult(), output);
    }

    public static GeneratorDriver CreateDriver(IEnumerable<InMemorySpec> specs, bool trackSteps) =>
        CSharpGeneratorDriver.Create(
            new[] { new IsaGenerator().AsSourceGenerator() },
            specs.ToImmutableArray<AdditionalText>(),
            ParseOptions,
            optionsProvider: null,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>An empty library with the references src/Guests compiles against.</summary>
    public static CSharpCompilation CreateCompilation() => CSharpCompilation.Create(
        "Isa.Guests",
        new[] { CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, "GlobalUsings.g.cs") },
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    // What the SDK's ImplicitUsings adds to a net10.0 library (Directory.Build.props enables it).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtimeDirectory)
            .Append(typeof(GuestIsa).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }
}
