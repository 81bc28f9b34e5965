namespace Isa.Runtime.Jit;

/// <summary>Floating-point tests that generated frontends build from the emitter's primitives (values are bit patterns).</summary>
public static class JitFloat
{
    public static JitValue IsNaN(IJitEmitter jit, JitFloatFormat format, JitValue value) => jit.FloatCompare(JitFloatCompare.Unordered, format, value, value);

    /// <summary>
    /// A signaling NaN: under IEEE 754-2008 a NaN with the top fraction bit clear, under legacy MIPS
    /// one with it set (as <c>IeeeFloat.IsSignalingNaN</c> decides).
    /// </summary>
    public static JitValue IsSignalingNaN(IJitEmitter jit, JitFloatFormat format, JitValue value, bool legacyMips)
    {
        bool d = format == JitFloatFormat.Double;
        JitType t = d ? JitType.U64 : JitType.U32;
        ulong quiet = d ? 0x0008_0000_0000_0000UL : 0x0040_0000UL;
        ulong infinity = d ? 0x7FF0_0000_0000_0000UL : 0x7F80_0000UL;
        if (legacyMips)
        {
            // Exponent all ones and the top fraction bit set (the fraction is then nonzero).
            JitValue masked = jit.Binary(JitBinary.And, value, jit.Constant(infinity | quiet, t), t);
            return jit.Binary(JitBinary.Eq, masked, jit.Constant(infinity | quiet, t), JitType.Bool);
        }

        // |x| in (infinity, infinity + quiet): a NaN below the quiet bit.
        JitValue magnitude = jit.Binary(JitBinary.And, value, jit.Constant(d ? 0x7FFF_FFFF_FFFF_FFFFUL : 0x7FFF_FFFFUL, t), t);
        JitValue offset = jit.Binary(JitBinary.Sub, magnitude, jit.Constant(infinity + 1, t), t);
        return jit.Binary(JitBinary.Lt, offset, jit.Constant(quiet - 1, t), JitType.Bool);
    }
}
