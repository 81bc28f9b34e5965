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

    /// <summary>A mnemonic as a C# identifier: <c>c.eq.s</c> → <c>c_eq_s</c>, a C# keyword gets a trailing '_' (<c>break</c> → <c>break_</c>).</summary>
    public static string Identifier(string name)
    {
        string id = name.Replace('.', '_').Replace('-', '_');
        return System.Array.IndexOf(CSharpKeywords, id) >= 0 ? id + "_" : id;
    }

    private static readonly string[] CSharpKeywords =
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    };
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
