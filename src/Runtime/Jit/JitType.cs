namespace Isa.Runtime.Jit;

/// <summary>The type of a JIT value: an integer of 1 to 64 bits, signed or not, or a bool (0 or 1).</summary>
public readonly record struct JitType(int Bits, bool Signed, bool IsBool = false)
{
    public static readonly JitType Bool = new(1, false, true);
    public static readonly JitType U8 = new(8, false);
    public static readonly JitType U16 = new(16, false);
    public static readonly JitType U32 = new(32, false);
    public static readonly JitType S32 = new(32, true);
    public static readonly JitType U64 = new(64, false);
    public static readonly JitType S64 = new(64, true);

    public ulong Mask => Bits >= 64 ? ulong.MaxValue : (1UL << Bits) - 1;

    /// <summary>
    /// The canonical 64-bit form of a value of this type: truncated to its width, then zero- or
    /// sign-extended by its signedness. Every JIT value is kept in this form.
    /// </summary>
    public ulong Canonical(ulong value)
    {
        if (IsBool)
        {
            return value != 0 ? 1UL : 0;
        }

        if (Bits >= 64)
        {
            return value;
        }

        ulong truncated = value & Mask;
        return Signed && (truncated >> (Bits - 1)) != 0 ? truncated | ~Mask : truncated;
    }

    public override string ToString() => IsBool ? "bool" : (Signed ? "s" : "u") + Bits;
}
