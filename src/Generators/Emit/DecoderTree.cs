using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Isa.Generators.Model;

namespace Isa.Generators.Emit;

/// <summary>
/// Builds the decoder as nested switches: at each node, switch on the highest run of bits that
/// every remaining instruction fixes; where none is shared, test the remaining patterns most
/// specific first (so <c>jalr.hb</c> is tried before the broader pattern it refines).
/// </summary>
internal static class DecoderTree
{
    private const int MaxSwitchBits = 8;

    public static void Emit(CodeWriter w, IReadOnlyList<InsnModel> instructions, string opcodeType)
    {
        Node(w, instructions.ToList(), 0, opcodeType);
    }

    private static void Node(CodeWriter w, List<InsnModel> insns, ulong known, string opcodeType)
    {
        ulong common = ~known;
        foreach (InsnModel insn in insns)
        {
            common &= insn.Mask;
        }

        // Only bits whose values differ between the instructions split them; bits they all agree
        // on (MIPS's sa = 0 under SPECIAL) are left to the leaf checks.
        ulong differing = 0;
        foreach (InsnModel insn in insns)
        {
            differing |= (insn.Match ^ insns[0].Match) & common;
        }

        if (insns.Count <= 1 || differing == 0)
        {
            Leaf(w, insns, known, opcodeType);
            return;
        }

        (int low, int width) = HighestRun(differing);
        ulong fieldMask = Bits.Mask(width);
        ulong switched = fieldMask << low;
        w.Open(low == 0 ? $"switch (word & 0x{fieldMask:X})" : $"switch ((word >> {low}) & 0x{fieldMask:X})");
        foreach (IGrouping<ulong, InsnModel> group in insns.GroupBy(i => (i.Match >> low) & fieldMask).OrderBy(g => g.Key))
        {
            string names = string.Join(", ", group.Select(i => i.Name).Take(4)) + (group.Count() > 4 ? ", ..." : "");
            w.Open($"case 0x{group.Key.ToString("X", CultureInfo.InvariantCulture)}: // {names}");
            Node(w, group.ToList(), known | switched, opcodeType);
            w.Close();
        }

        w.Line($"default: return {opcodeType}.Invalid;");
        w.Close();
    }

    private static void Leaf(CodeWriter w, List<InsnModel> insns, ulong known, string opcodeType)
    {
        foreach (InsnModel insn in insns.OrderByDescending(i => Bits.PopCount(i.Mask)))
        {
            ulong mask = insn.Mask & ~known;
            if (mask == 0)
            {
                w.Line($"return {opcodeType}.{insn.CSharpName};");
                return;
            }

            w.Line($"if ((word & 0x{mask:X}) == 0x{insn.Match & mask:X}) return {opcodeType}.{insn.CSharpName};");
        }

        w.Line($"return {opcodeType}.Invalid;");
    }

    /// <summary>The most significant run of set bits, at most <see cref="MaxSwitchBits"/> wide.</summary>
    private static (int Low, int Width) HighestRun(ulong bits)
    {
        int high = 63;
        while (((bits >> high) & 1) == 0)
        {
            high--;
        }

        int low = high;
        while (low > 0 && ((bits >> (low - 1)) & 1) != 0 && high - low + 1 < MaxSwitchBits)
        {
            low--;
        }

        return (low, high - low + 1);
    }
}
