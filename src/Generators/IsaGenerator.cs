using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;

using Isa.Generators.Emit;
using Isa.Generators.Model;
using Isa.Generators.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators;

/// <summary>
/// Turns every <c>*.isa</c> AdditionalFile into a decoder, disassembler, interpreter and test vectors.
/// Each ISA's output depends only on the text of its own spec and of the specs it extends, so
/// editing one spec regenerates only the ISAs built from it.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class IsaGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<SpecText> specs = context.AdditionalTextsProvider
            .Where(file => file.Path.EndsWith(".isa", System.StringComparison.OrdinalIgnoreCase))
            .Select((file, cancel) => new SpecText(file.Path, file.GetText(cancel)?.ToString() ?? ""))
            .WithTrackingName(TrackingNames.SpecText);

        // A cheap outline of each file (which ISAs it declares, and their bases) decides which
        // texts each ISA needs; the ISA's own node then compares equal unless one of them changed.
        IncrementalValueProvider<ImmutableArray<SpecText>> allSpecs = specs.Collect().WithTrackingName(TrackingNames.AllSpecs);
        IncrementalValuesProvider<IsaSources> isaSources = allSpecs.SelectMany((all, _) => IsaSources.Plan(all)).WithTrackingName(TrackingNames.IsaSources);

        IncrementalValuesProvider<GeneratedIsa> generated = isaSources.Select((sources, cancel) => Generate(sources)).WithTrackingName(TrackingNames.GeneratedIsa);
        context.RegisterSourceOutput(generated, (output, isa) =>
        {
            foreach (SpecDiagnostic d in isa.Diagnostics)
            {
                output.ReportDiagnostic(d.ToDiagnostic());
            }

            foreach (GeneratedFile file in isa.Files)
            {
                output.AddSource(file.HintName, SourceText.From(file.Source, System.Text.Encoding.UTF8));
            }
        });

        IncrementalValueProvider<EquatableArray<string>> catalog = generated
            .SelectMany((isa, _) => isa.Variants)
            .Collect()
            .Select((variants, _) => new EquatableArray<string>(variants.OrderBy(v => v, System.StringComparer.Ordinal).ToImmutableArray()))
            .WithTrackingName(TrackingNames.Catalog);
        context.RegisterSourceOutput(catalog, (output, variants) =>
        {
            if (variants.Length > 0)
            {
                IEnumerable<(string, string)> pairs = variants.Select(v => (v.Split('.')[0], v.Split('.')[1]));
                output.AddSource("IsaCatalog.g.cs", SourceText.From(IsaEmitter.EmitCatalog(pairs), System.Text.Encoding.UTF8));
            }
        });
    }

    private static GeneratedIsa Generate(IsaSources sources)
    {
        var diagnostics = new List<SpecDiagnostic>(sources.PlanDiagnostics);
        if (diagnostics.Count > 0 || sources.Chain.Length == 0)
        {
            return new GeneratedIsa(sources.Name, EquatableArray<GeneratedFile>.Empty, diagnostics.ToEquatable(), EquatableArray<string>.Empty);
        }

        var chain = new List<IsaDecl>();
        foreach (SpecText spec in sources.Chain)
        {
            SpecFile file = Parser.Parse(spec.Path, spec.Text, diagnostics);
            string wanted = sources.ChainNames[chain.Count];
            IsaDecl? decl = file.Isas.FirstOrDefault(i => i.Name == wanted);
            if (decl is null)
            {
                break;
            }

            chain.Add(decl);
        }

        if (chain.Count != sources.Chain.Length || diagnostics.Count > 0)
        {
            // Syntax errors of a base are reported by the base's own generation.
            List<SpecDiagnostic> own = diagnostics.Where(d => d.Span.Path == sources.Chain[sources.Chain.Length - 1].Path).ToList();
            return new GeneratedIsa(sources.Name, EquatableArray<GeneratedFile>.Empty, own.ToEquatable(), EquatableArray<string>.Empty);
        }

        IsaModel model = ModelBuilder.Build(chain, diagnostics);
        if (diagnostics.Count > 0)
        {
            return new GeneratedIsa(sources.Name, EquatableArray<GeneratedFile>.Empty, diagnostics.ToEquatable(), EquatableArray<string>.Empty);
        }

        var files = IsaEmitter.Emit(model).Select(f => new GeneratedFile(f.HintName, f.Source)).ToImmutableArray();
        var variants = model.Variants.Select(v => model.TypeStem + "." + IsaEmitter.VariantMember(v)).ToImmutableArray();
        return new GeneratedIsa(sources.Name, new EquatableArray<GeneratedFile>(files), EquatableArray<SpecDiagnostic>.Empty, new EquatableArray<string>(variants));
    }
}

/// <summary>Names of the pipeline steps, for tests that check what an edit re-ran.</summary>
internal static class TrackingNames
{
    public const string SpecText = nameof(SpecText);
    public const string AllSpecs = nameof(AllSpecs);
    public const string IsaSources = nameof(IsaSources);
    public const string GeneratedIsa = nameof(GeneratedIsa);
    public const string Catalog = nameof(Catalog);
}

