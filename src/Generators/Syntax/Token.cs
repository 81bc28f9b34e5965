namespace Isa.Generators.Syntax;

internal enum TokenKind
{
    EndOfFile,
    Identifier,
    Number,
    String,
    Punctuation,
    Error,
}

/// <summary>
/// A lexical token. Identifiers may contain dots (<c>add.s</c>, <c>c.eq.d</c>) because mnemonics do.
/// Numbers keep their text so that bit patterns (<c>000000</c>) keep their width.
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourceSpan Span)
{
    public bool Is(string text) => (Kind == TokenKind.Punctuation || Kind == TokenKind.Identifier) && Text == text;

    public override string ToString() => Kind == TokenKind.EndOfFile ? "end of file" : $"'{Text}'";
}
