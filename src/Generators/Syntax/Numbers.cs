using System.Globalization;

namespace Isa.Generators.Syntax;

internal static class Numbers
{
    /// <summary>Parses decimal, <c>0x</c> hex and <c>0b</c> binary literals; underscores separate digits.</summary>
    public static bool TryParse(string text, out ulong value)
    {
        string t = text.Replace("_", "");
        value = 0;
        if (t.StartsWith("0x", System.StringComparison.OrdinalIgnoreCase))
        {
            return t.Length > 2 && ulong.TryParse(t.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (t.StartsWith("0b", System.StringComparison.OrdinalIgnoreCase))
        {
            if (t.Length <= 2 || t.Length > 66)
            {
                return false;
            }

            for (int i = 2; i < t.Length; i++)
            {
                if (t[i] != '0' && t[i] != '1')
                {
                    return false;
                }

                value = (value << 1) | (uint)(t[i] - '0');
            }

            return true;
        }

        return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
