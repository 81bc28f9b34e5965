using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Reads <c>objdump -d</c> output, and reduces instruction text to what a comparison should look
/// at. The same <see cref="Normalize"/> is applied to objdump's text and to ours, so only real
/// differences in mnemonic and operands remain.
/// </summary>
public static partial class ObjdumpListing
{
    private const string SectionHeader = "Disassembly of section ";

    /// <summary>The instruction lines of <paramref name="output"/>, each with the section it belongs to.</summary>
    public static IEnumerable<ObjdumpLine> Parse(IEnumerable<string> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string section = "";
        foreach (string line in output)
        {
            if (line.StartsWith(SectionHeader, StringComparison.Ordinal) && line.EndsWith(':'))
            {
                section = line[SectionHeader.Length..^1];
            }
            else if (TryParseInstruction(line, section, out ObjdumpLine instruction))
            {
                yield return instruction;
            }
        }
    }

    /// <summary>
    /// Parses <c>"  400190:\t3c1c0005 \tlui\tgp,0x5"</c>. False for everything else: headers,
    /// <c>&lt;symbol&gt;:</c> labels, <c>...</c> for skipped zeros, blank lines.
    /// </summary>
    public static bool TryParseInstruction(string line, string section, out ObjdumpLine instruction)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(section);
        Match match = InstructionLine().Match(line);
        if (!match.Success)
        {
            instruction = default;
            return false;
        }

        // Several byte groups (instructions wider than objdump's chunk) are printed in order.
        string digits = match.Groups["raw"].Value.Replace(" ", "", StringComparison.Ordinal);
        if (digits.Length > 16)
        {
            instruction = default;
            return false;
        }

        instruction = new ObjdumpLine(
            section,
            ulong.Parse(match.Groups["address"].ValueSpan, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            ulong.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            match.Groups["text"].Value);
        return true;
    }

    /// <summary>
    /// Drops what objdump adds around the instruction: a trailing <c># comment</c> (RISC-V's
    /// resolved addresses) and a trailing <c>&lt;symbol+0x10&gt;</c>; then writes every run of
    /// whitespace as one space. <c>"beqz\tv0,400334 &lt;main+0x10&gt;"</c> becomes <c>"beqz v0,400334"</c>.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> rest = text.AsSpan();
        int comment = WordStarts(rest, '#', first: true);
        if (comment >= 0)
        {
            rest = rest[..comment];
        }

        rest = rest.TrimEnd();
        if (rest.EndsWith(">"))
        {
            int label = WordStarts(rest, '<', first: false);
            if (label >= 0)
            {
                rest = rest[..label];
            }
        }

        var normalized = new StringBuilder(rest.Length);
        bool pendingSpace = false;
        foreach (char c in rest.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                normalized.Append(' ');
                pendingSpace = false;
            }

            normalized.Append(c);
        }

        return normalized.ToString();
    }

    /// <summary>The mnemonic of an instruction text: its first word.</summary>
    public static string Mnemonic(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ReadOnlySpan<char> trimmed = text.AsSpan().TrimStart();
        int end = trimmed.IndexOfAny(' ', '\t');
        return (end < 0 ? trimmed : trimmed[..end]).ToString();
    }

    /// <summary>
    /// Index of the first or last <paramref name="marker"/> that follows whitespace, i.e. starts a
    /// word of its own rather than sitting inside an operand; -1 if there is none.
    /// </summary>
    private static int WordStarts(ReadOnlySpan<char> text, char marker, bool first)
    {
        int found = -1;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] == marker && char.IsWhiteSpace(text[i - 1]))
            {
                found = i;
                if (first)
                {
                    break;
                }
            }
        }

        return found;
    }

    [GeneratedRegex(@"^ *(?<address>[0-9a-f]+):\t(?<raw>[0-9a-f]+(?: [0-9a-f]+)*) *\t(?<text>.*\S.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex InstructionLine();
}
