using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Isa.Generators.Syntax;

/// <summary>A place in a spec file, for diagnostics and for comments in generated code.</summary>
internal readonly record struct SourceSpan(string Path, int Start, int Length, int Line, int Column, int EndLine, int EndColumn)
{
    /// <summary>1-based line, as people and the generated comments say it.</summary>
    public int DisplayLine => Line + 1;

    public Location ToLocation() => Location.Create(
        Path,
        new TextSpan(Start, Length),
        new LinePositionSpan(new LinePosition(Line, Column), new LinePosition(EndLine, EndColumn)));

    public SourceSpan To(SourceSpan end) => new(Path, Start, end.Start + end.Length - Start, Line, Column, end.EndLine, end.EndColumn);

    public override string ToString() => $"{System.IO.Path.GetFileName(Path)}:{DisplayLine}";
}
