using System.Text;

namespace Isa.Generators.Model;

internal static class Naming
{
    /// <summary><c>mips32</c> → <c>Mips32</c>, <c>fcsr_rm</c> → <c>FcsrRm</c>.</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (c == '_' || c == '.' || c == '-')
            {
                upper = true;
                continue;
            }

            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return sb.ToString();
    }

    /// <summary>A mnemonic as a C# identifier: <c>c.eq.s</c> → <c>c_eq_s</c>.</summary>
    public static string Identifier(string name) => name.Replace('.', '_').Replace('-', '_');
}

internal static class Bits
{
    public static ulong Mask(int width) => width >= 64 ? ulong.MaxValue : (1UL << width) - 1;

    public static int PopCount(ulong value)
    {
        int count = 0;
        while (value != 0)
        {
            value &= value - 1;
            count++;
        }

        return count;
    }
}
