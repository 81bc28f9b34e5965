using System.Globalization;
using System.Text;
using Isa.Generators.Syntax;

namespace Isa.Generators.Tests.Robustness;

/// <summary>
/// Deterministic mutations of a spec text: token deletions, duplications, swaps and replacements,
/// line duplications, truncation and inserted characters. Token edits keep the surrounding text, so
/// most mutants are nearly valid and reach the checker and the emitter, not only the parser.
/// </summary>
internal sealed class SpecMutator
{
    private const string InsertableCharacters = "{}[]();:,.=+-*/%&|^~!?@\"#$`\\\n\t 01_xa";

    private static readonly string[] InterestingNumbers =
    {
        "0", "1", "2", "5", "15", "16", "31", "32", "33", "63", "64", "65", "4096", "4097", "0x7fffffff", "0x80000000",
        "0xffffffff", "0xffffffffffffffff", "0x1_0000_0000_0000_0000", "99999999999999999999", "0b", "0x", "0b2", "1.5", "1e9", "000000",
    };

    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly List<(int Start, int Length)> _lines = new();

    public SpecMutator(string path, string text)
    {
        _text = text;
        _tokens = new Lexer(path, text).Tokenize().Where(t => t.Kind != TokenKind.EndOfFile).ToList();
        int start = 0;
        foreach (string line in text.Split('\n'))
        {
            _lines.Add((start, line.Length + 1));
            start += line.Length + 1;
        }
    }

    /// <summary>The <paramref name="seed"/>th mutant: one to three edits, and what they were.</summary>
    public (string Text, string Description) Mutate(int seed)
    {
        var random = new Random(seed);
        string text = _text;
        var description = new StringBuilder();
        int edits = 1 + random.Next(3);
        for (int i = 0; i < edits; i++)
        {
            // Later edits apply to an already edited text, so they use offsets of the original tokens
            // only when the text is still the original.
            (text, string what) = text == _text ? MutateTokens(random) : MutateCharacters(text, random);
            description.Append(what).Append("; ");
        }

        return (text, description.ToString());
    }

    private (string, string) MutateTokens(Random random)
    {
        if (_tokens.Count == 0)
        {
            return MutateCharacters(_text, random);
        }

        Token t = _tokens[random.Next(_tokens.Count)];
        int at = t.Span.Start, length = t.Span.Length;
        switch (random.Next(9))
        {
            case 0:
                return (Splice(_text, at, length, ""), $"delete {Describe(t)}");
            case 1:
                return (Splice(_text, at, 0, t.Text + " "), $"duplicate {Describe(t)}");
            case 2:
                {
                    Token u = _tokens[Math.Min(_tokens.Count - 1, _tokens.IndexOf(t) + 1)];
                    if (u.Span.Start == t.Span.Start)
                    {
                        return (Splice(_text, at, length, ""), $"delete {Describe(t)}");
                    }

                    string swapped = _text.Substring(0, at) + Source(u) + _text.Substring(at + length, u.Span.Start - at - length) + Source(t) + _text.Substring(u.Span.Start + u.Span.Length);
                    return (swapped, $"swap {Describe(t)} and {Describe(u)}");
                }

            case 3:
                {
                    // Mostly a token of the same kind (a name for a name), which keeps the syntax valid
                    // and exercises the checker: another register, field, format or type.
                    Token other = _tokens[random.Next(_tokens.Count)];
                    for (int tries = 0; tries < 20 && other.Kind != t.Kind && random.Next(4) != 0; tries++)
                    {
                        other = _tokens[random.Next(_tokens.Count)];
                    }

                    return (Splice(_text, at, length, Source(other)), $"replace {Describe(t)} by {Describe(other)}");
                }

            case 4:
                {
                    string number = InterestingNumbers[random.Next(InterestingNumbers.Length)];
                    return (Splice(_text, at, length, number), $"replace {Describe(t)} by {number}");
                }

            case 5:
                {
                    (int start, int lineLength) = _lines[random.Next(_lines.Count)];
                    lineLength = Math.Min(lineLength, _text.Length - start);
                    return (Splice(_text, start, 0, _text.Substring(start, lineLength) + (lineLength > 0 && _text[start + lineLength - 1] == '\n' ? "" : "\n")), $"duplicate line at {start}");
                }

            case 6:
                {
                    (int start, int lineLength) = _lines[random.Next(_lines.Count)];
                    return (Splice(_text, start, Math.Min(lineLength, _text.Length - start), ""), $"delete line at {start}");
                }

            case 7:
                return (_text.Substring(0, at), $"truncate before {Describe(t)}");
            default:
                return AddIsa(random);
        }
    }

    /// <summary>A second isa after the first: one extending it, or a copy under a name that is close or no C# identifier.</summary>
    private (string, string) AddIsa(Random random)
    {
        int header = _tokens.FindIndex(t => t.Is("isa"));
        if (header < 0 || header + 1 >= _tokens.Count || _tokens[header + 1].Kind != TokenKind.Identifier)
        {
            return (_text + "\nisa", "append 'isa'");
        }

        string name = _tokens[header + 1].Text;
        if (random.Next(2) == 0)
        {
            string derived = $"\nisa {name}_x : {name} {{ endian little \"{name}x\"; }}\n";
            return (_text + derived, $"append isa {name}_x : {name}");
        }

        string twin = random.Next(4) switch { 0 => name.ToUpperInvariant(), 1 => "_" + name, 2 => name + "$", _ => "_" + random.Next(10) };
        int start = _tokens[header].Span.Start;
        Token nameToken = _tokens[header + 1];
        string copy = _text.Substring(start, nameToken.Span.Start - start) + twin + _text.Substring(nameToken.Span.Start + nameToken.Span.Length);
        return (_text + "\n" + copy, $"append a copy named {twin}");
    }

    private static (string, string) MutateCharacters(string text, Random random)
    {
        int at = random.Next(text.Length + 1);
        switch (random.Next(3))
        {
            case 0:
                {
                    string inserted = new(Enumerable.Range(0, 1 + random.Next(3)).Select(_ => InsertableCharacters[random.Next(InsertableCharacters.Length)]).ToArray());
                    return (Splice(text, at, 0, inserted), $"insert '{Escape(inserted)}' at {at}");
                }

            case 1:
                {
                    int length = Math.Min(text.Length - at, 1 + random.Next(8));
                    return (Splice(text, at, length, ""), $"delete {length} chars at {at}");
                }

            default:
                {
                    char c = (char)random.Next(1, 0x3000);
                    return (Splice(text, at, 0, c.ToString()), $"insert U+{(int)c:X4} at {at}");
                }
        }
    }

    private string Source(Token t) => _text.Substring(t.Span.Start, t.Span.Length);

    private static string Splice(string text, int at, int length, string replacement) =>
        text.Substring(0, at) + replacement + text.Substring(at + length);

    private static string Describe(Token t) => $"'{Escape(t.Text)}' at {t.Span.DisplayLine}:{(t.Span.Column + 1).ToString(CultureInfo.InvariantCulture)}";

    private static string Escape(string s) => s.Replace("\n", "\\n").Replace("\t", "\\t");
}