internal sealed record SpecText(string Path, string Text);

internal sealed record GeneratedFile(string HintName, string Source);

internal sealed record GeneratedIsa(string Name, EquatableArray<GeneratedFile> Files, EquatableArray<SpecDiagnostic> Diagnostics, EquatableArray<string> Variants);

/// <summary>
/// The spec texts one ISA is built from: its base chain, outermost first. Found from an outline of
/// each file (its <c>isa NAME : BASE</c> headers), so unrelated edits leave this value equal.
/// </summary>
internal sealed record IsaSources(string Name, EquatableArray<SpecText> Chain, EquatableArray<string> ChainNames, EquatableArray<SpecDiagnostic> PlanDiagnostics)
{
    public static IEnumerable<IsaSources> Plan(ImmutableArray<SpecText> specs)
    {
        var declared = new Dictionary<string, (SpecText Spec, string? Base, SourceSpan Span)>();
        var stems = new Dictionary<string, string>(System.StringComparer.OrdinalIgnoreCase);
        var results = new List<IsaSources>();
        foreach (SpecText spec in specs.OrderBy(s => s.Path, System.StringComparer.Ordinal))
        {
            foreach ((string name, string? baseName, SourceSpan span) in Outline(spec))
            {
                if (declared.TryGetValue(name, out var first))
                {
                    results.Add(new IsaSources(name, EquatableArray<SpecText>.Empty, EquatableArray<string>.Empty,
                        new[] { Diagnostics.Duplicate.At(span, $"isa '{name}' is already declared in {Path.GetFileName(first.Spec.Path)}") }.ToEquatable()));
                    continue;
                }

                // Generated type, namespace and file names come from the C# form of the name, and
                // the compiler compares file names ignoring case: fooBar, foo_bar and FOOBAR collide.
                string stem = Naming.Pascal(name);
                if (!Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(stem))
                {
                    results.Add(new IsaSources(name, EquatableArray<SpecText>.Empty, EquatableArray<string>.Empty,
                        new[] { Diagnostics.BadSetting.At(span, $"isa '{name}' must be named with letters, digits and '_' (its C# name would be '{stem}')") }.ToEquatable()));
                    continue;
                }

                if (stems.TryGetValue(stem, out string? twin))
                {
                    results.Add(new IsaSources(name, EquatableArray<SpecText>.Empty, EquatableArray<string>.Empty,
                        new[] { Diagnostics.Duplicate.At(span, $"isa '{name}' would generate the same C# names ({stem}) as isa '{twin}'; rename one") }.ToEquatable()));
                    continue;
                }

                stems[stem] = name;
                declared[name] = (spec, baseName, span);
            }
        }

        foreach (KeyValuePair<string, (SpecText Spec, string? Base, SourceSpan Span)> isa in declared.OrderBy(k => k.Key, System.StringComparer.Ordinal))
        {
            var chain = new List<SpecText>();
            var names = new List<string>();
            string? current = isa.Key;
            SpecDiagnostic? error = null;
            while (current is not null)
            {
                if (names.Contains(current))
                {
                    error = Diagnostics.BadExtension.At(isa.Value.Span, $"isa '{isa.Key}' extends itself through '{current}'");
                    break;
                }

                if (!declared.TryGetValue(current, out var decl))
                {
                    error = Diagnostics.UnknownName.At(isa.Value.Span, $"isa '{isa.Key}' extends unknown isa '{current}'");
                    break;
                }

                chain.Insert(0, decl.Spec);
                names.Insert(0, current);
                current = decl.Base;
            }

            results.Add(error is null
                ? new IsaSources(isa.Key, chain.ToEquatable(), names.ToEquatable(), EquatableArray<SpecDiagnostic>.Empty)
                : new IsaSources(isa.Key, EquatableArray<SpecText>.Empty, EquatableArray<string>.Empty, new[] { error }.ToEquatable()));
        }

        return results;
    }

    /// <summary>The <c>isa NAME [: BASE]</c> headers of a file, from its tokens alone.</summary>
    private static IEnumerable<(string Name, string? Base, SourceSpan Span)> Outline(SpecText spec)
    {
        List<Token> tokens = new Lexer(spec.Path, spec.Text).Tokenize();
        int depth = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            Token t = tokens[i];
            if (t.Is("{"))
            {
                depth++;
            }
            else if (t.Is("}"))
            {
                depth--;
            }
            else if (depth == 0 && t.Kind == TokenKind.Identifier && t.Text == "isa" && i + 1 < tokens.Count && tokens[i + 1].Kind == TokenKind.Identifier)
            {
                string? baseName = i + 3 < tokens.Count && tokens[i + 2].Is(":") && tokens[i + 3].Kind == TokenKind.Identifier ? tokens[i + 3].Text : null;
                yield return (tokens[i + 1].Text, baseName, tokens[i + 1].Span);
            }
        }
    }
}
