using System.Collections.Generic;
using System.Globalization;

namespace Isa.Generators.Model;

/// <summary>Places field values into instruction bits and renders the C# that takes them out.</summary>
internal static class Encoder
{
    /// <summary>The instruction bits holding <paramref name="value"/> in <paramref name="field"/> (literal parts must match).</summary>
    public static ulong Insert(FieldModel field, ulong value)
    {
        ulong word = 0;
        int shift = field.Type.Bits;
        foreach (Syntax.FieldPart part in field.Parts)
        {
            shift -= part.Width;
            if (part.Literal is null)
            {
                word |= ((value >> shift) & Bits.Mask(part.Width)) << part.Low;
            }
        }

        return word;
    }

    /// <summary>False when a literal part of the field (RISC-V's implied low zero) disagrees with the value.</summary>
    public static bool CanInsert(FieldModel field, ulong value)
    {
        int shift = field.Type.Bits;
        foreach (Syntax.FieldPart part in field.Parts)
        {
            shift -= part.Width;
            if (part.Literal is { } literal && ((value >> shift) & Bits.Mask(part.Width)) != System.Convert.ToUInt64(literal, 2))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>C# that extracts the field from <c>word</c>, normalized to the field's type (sign-extended if signed).</summary>
    public static string ExtractExpression(FieldModel field, string word, int wordBits)
    {
        var terms = new List<string>();
        int shift = field.Type.Bits;
        foreach (Syntax.FieldPart part in field.Parts)
        {
            shift -= part.Width;
            if (part.Literal is { } literal)
            {
                ulong bits = System.Convert.ToUInt64(literal, 2) << shift;
                if (bits != 0)
                {
                    terms.Add("0x" + bits.ToString("X", CultureInfo.InvariantCulture));
                }

                continue;
            }

            string mask = "0x" + Bits.Mask(part.Width).ToString("X", CultureInfo.InvariantCulture);
            string bitsAt = part.Low == 0 ? $"{word} & {mask}" : $"({word} >> {part.Low}) & {mask}";
            terms.Add(shift == 0 ? bitsAt : $"(({bitsAt}) << {shift})");
        }

        string raw = terms.Count == 0 ? "0" : string.Join(" | ", terms);
        int repBits = field.Type.Bits > 32 ? 64 : 32;
        string rep = repBits == 64 ? "ulong" : "uint";
        string value = repBits == (wordBits > 32 ? 64 : 32) ? raw : $"({rep})({raw})";
        if (!field.Type.Signed)
        {
            return value;
        }

        string signedRep = repBits == 64 ? "long" : "int";
        int pad = repBits - field.Type.Bits;
        return pad == 0 ? $"({signedRep})({value})" : $"(({signedRep})({value}) << {pad}) >> {pad}";
    }
}
