using System.Collections.Generic;

namespace Isa.Generators.Syntax;

/// <summary>Splits a spec file into tokens. Comments are <c>//</c> to end of line and <c>/* */</c>.</summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
    {
        "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "=>", "++", "::",
    };

    private readonly string _text;
    private readonly string _path;
    private readonly List<int> _lineStarts = new() { 0 };
    private readonly SourceSpan? _origin;
    private int _pos;

    /// <param name="origin">Where <paramref name="text"/> starts in its file, when it is a piece of
    /// one (a placeholder inside an assembly syntax string); spans are then positions in the file.</param>
    public Lexer(string path, string text, SourceSpan? origin = null)
    {
        _path = path;
        _text = text;
        _origin = origin;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    public List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        while (true)
        {
            SkipTrivia();
            if (_pos >= _text.Length)
            {
                tokens.Add(new Token(TokenKind.EndOfFile, "", Span(_pos, 0)));
                return tokens;
            }

            tokens.Add(Next());
        }
    }

    public SourceSpan Span(int start, int length)
    {
        (int line, int column) = Position(start);
        (int endLine, int endColumn) = Position(start + length);
        if (_origin is { } o)
        {
            return new SourceSpan(_path, o.Start + start, length, o.Line + line, line == 0 ? o.Column + column : column,
                o.Line + endLine, endLine == 0 ? o.Column + endColumn : endColumn);
        }

        return new SourceSpan(_path, start, length, line, column, endLine, endColumn);
    }

    private (int Line, int Column) Position(int offset)
    {
        int lo = 0, hi = _lineStarts.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_lineStarts[mid] <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return (lo, offset - _lineStarts[lo]);
    }

    private void SkipTrivia()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '/' && Peek(1) == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (c == '/' && Peek(1) == '*')
            {
                int end = _text.IndexOf("*/", _pos + 2, System.StringComparison.Ordinal);
                _pos = end < 0 ? _text.Length : end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private Token Next()
    {
        int start = _pos;
        char c = _text[_pos];
        if (char.IsLetter(c) || c == '_' || c == '$')
        {
            _pos++;
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == '$'
                || (_text[_pos] == '.' && char.IsLetterOrDigit(Peek(1)))))
            {
                _pos++;
            }

            return Make(TokenKind.Identifier, start);
        }

        if (char.IsDigit(c))
        {
            _pos++;
            while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_'
                || (_text[_pos] == '.' && char.IsDigit(Peek(1)))))
            {
                _pos++;
            }

            return Make(TokenKind.Number, start);
        }

        if (c == '"')
        {
            _pos++;
            while (_pos < _text.Length && _text[_pos] != '"' && _text[_pos] != '\n')
            {
                _pos++;
            }

            if (_pos >= _text.Length || _text[_pos] != '"')
            {
                return new Token(TokenKind.Error, "unterminated string", Span(start, _pos - start));
            }

            _pos++;
            return new Token(TokenKind.String, _text.Substring(start + 1, _pos - start - 2), Span(start, _pos - start));
        }

        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) == 0)
            {
                _pos += op.Length;
                return Make(TokenKind.Punctuation, start);
            }
        }

        _pos++;
        return "{}[]()<>;:,.=+-*/%&|^~!?@".IndexOf(c) >= 0
            ? Make(TokenKind.Punctuation, start)
            : new Token(TokenKind.Error, $"unexpected character '{c}'", Span(start, 1));
    }

    private Token Make(TokenKind kind, int start) => new(kind, _text.Substring(start, _pos - start), Span(start, _pos - start));
}
