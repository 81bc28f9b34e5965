using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators.Tests.Infrastructure;

/// <summary>A spec file handed to the generator as an AdditionalText, without touching the disk.</summary>
internal sealed class InMemorySpec : AdditionalText
{
    private readonly SourceText _text;

    public InMemorySpec(string path, string text)
    {
        Path = path;
        _text = SourceText.From(text);
    }

    public override string Path { get; }

    public string Text => _text.ToString();

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}
