using System.Text;
using Isa.Generators.Syntax;

namespace Isa.Generators.Tests.Robustness;

/// <summary>
/// Cuts a real spec into smaller valid specs: each slice keeps every declaration (settings, registers,
/// fields, formats, functions) and every <c>n</c>th instruction with its aliases, tests and x64
/// template. Mutating slices rather than whole files makes each generator run cheap enough to run thousands, while
/// together the slices still cover every line of the spec.
/// </summary>
internal static class SpecSlicer
{
    private const int InstructionsPerSlice = 6;

    public static IReadOnlyList<string> Slice(string path, string text)
    {
        List<Token> tokens = new Lexer(path, text).Tokenize();
        List<IsaText> isas = Split(text, tokens);
        int instructions = isas.Count == 0 ? 0 : isas.Max(i => i.Members.Count(m => m.Instruction is not null));
        int slices = Math.Max(1, instructions / InstructionsPerSlice);
        if (isas.Count == 0 || slices == 1)
        {
            return new[] { text };
        }

        var result = new List<string>();
        for (int k = 0; k < slices; k++)
        {
            var sb = new StringBuilder();
            foreach (IsaText isa in isas)
            {
                sb.Append(isa.Header).Append('\n');
                var kept = new HashSet<string>();
                int index = 0;
                foreach (MemberText member in isa.Members.Where(m => m.Instruction is not null))
                {
                    if (index++ % slices == k)
                    {
                        kept.Add(member.Instruction!);
                    }
                }

                foreach (MemberText member in isa.Members)
                {
                    bool keep = member.Instruction is not null ? kept.Contains(member.Instruction)
                        : member.UsesInstructions.Count == 0 || member.UsesInstructions.All(kept.Contains);
                    if (keep)
                    {
                        sb.Append("  ").Append(member.Text).Append('\n');
                    }
                }

                sb.Append("}\n");
            }

            result.Add(sb.ToString());
        }

        return result;
    }

    private sealed record IsaText(string Header, List<MemberText> Members);

    /// <summary>A member's text; an instruction's name, or the instructions an alias or test needs.</summary>
    private sealed record MemberText(string Text, string? Instruction, List<string> UsesInstructions);

    private static List<IsaText> Split(string text, List<Token> tokens)
    {
        var isas = new List<IsaText>();
        int i = 0;
        while (i < tokens.Count && tokens[i].Is("isa"))
        {
            int open = tokens.FindIndex(i, t => t.Is("{"));
            if (open < 0)
            {
                break;
            }

            string header = text.Substring(tokens[i].Span.Start, tokens[open].Span.Start + 1 - tokens[i].Span.Start);
            var members = new List<MemberText>();
            i = open + 1;
            while (i < tokens.Count && !tokens[i].Is("}") && tokens[i].Kind != TokenKind.EndOfFile)
            {
                int end = MemberEnd(tokens, i);
                members.Add(Classify(text, tokens, i, end));
                i = end + 1;
            }

            isas.Add(new IsaText(header, members));
            i++;
        }

        return isas;
    }

    /// <summary>The last token of the member starting at <paramref name="start"/>: its ';' or its final '}'.</summary>
    private static int MemberEnd(List<Token> tokens, int start)
    {
        int depth = 0;
        for (int i = start; i < tokens.Count - 1; i++)
        {
            if (tokens[i].Is("{"))
            {
                depth++;
            }
            else if (tokens[i].Is("}") && --depth == 0 && !tokens[i + 1].Is("=>"))
            {
                return tokens[i + 1].Is(";") ? i + 1 : i;
            }
            else if (tokens[i].Is(";") && depth == 0)
            {
                return i;
            }
        }

        return tokens.Count - 2;
    }

    private static MemberText Classify(string text, List<Token> tokens, int start, int end)
    {
        string source = text.Substring(tokens[start].Span.Start, tokens[end].Span.Start + tokens[end].Span.Length - tokens[start].Span.Start);
        int first = tokens[start].Is("override") ? start + 1 : start;
        string keyword = tokens[first].Text;
        string? Name(int at) => at <= end && tokens[at].Kind == TokenKind.Identifier ? tokens[at].Text : null;
        switch (keyword)
        {
            case "insn":
                return new MemberText(source, Name(first + 1), new List<string>());
            case "alias":
                return new MemberText(source, null, Name(first + 3) is { } target ? new List<string> { target } : new List<string>());
            case "x64":
                return new MemberText(source, null, Name(first + 1) is { } templated ? new List<string> { templated } : new List<string>());
            case "test":
                {
                    // test a(...), b(...) steps 2 ... : the names at parenthesis depth 0 before the setup block.
                    var names = new List<string>();
                    int depth = 0;
                    for (int i = first + 1; i <= end && !tokens[i].Is("{"); i++)
                    {
                        depth += tokens[i].Is("(") ? 1 : tokens[i].Is(")") ? -1 : 0;
                        if (depth == 0 && tokens[i].Kind == TokenKind.Identifier && tokens[i].Text != "steps")
                        {
                            names.Add(tokens[i].Text);
                        }
                    }

                    return new MemberText(source, null, names);
                }

            default:
                return new MemberText(source, null, new List<string>());
        }
    }
}
