using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Isa.Runtime.FloatingPoint;

/// <summary>Which NaNs count as signaling (see <see cref="IeeeFloat.IsSignalingNaN(double, NaNConvention)"/>).</summary>
public enum NaNConvention
{
    /// <summary>IEEE 754-2008 (RISC-V, MIPS R6 / NAN2008): the most significant fraction bit set means quiet.</summary>
    Ieee2008 = 0,

    /// <summary>Legacy MIPS (MIPS I–V, R2–R5 without NAN2008, Allegrex): that bit set means signaling, clear means quiet.</summary>
    LegacyMips = 1,
}

/// <summary>Result of an IEEE comparison: exactly one of the four relations holds.</summary>
public enum FloatRelation
{
    /// <summary>a &lt; b.</summary>
    Less = 0,

    /// <summary>a = b (including +0 = −0).</summary>
    Equal = 1,

    /// <summary>a &gt; b.</summary>
    Greater = 2,

    /// <summary>At least one operand is a NaN.</summary>
    Unordered = 3,
}

/// <summary>
/// IEEE 754 binary32/binary64 arithmetic with a selectable <see cref="RoundingMode"/> and the five exception
/// <see cref="FloatFlags"/>, for emulated guest FPUs (MIPS COP1, RISC-V F/D). Every result is correctly rounded.
/// </summary>
/// <remarks>
/// <para>Flags are OR-ed into <c>flags</c>; they are never cleared.</para>
/// <para>Tininess is detected <em>after rounding</em> (as RISC-V and x86 SSE do): Underflow is raised when the
/// result is inexact and rounding the exact value to the target precision with an unbounded exponent range gives
/// a magnitude below the smallest normal number. An exact subnormal result raises nothing.</para>
/// <para>Overflow always raises Overflow and Inexact; the result is ±∞ or ±MaxValue as IEEE 754 prescribes for the
/// rounding direction.</para>
/// <para>NaN results are whatever the host hardware produces (payload and sign are not specified); callers must
/// canonicalize them to their guest's default NaN when the guest requires it. Signaling-NaN operands raise Invalid
/// according to the <see cref="NaNConvention"/> argument (IEEE 754-2008 by default). <c>fma(0, ∞, qNaN)</c> raises
/// Invalid (as RISC-V requires).</para>
/// <para>Technique: the round-to-nearest-even result is computed by the host hardware, and its exact error by an
/// error-free transformation (2Sum for addition, FMA for the product error, division remainder and square root
/// residual, Boldo–Muller ErrFma for fused multiply-add). The error is zero exactly when the result is exact; for a
/// directed mode its sign says whether to step the result one ulp with BitIncrement/BitDecrement. Where those
/// transformations are not exact (results near the underflow or overflow thresholds) a software path rounds the
/// exact value held in 64/128-bit integers. binary32 operations are evaluated exactly (or as an exact pair) in
/// binary64 and then rounded.</para>
/// </remarks>
public static class IeeeFloat
{
    private const double MinNormalD = 2.2250738585072014e-308; // 2^-1022
    private const float MinNormalF = 1.1754943508222875e-38f; // 2^-126
    private const double TwoPowM969 = 2.004168360008973e-292; // products/quotients at least this large have exact error terms
    private const double TwoPowM900 = 1.1830521861667747e-271;
    private const double TwoPowM899 = 2.3661043723335494e-271;
    private const double TwoPow1000 = 1.0715086071862673e+301;
    private const double TwoPow1023 = 8.98846567431158e+307;
    private const double TwoPow600 = 4.149515568880993e+180;
    private const double TwoPowM300 = 4.909093465297727e-91;

    private const RoundingMode NE = RoundingMode.NearestEven;

    // ------------------------------------------------------------------------------------------------------------
    // binary64 arithmetic
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>a + b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Add(double a, double b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double s = a + b;
        if (double.IsFinite(s))
        {
            // 2Sum: e = (a + b) - s exactly (a NaN/∞ e means an intermediate overflowed; the sum is then inexact).
            double bb = s - a;
            double e = (a - (s - bb)) + (b - bb);
            if (e != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm != NE)
                {
                    s = AddDirected(a, b, s, e, rm, ref flags);
                }
            }
            else if (s == 0 && rm == RoundingMode.Down)
            {
                s = -(-a + -b); // exact zero sum: -0 in roundTowardNegative unless both operands are +0
            }

            return s;
        }

        return AddSpecial(a, b, s, rm, ref flags, nan);
    }

    /// <summary>a − b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sub(double a, double b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
        => Add(a, -b, rm, ref flags, nan);

    /// <summary>a × b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Mul(double a, double b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double r = a * b;
        double ar = Math.Abs(r);
        if (ar >= TwoPowM969 && ar <= double.MaxValue)
        {
            double e = Math.FusedMultiplyAdd(a, b, -r); // exact product error
            if (e != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm != NE)
                {
                    r = Directed(r, e, rm, true, ref flags);
                }
            }

            return r;
        }

        return MulSlow(a, b, r, rm, ref flags, nan);
    }

    /// <summary>a ÷ b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Div(double a, double b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double q = a / b;
        double aq = Math.Abs(q);
        if (aq >= TwoPowM969 && aq <= double.MaxValue && Math.Abs(a) >= TwoPowM900)
        {
            double rem = Math.FusedMultiplyAdd(-q, b, a); // exact remainder a - q*b
            if (rem != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm is not (NE or RoundingMode.NearestMaxMagnitude))
                {
                    // A binary quotient is never exactly halfway, so ties-away equals ties-even.
                    q = Directed(q, b > 0 ? rem : -rem, rm, false, ref flags);
                }
            }

            return q;
        }

        return DivSlow(a, b, q, rm, ref flags, nan);
    }

    /// <summary>√a rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sqrt(double a, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double r = Math.Sqrt(a);
        if (a >= TwoPowM900 && a <= double.MaxValue)
        {
            double res = Math.FusedMultiplyAdd(-r, r, a); // exact residual a - r*r, same sign as √a - r
            if (res != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm is not (NE or RoundingMode.NearestMaxMagnitude))
                {
                    r = Directed(r, res, rm, false, ref flags); // square roots are never exactly halfway
                }
            }

            return r;
        }

        return SqrtSlow(a, r, rm, ref flags, nan);
    }

    /// <summary>a × b + c with a single rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double FusedMultiplyAdd(double a, double b, double c, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double r = Math.FusedMultiplyAdd(a, b, c);
        double u1 = a * b;
        double au = Math.Abs(u1);
        if (Math.Abs(r) > MinNormalD && au >= TwoPowM899 && au <= TwoPow1000 && Math.Abs(c) <= TwoPow1000)
        {
            // ErrFma (Boldo & Muller 2011): a*b + c = r + r2 + r3 exactly, |r3| <= ulp(r2)/2.
            double u2 = Math.FusedMultiplyAdd(a, b, -u1);
            double a1 = c + u2;
            double t = a1 - c;
            double a2 = (c - (a1 - t)) + (u2 - t);
            double b1 = u1 + a1;
            t = b1 - u1;
            double b2 = (u1 - (b1 - t)) + (a1 - t);
            double g = (b1 - r) + b2;
            double r2 = g + a2;
            if (r2 != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm != NE)
                {
                    double r3 = a2 - (r2 - g);
                    r = Directed(r, r2, rm, r3 == 0, ref flags);
                }
            }

            return r;
        }

        return FmaSlow(a, b, c, r, rm, ref flags, nan);
    }

    // ------------------------------------------------------------------------------------------------------------
    // binary32 arithmetic
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>a + b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float a, float b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        float s = a + b;
        if (float.IsFinite(s))
        {
            float bb = s - a;
            float e = (a - (s - bb)) + (b - bb);
            if (e != 0)
            {
                flags |= FloatFlags.Inexact;
                if (rm != NE)
                {
                    s = AddDirected(a, b, s, e, rm, ref flags);
                }
            }
            else if (s == 0 && rm == RoundingMode.Down)
            {
                s = -(-a + -b);
            }

            return s;
        }

        return AddSpecial(a, b, s, rm, ref flags, nan);
    }

    /// <summary>a − b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sub(float a, float b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
        => Add(a, -b, rm, ref flags, nan);

    /// <summary>a × b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Mul(float a, float b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double p = (double)a * b; // exact
        float r = (float)p;
        if (r != p)
        {
            float ar = MathF.Abs(r);
            if (rm == NE && ar > MinNormalF && ar <= float.MaxValue)
            {
                flags |= FloatFlags.Inexact;
            }
            else
            {
                r = MulSlow(a, b, p, r, rm, ref flags, nan);
            }
        }

        return r;
    }

    /// <summary>a ÷ b rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Div(float a, float b, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        // The binary64 quotient never lies on (or across) a binary32 number or midpoint unless it is exact,
        // so rounding it again is exactly rounding the true quotient.
        double q = (double)a / b;
        float r = (float)q;
        if (r != q || b == 0)
        {
            float ar = MathF.Abs(r);
            if (rm is (NE or RoundingMode.NearestMaxMagnitude) && ar > MinNormalF && ar <= float.MaxValue)
            {
                flags |= FloatFlags.Inexact;
            }
            else
            {
                r = DivSlow(a, b, q, r, rm, ref flags, nan);
            }
        }

        return r;
    }

    /// <summary>√a rounded per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sqrt(float a, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double d = Math.Sqrt(a); // like division, never on or across a binary32 number or midpoint unless exact
        float r = (float)d;
        if (r != d)
        {
            if (rm is (NE or RoundingMode.NearestMaxMagnitude) && !double.IsNaN(d))
            {
                flags |= FloatFlags.Inexact;
            }
            else
            {
                r = SqrtSlow(a, d, r, rm, ref flags, nan);
            }
        }

        return r;
    }

    /// <summary>a × b + c with a single rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FusedMultiplyAdd(float a, float b, float c, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double p = (double)a * b; // exact
        double s = p + c;
        double bb = s - p;
        double t = (p - (s - bb)) + (c - bb); // s + t == a*b + c exactly (for finite operands)
        float r = (float)s;
        if (t == 0 && r == s)
        {
            if (s == 0 && rm == RoundingMode.Down)
            {
                r = (float)-(-p + -(double)c);
            }

            return r;
        }

        float ar = MathF.Abs(r);
        if (rm == NE && t == 0 && ar > MinNormalF && ar <= float.MaxValue)
        {
            flags |= FloatFlags.Inexact;
            return r;
        }

        return FmaSlow(a, b, c, s, t, rm, ref flags, nan);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Conversions
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>Converts binary64 to binary32 rounding per <paramref name="rm"/> (Inexact, Overflow, Underflow; Invalid for a signaling NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(double value, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        float r = (float)value;
        if (r != value)
        {
            float ar = MathF.Abs(r);
            if (rm == NE && ar > MinNormalF && ar <= float.MaxValue)
            {
                flags |= FloatFlags.Inexact;
            }
            else
            {
                r = ToSingleSlow(value, r, rm, ref flags, nan);
            }
        }

        return r;
    }

    /// <summary>Converts binary32 to binary64 (always exact; Invalid for a signaling NaN, whose result is the hardware's quieted NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble(float value, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        if (IsSignalingNaN(value, nan))
        {
            flags |= FloatFlags.Invalid;
        }

        return value;
    }

    /// <summary>
    /// Rounds to an integral value in floating-point format per <paramref name="rm"/> (IEEE roundToIntegral: raises no
    /// flags; NaN in, NaN out; signed zeros and infinities preserved).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double RoundToIntegral(double value, RoundingMode rm) => rm switch
    {
        RoundingMode.TowardZero => Math.Truncate(value),
        RoundingMode.Up => Math.Ceiling(value),
        RoundingMode.Down => Math.Floor(value),
        RoundingMode.NearestMaxMagnitude => Math.Round(value, MidpointRounding.AwayFromZero),
        _ => Math.Round(value, MidpointRounding.ToEven),
    };

    /// <inheritdoc cref="RoundToIntegral(double, RoundingMode)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToIntegral(float value, RoundingMode rm) => rm switch
    {
        RoundingMode.TowardZero => MathF.Truncate(value),
        RoundingMode.Up => MathF.Ceiling(value),
        RoundingMode.Down => MathF.Floor(value),
        RoundingMode.NearestMaxMagnitude => MathF.Round(value, MidpointRounding.AwayFromZero),
        _ => MathF.Round(value, MidpointRounding.ToEven),
    };

    /// <summary>IEEE roundToIntegralExact: like <see cref="RoundToIntegral(double, RoundingMode)"/> but raises Inexact when the value changes and Invalid for a signaling NaN.</summary>
    public static double RoundToIntegralExact(double value, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        double r = RoundToIntegral(value, rm);
        if (r != value)
        {
            flags |= double.IsNaN(value) ? (IsSignalingNaN(value, nan) ? FloatFlags.Invalid : FloatFlags.None) : FloatFlags.Inexact;
        }

        return r;
    }

    /// <inheritdoc cref="RoundToIntegralExact(double, RoundingMode, ref FloatFlags, NaNConvention)"/>
    public static float RoundToIntegralExact(float value, RoundingMode rm, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        float r = RoundToIntegral(value, rm);
        if (r != value)
        {
            flags |= float.IsNaN(value) ? (IsSignalingNaN(value, nan) ? FloatFlags.Invalid : FloatFlags.None) : FloatFlags.Inexact;
        }

        return r;
    }

    /// <summary>
    /// Converts to a signed 32-bit integer rounding per <paramref name="rm"/>. Returns false and raises only Invalid
    /// when the value is NaN or the rounded value is out of range; <paramref name="result"/> is then 0 and the caller
    /// supplies its guest's saturated/indefinite value (inspect <paramref name="value"/> for NaN and sign). Otherwise
    /// raises Inexact when rounding changed the value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToInt32(double value, RoundingMode rm, out int result, ref FloatFlags flags)
    {
        double t = RoundToIntegral(value, rm);
        if (t >= -2147483648.0 && t <= 2147483647.0)
        {
            result = (int)t;
            if (t != value)
            {
                flags |= FloatFlags.Inexact;
            }

            return true;
        }

        result = 0;
        flags |= FloatFlags.Invalid;
        return false;
    }

    /// <summary>Converts to an unsigned 32-bit integer; see <see cref="TryToInt32(double, RoundingMode, out int, ref FloatFlags)"/> (values rounding to −0 convert to 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToUInt32(double value, RoundingMode rm, out uint result, ref FloatFlags flags)
    {
        double t = RoundToIntegral(value, rm);
        if (t >= 0 && t <= 4294967295.0)
        {
            result = (uint)t;
            if (t != value)
            {
                flags |= FloatFlags.Inexact;
            }

            return true;
        }

        result = 0;
        flags |= FloatFlags.Invalid;
        return false;
    }

    /// <summary>Converts to a signed 64-bit integer; see <see cref="TryToInt32(double, RoundingMode, out int, ref FloatFlags)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToInt64(double value, RoundingMode rm, out long result, ref FloatFlags flags)
    {
        double t = RoundToIntegral(value, rm);
        if (t >= -9223372036854775808.0 && t < 9223372036854775808.0)
        {
            result = (long)t;
            if (t != value)
            {
                flags |= FloatFlags.Inexact;
            }

            return true;
        }

        result = 0;
        flags |= FloatFlags.Invalid;
        return false;
    }

    /// <summary>Converts to an unsigned 64-bit integer; see <see cref="TryToInt32(double, RoundingMode, out int, ref FloatFlags)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToUInt64(double value, RoundingMode rm, out ulong result, ref FloatFlags flags)
    {
        double t = RoundToIntegral(value, rm);
        if (t >= 0 && t < 18446744073709551616.0)
        {
            result = (ulong)t;
            if (t != value)
            {
                flags |= FloatFlags.Inexact;
            }

            return true;
        }

        result = 0;
        flags |= FloatFlags.Invalid;
        return false;
    }

    /// <inheritdoc cref="TryToInt32(double, RoundingMode, out int, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToInt32(float value, RoundingMode rm, out int result, ref FloatFlags flags)
        => TryToInt32((double)value, rm, out result, ref flags);

    /// <inheritdoc cref="TryToUInt32(double, RoundingMode, out uint, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToUInt32(float value, RoundingMode rm, out uint result, ref FloatFlags flags)
        => TryToUInt32((double)value, rm, out result, ref flags);

    /// <inheritdoc cref="TryToInt64(double, RoundingMode, out long, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToInt64(float value, RoundingMode rm, out long result, ref FloatFlags flags)
        => TryToInt64((double)value, rm, out result, ref flags);

    /// <inheritdoc cref="TryToUInt64(double, RoundingMode, out ulong, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryToUInt64(float value, RoundingMode rm, out ulong result, ref FloatFlags flags)
        => TryToUInt64((double)value, rm, out result, ref flags);

    /// <summary>Converts a signed 32-bit integer to binary32 rounding per <paramref name="rm"/> (Inexact when |value| &gt; 2^24 loses bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Int32ToSingle(int value, RoundingMode rm, ref FloatFlags flags)
        => Int64ToSingle(value, rm, ref flags);

    /// <summary>Converts an unsigned 32-bit integer to binary32 rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UInt32ToSingle(uint value, RoundingMode rm, ref FloatFlags flags)
        => UInt64ToSingle(value, rm, ref flags);

    /// <summary>Converts a signed 64-bit integer to binary32 rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Int64ToSingle(long value, RoundingMode rm, ref FloatFlags flags)
    {
        ulong m = value < 0 ? 0UL - (ulong)value : (ulong)value;
        return m <= 1UL << 24 ? value : SingleFromInteger(value < 0, m, rm, ref flags);
    }

    /// <summary>Converts an unsigned 64-bit integer to binary32 rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UInt64ToSingle(ulong value, RoundingMode rm, ref FloatFlags flags)
        => value <= 1UL << 24 ? value : SingleFromInteger(false, value, rm, ref flags);

    /// <summary>Converts a signed 32-bit integer to binary64 (always exact; the mode is accepted for uniformity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Int32ToDouble(int value, RoundingMode rm, ref FloatFlags flags) => value;

    /// <summary>Converts an unsigned 32-bit integer to binary64 (always exact; the mode is accepted for uniformity).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UInt32ToDouble(uint value, RoundingMode rm, ref FloatFlags flags) => value;

    /// <summary>Converts a signed 64-bit integer to binary64 rounding per <paramref name="rm"/> (Inexact when |value| &gt; 2^53 loses bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Int64ToDouble(long value, RoundingMode rm, ref FloatFlags flags)
    {
        ulong m = value < 0 ? 0UL - (ulong)value : (ulong)value;
        return m <= 1UL << 53 ? value : DoubleFromInteger(value < 0, m, rm, ref flags);
    }

    /// <summary>Converts an unsigned 64-bit integer to binary64 rounding per <paramref name="rm"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UInt64ToDouble(ulong value, RoundingMode rm, ref FloatFlags flags)
        => value <= 1UL << 53 ? value : DoubleFromInteger(false, value, rm, ref flags);

    // ------------------------------------------------------------------------------------------------------------
    // NaN classification and comparisons
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// True for a signaling NaN under the IEEE 754-2008 convention (RISC-V, MIPS NAN2008, x86, ARM): a NaN whose most
    /// significant fraction bit (the "quiet" bit, 0x0040_0000) is 0. The default quiet NaN is 0x7FC0_0000.
    /// </summary>
    public static bool IsSignalingNaN(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x7FFF_FFFF) > 0x7F80_0000 && (bits & 0x0040_0000) == 0;
    }

    /// <summary>True for a signaling NaN under the IEEE 754-2008 convention: quiet bit 0x0008_0000_0000_0000 clear.</summary>
    public static bool IsSignalingNaN(double value)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        return (bits & 0x7FFF_FFFF_FFFF_FFFF) > 0x7FF0_0000_0000_0000 && (bits & 0x0008_0000_0000_0000) == 0;
    }

    /// <summary>
    /// True for a signaling NaN under the legacy MIPS convention (MIPS I–V and pre-NAN2008 R2–R5): the most significant
    /// fraction bit set means <em>signaling</em>, clear means quiet. The legacy default quiet NaN is 0x7FBF_FFFF.
    /// </summary>
    public static bool IsSignalingNaNLegacyMips(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (bits & 0x7FFF_FFFF) > 0x7F80_0000 && (bits & 0x0040_0000) != 0;
    }

    /// <summary>Legacy MIPS signaling NaN test for binary64 (quiet bit set means signaling; default quiet NaN 0x7FF7_FFFF_FFFF_FFFF).</summary>
    public static bool IsSignalingNaNLegacyMips(double value)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        return (bits & 0x7FFF_FFFF_FFFF_FFFF) > 0x7FF0_0000_0000_0000 && (bits & 0x0008_0000_0000_0000) != 0;
    }

    /// <summary>Signaling NaN test under the given convention.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSignalingNaN(float value, NaNConvention convention)
        => convention == NaNConvention.LegacyMips ? IsSignalingNaNLegacyMips(value) : IsSignalingNaN(value);

    /// <summary>Signaling NaN test under the given convention.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSignalingNaN(double value, NaNConvention convention)
        => convention == NaNConvention.LegacyMips ? IsSignalingNaNLegacyMips(value) : IsSignalingNaN(value);

    /// <summary>Quiet comparison (IEEE compareQuiet*, RISC-V <c>feq</c>, MIPS <c>c.cond</c> 0–7): raises Invalid only for a signaling NaN operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatRelation CompareQuiet(double a, double b, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        if (a < b)
        {
            return FloatRelation.Less;
        }

        if (a > b)
        {
            return FloatRelation.Greater;
        }

        if (a == b)
        {
            return FloatRelation.Equal;
        }

        if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
        {
            flags |= FloatFlags.Invalid;
        }

        return FloatRelation.Unordered;
    }

    /// <summary>Signaling comparison (IEEE compareSignaling*, RISC-V <c>flt</c>/<c>fle</c>, MIPS <c>c.cond</c> 8–15): raises Invalid for any NaN operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatRelation CompareSignaling(double a, double b, ref FloatFlags flags)
    {
        if (a < b)
        {
            return FloatRelation.Less;
        }

        if (a > b)
        {
            return FloatRelation.Greater;
        }

        if (a == b)
        {
            return FloatRelation.Equal;
        }

        flags |= FloatFlags.Invalid;
        return FloatRelation.Unordered;
    }

    /// <inheritdoc cref="CompareQuiet(double, double, ref FloatFlags, NaNConvention)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatRelation CompareQuiet(float a, float b, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return FloatRelation.Unordered;
        }

        return a < b ? FloatRelation.Less : a > b ? FloatRelation.Greater : FloatRelation.Equal;
    }

    /// <inheritdoc cref="CompareSignaling(double, double, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FloatRelation CompareSignaling(float a, float b, ref FloatFlags flags)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            flags |= FloatFlags.Invalid;
            return FloatRelation.Unordered;
        }

        return a < b ? FloatRelation.Less : a > b ? FloatRelation.Greater : FloatRelation.Equal;
    }

    /// <summary>Quiet equality (RISC-V <c>feq</c>): false for NaNs, Invalid only for a signaling NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualQuiet(double a, double b, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
        => CompareQuiet(a, b, ref flags, nan) == FloatRelation.Equal;

    /// <summary>Signaling less-than (RISC-V <c>flt</c>): false for NaNs, Invalid for any NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanSignaling(double a, double b, ref FloatFlags flags)
        => CompareSignaling(a, b, ref flags) == FloatRelation.Less;

    /// <summary>Signaling less-or-equal (RISC-V <c>fle</c>): false for NaNs, Invalid for any NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessOrEqualSignaling(double a, double b, ref FloatFlags flags)
        => CompareSignaling(a, b, ref flags) is FloatRelation.Less or FloatRelation.Equal;

    /// <inheritdoc cref="EqualQuiet(double, double, ref FloatFlags, NaNConvention)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualQuiet(float a, float b, ref FloatFlags flags, NaNConvention nan = NaNConvention.Ieee2008)
        => CompareQuiet(a, b, ref flags, nan) == FloatRelation.Equal;

    /// <inheritdoc cref="LessThanSignaling(double, double, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThanSignaling(float a, float b, ref FloatFlags flags)
        => CompareSignaling(a, b, ref flags) == FloatRelation.Less;

    /// <inheritdoc cref="LessOrEqualSignaling(double, double, ref FloatFlags)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessOrEqualSignaling(float a, float b, ref FloatFlags flags)
        => CompareSignaling(a, b, ref flags) is FloatRelation.Less or FloatRelation.Equal;

    // ------------------------------------------------------------------------------------------------------------
    // Slow paths: binary64
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Adjusts the round-to-nearest-even result <paramref name="r"/> (finite, normal, not at an underflow boundary) for
    /// the directed mode <paramref name="rm"/>, given <paramref name="e"/> with the sign of (exact − r), nonzero.
    /// When <paramref name="tieCheck"/> is set, <paramref name="e"/> is the exact error, used to find ties for
    /// <see cref="RoundingMode.NearestMaxMagnitude"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Directed(double r, double e, RoundingMode rm, bool tieCheck, ref FloatFlags flags)
    {
        switch (rm)
        {
            case RoundingMode.Up:
                if (e > 0)
                {
                    r = Math.BitIncrement(r);
                }

                break;
            case RoundingMode.Down:
                if (e < 0)
                {
                    r = Math.BitDecrement(r);
                }

                break;
            case RoundingMode.TowardZero:
                if (r > 0 && e < 0)
                {
                    r = Math.BitDecrement(r);
                }
                else if (r < 0 && e > 0)
                {
                    r = Math.BitIncrement(r);
                }

                break;
            case RoundingMode.NearestMaxMagnitude:
                if (tieCheck && (r > 0 ? e > 0 : e < 0))
                {
                    double n = r > 0 ? Math.BitIncrement(r) : Math.BitDecrement(r);
                    if (n - r == 2 * e)
                    {
                        r = n; // exactly halfway and even rounding went toward zero: go away from zero
                    }
                }

                break;
        }

        if (double.IsInfinity(r))
        {
            flags |= FloatFlags.Overflow; // stepped off ±MaxValue
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double AddDirected(double a, double b, double s, double e, RoundingMode rm, ref FloatFlags flags)
    {
        if (!double.IsFinite(e))
        {
            // An intermediate of 2Sum overflowed (only possible near ±MaxValue). Fast2Sum on the operands ordered by
            // magnitude cannot overflow: s - x is exact and so is y - (s - x).
            (double x, double y) = Math.Abs(a) >= Math.Abs(b) ? (a, b) : (b, a);
            e = y - (s - x);
        }

        return Directed(s, e, rm, true, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double AddSpecial(double a, double b, double s, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(s))
        {
            if (!double.IsNaN(a) && !double.IsNaN(b))
            {
                flags |= FloatFlags.Invalid; // ∞ + (−∞)
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return s;
        }

        if (double.IsInfinity(a) || double.IsInfinity(b))
        {
            return s; // exact infinity
        }

        // |a + b| >= MaxValue + ulp/2. Directions that round toward zero give ±MaxValue, and overflow only when
        // |a + b| >= 2^1024: decide that at half scale (halving is exact, both operands are at least 2^970 here).
        bool negative = s < 0;
        if (!OverflowToInfinity(negative, rm))
        {
            double ha = a * 0.5;
            double hb = b * 0.5;
            double h = ha + hb;
            double bb = h - ha;
            double e = (ha - (h - bb)) + (hb - bb);
            double ah = Math.Abs(h);
            if (ah < TwoPow1023 || (ah == TwoPow1023 && (h > 0 ? e < 0 : e > 0)))
            {
                flags |= FloatFlags.Inexact;
                return negative ? -double.MaxValue : double.MaxValue;
            }
        }

        return OverflowDouble(negative, rm, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double MulSlow(double a, double b, double r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(r))
        {
            if (!double.IsNaN(a) && !double.IsNaN(b))
            {
                flags |= FloatFlags.Invalid; // 0 × ∞
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return r;
        }

        if (a == 0 || b == 0 || double.IsInfinity(a) || double.IsInfinity(b))
        {
            return r; // exact signed zero or infinity
        }

        // Finite nonzero operands; the result overflows or is near/below the underflow threshold.
        ulong ma = Decompose(a, out int ea);
        ulong mb = Decompose(b, out int eb);
        UInt128 p = (UInt128)ma * mb;
        int exp = ea + eb;
        bool sticky = false;
        ulong sig = Compress(p, ref exp, ref sticky);
        return BitConverter.UInt64BitsToDouble(RoundCore((a < 0) ^ (b < 0), sig, exp, sticky, rm, true, ref flags));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double DivSlow(double a, double b, double q, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(q))
        {
            if (!double.IsNaN(a) && !double.IsNaN(b))
            {
                flags |= FloatFlags.Invalid; // 0/0, ∞/∞
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return q;
        }

        if (double.IsInfinity(a))
        {
            return q; // ∞ / finite
        }

        if (b == 0)
        {
            flags |= FloatFlags.DivideByZero; // finite nonzero / 0
            return q;
        }

        if (a == 0 || double.IsInfinity(b))
        {
            return q; // exact zero
        }

        ulong ma = Decompose(a, out int ea);
        ulong mb = Decompose(b, out int eb);
        int sa = BitOperations.LeadingZeroCount(ma) - 11; // normalize both to 53 significant bits
        int sb = BitOperations.LeadingZeroCount(mb) - 11;
        ma <<= sa;
        mb <<= sb;
        ea -= sa;
        eb -= sb;
        UInt128 n = (UInt128)ma << 64;
        UInt128 quo = n / mb; // in (2^63, 2^65)
        bool sticky = n - (quo * mb) != 0;
        int exp = ea - 64 - eb;
        ulong sig = Compress(quo, ref exp, ref sticky);
        return BitConverter.UInt64BitsToDouble(RoundCore((a < 0) ^ (b < 0), sig, exp, sticky, rm, true, ref flags));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double SqrtSlow(double a, double r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(a))
        {
            if (IsSignalingNaN(a, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return r;
        }

        if (a == 0 || double.IsPositiveInfinity(a))
        {
            return r; // √±0 = ±0, √+∞ = +∞
        }

        if (a < 0)
        {
            flags |= FloatFlags.Invalid;
            return r;
        }

        // 0 < a < 2^-900: scale by an even power of two into the fast range; √ results are normal, so the
        // scaled-back result is exact and rounds identically.
        return Sqrt(a * TwoPow600, rm, ref flags) * TwoPowM300;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double FmaSlow(double a, double b, double c, double r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(a) || double.IsNaN(b) || double.IsNaN(c))
        {
            if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan) || IsSignalingNaN(c, nan)
                || (double.IsInfinity(a) && b == 0) || (a == 0 && double.IsInfinity(b)))
            {
                flags |= FloatFlags.Invalid;
            }

            return r;
        }

        if (double.IsNaN(r))
        {
            flags |= FloatFlags.Invalid; // 0 × ∞ + c, or ∞ − ∞
            return r;
        }

        if (double.IsInfinity(a) || double.IsInfinity(b) || double.IsInfinity(c))
        {
            return r; // exact infinity
        }

        if (a == 0 || b == 0)
        {
            double p = a * b; // signed zero
            if (c != 0)
            {
                return c;
            }

            return rm == RoundingMode.Down ? -(-p + -c) : p + c;
        }

        if (c == 0)
        {
            return Mul(a, b, rm, ref flags, nan);
        }

        return SoftFma(a, b, c, rm, ref flags);
    }

    /// <summary>Exact a*b + c for finite nonzero operands, rounded once.</summary>
    private static double SoftFma(double a, double b, double c, RoundingMode rm, ref FloatFlags flags)
    {
        ulong ma = Decompose(a, out int ea);
        ulong mb = Decompose(b, out int eb);
        ulong mc = Decompose(c, out int ec);
        UInt128 p = (UInt128)ma * mb;
        int ep = ea + eb;
        bool negP = (a < 0) ^ (b < 0);
        bool negC = c < 0;
        int lenP = 128 - (int)UInt128.LeadingZeroCount(p);
        int lenC = 64 - BitOperations.LeadingZeroCount(mc);

        UInt128 x, y;
        int ex, ey, lenX;
        bool negX, negY;
        if (ep + lenP >= ec + lenC)
        {
            (x, ex, lenX, negX, y, ey, negY) = (p, ep, lenP, negP, mc, ec, negC);
        }
        else
        {
            (x, ex, lenX, negX, y, ey, negY) = (mc, ec, lenC, negC, p, ep, negP);
        }

        // Place x with its top bit at bit 125; align y to the same unit, collecting bits shifted out in sticky.
        int sx = 126 - lenX;
        x <<= sx;
        int exp = ex - sx;
        int d = ey - exp;
        bool sticky = false;
        if (d >= 0)
        {
            y <<= d; // y's top bit is not above x's
        }
        else if (d > -128)
        {
            sticky = (y & ((UInt128.One << -d) - 1)) != 0;
            y >>= -d;
        }
        else
        {
            sticky = true;
            y = 0;
        }

        UInt128 m;
        bool neg;
        if (negX == negY)
        {
            m = x + y;
            neg = negX;
        }
        else if (sticky || x > y)
        {
            // With sticky, y lost bits only because it lies far below x, so x > y; the true difference is
            // x - y - (fraction) = (x - y - 1) + (1 - fraction).
            m = x - y - (sticky ? UInt128.One : UInt128.Zero);
            neg = negX;
        }
        else if (y > x)
        {
            m = y - x;
            neg = negY;
        }
        else
        {
            return rm == RoundingMode.Down ? -0.0 : 0.0; // exact cancellation
        }

        ulong sig = Compress(m, ref exp, ref sticky);
        return BitConverter.UInt64BitsToDouble(RoundCore(neg, sig, exp, sticky, rm, true, ref flags));
    }

    private static double OverflowDouble(bool negative, RoundingMode rm, ref FloatFlags flags)
    {
        flags |= FloatFlags.Overflow | FloatFlags.Inexact;
        ulong mag = OverflowToInfinity(negative, rm) ? 0x7FF0_0000_0000_0000UL : 0x7FEF_FFFF_FFFF_FFFFUL;
        return BitConverter.UInt64BitsToDouble(negative ? mag | (1UL << 63) : mag);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Slow paths: binary32
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>binary32 counterpart of <see cref="Directed(double, double, RoundingMode, bool, ref FloatFlags)"/>; <paramref name="e"/> is a binary64 error.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Directed(float r, double e, RoundingMode rm, bool tieCheck, ref FloatFlags flags)
    {
        switch (rm)
        {
            case RoundingMode.Up:
                if (e > 0)
                {
                    r = MathF.BitIncrement(r);
                }

                break;
            case RoundingMode.Down:
                if (e < 0)
                {
                    r = MathF.BitDecrement(r);
                }

                break;
            case RoundingMode.TowardZero:
                if (r > 0 && e < 0)
                {
                    r = MathF.BitDecrement(r);
                }
                else if (r < 0 && e > 0)
                {
                    r = MathF.BitIncrement(r);
                }

                break;
            case RoundingMode.NearestMaxMagnitude:
                if (tieCheck && (r > 0 ? e > 0 : e < 0))
                {
                    float n = r > 0 ? MathF.BitIncrement(r) : MathF.BitDecrement(r);
                    if ((double)n - r == 2 * e)
                    {
                        r = n;
                    }
                }

                break;
        }

        if (float.IsInfinity(r))
        {
            flags |= FloatFlags.Overflow;
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float AddDirected(float a, float b, float s, float e, RoundingMode rm, ref FloatFlags flags)
    {
        if (!float.IsFinite(e))
        {
            (float x, float y) = MathF.Abs(a) >= MathF.Abs(b) ? (a, b) : (b, a);
            e = y - (s - x);
        }

        return Directed(s, e, rm, true, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float AddSpecial(float a, float b, float s, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (float.IsNaN(s))
        {
            if (!float.IsNaN(a) && !float.IsNaN(b))
            {
                flags |= FloatFlags.Invalid;
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return s;
        }

        if (float.IsInfinity(a) || float.IsInfinity(b))
        {
            return s;
        }

        // Overflow: round the exact binary64 pair (directions toward zero may give ±MaxValue without overflow).
        double sd = (double)a + b;
        double bb = sd - a;
        double t = (a - (sd - bb)) + (b - bb);
        return RoundPairToSingle(sd, t, rm, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float MulSlow(float a, float b, double p, float r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(p))
        {
            if (!float.IsNaN(a) && !float.IsNaN(b))
            {
                flags |= FloatFlags.Invalid;
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return a * b;
        }

        float ar = MathF.Abs(r);
        if (ar > MinNormalF && ar <= float.MaxValue)
        {
            flags |= FloatFlags.Inexact;
            return Directed(r, p - r, rm, true, ref flags);
        }

        return RoundPairToSingle(p, 0, rm, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float DivSlow(float a, float b, double q, float r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (float.IsNaN(r))
        {
            if (!float.IsNaN(a) && !float.IsNaN(b))
            {
                flags |= FloatFlags.Invalid;
            }
            else if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return r;
        }

        if (float.IsInfinity(a))
        {
            return r;
        }

        if (b == 0)
        {
            flags |= FloatFlags.DivideByZero;
            return r;
        }

        if (a == 0 || float.IsInfinity(b))
        {
            return r;
        }

        float ar = MathF.Abs(r);
        if (ar > MinNormalF && ar <= float.MaxValue)
        {
            flags |= FloatFlags.Inexact;
            return rm is NE or RoundingMode.NearestMaxMagnitude ? r : Directed(r, q - r, rm, false, ref flags);
        }

        return RoundPairToSingle(q, 0, rm, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float SqrtSlow(float a, double d, float r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(d))
        {
            if (!float.IsNaN(a) || IsSignalingNaN(a, nan))
            {
                flags |= FloatFlags.Invalid; // negative operand or signaling NaN
            }

            return r;
        }

        flags |= FloatFlags.Inexact; // square roots of binary32 values are normal: no underflow/overflow
        return Directed(r, d - r, rm, false, ref flags);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaSlow(float a, float b, float c, double s, double t, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (!float.IsFinite(a) || !float.IsFinite(b) || !float.IsFinite(c))
        {
            float hr = MathF.FusedMultiplyAdd(a, b, c);
            if (float.IsNaN(a) || float.IsNaN(b) || float.IsNaN(c))
            {
                if (IsSignalingNaN(a, nan) || IsSignalingNaN(b, nan) || IsSignalingNaN(c, nan)
                    || (float.IsInfinity(a) && b == 0) || (a == 0 && float.IsInfinity(b)))
                {
                    flags |= FloatFlags.Invalid;
                }
            }
            else if (float.IsNaN(hr))
            {
                flags |= FloatFlags.Invalid; // 0 × ∞ + c, or ∞ − ∞
            }

            return hr;
        }

        return RoundPairToSingle(s, t, rm, ref flags); // s != 0 here: exact results returned earlier
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float ToSingleSlow(double value, float r, RoundingMode rm, ref FloatFlags flags, NaNConvention nan)
    {
        if (double.IsNaN(value))
        {
            if (IsSignalingNaN(value, nan))
            {
                flags |= FloatFlags.Invalid;
            }

            return r;
        }

        float ar = MathF.Abs(r);
        if (ar > MinNormalF && ar <= float.MaxValue)
        {
            flags |= FloatFlags.Inexact;
            return Directed(r, value - r, rm, true, ref flags);
        }

        return RoundPairToSingle(value, 0, rm, ref flags);
    }

    /// <summary>
    /// Rounds hi + lo to binary32, where hi is a finite nonzero binary64 and |lo| ≤ ulp(hi)/2 (only lo's sign and
    /// whether it is zero matter, so lo may also be an approximation with the right sign).
    /// </summary>
    private static float RoundPairToSingle(double hi, double lo, RoundingMode rm, ref FloatFlags flags)
    {
        ulong sig = Decompose(hi, out int exp);
        bool sticky = lo != 0;
        if (sticky && (lo < 0) != (hi < 0))
        {
            sig--; // |hi + lo| = (sig - 1 + fraction) * 2^exp with 0 < fraction < 1
        }

        return BitConverter.UInt32BitsToSingle((uint)RoundCore(hi < 0, sig, exp, sticky, rm, false, ref flags));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float SingleFromInteger(bool negative, ulong magnitude, RoundingMode rm, ref FloatFlags flags)
        => BitConverter.UInt32BitsToSingle((uint)RoundCore(negative, magnitude, 0, false, rm, false, ref flags));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double DoubleFromInteger(bool negative, ulong magnitude, RoundingMode rm, ref FloatFlags flags)
        => BitConverter.UInt64BitsToDouble(RoundCore(negative, magnitude, 0, false, rm, true, ref flags));

    // ------------------------------------------------------------------------------------------------------------
    // Exact rounding core
    // ------------------------------------------------------------------------------------------------------------

    private static bool OverflowToInfinity(bool negative, RoundingMode rm) => rm switch
    {
        RoundingMode.TowardZero => false,
        RoundingMode.Up => !negative,
        RoundingMode.Down => negative,
        _ => true,
    };

    /// <summary>Splits a finite binary64 into an integer significand and exponent: |x| = sig × 2^exp.</summary>
    private static ulong Decompose(double x, out int exp)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(x);
        int be = (int)(bits >> 52) & 0x7FF;
        ulong m = bits & 0x000F_FFFF_FFFF_FFFFUL;
        if (be == 0)
        {
            exp = -1074;
            return m;
        }

        exp = be - 1075;
        return m | (1UL << 52);
    }

    /// <summary>Shrinks a 128-bit significand to 64 bits, moving the dropped bits into <paramref name="sticky"/>.</summary>
    private static ulong Compress(UInt128 m, ref int exp, ref bool sticky)
    {
        ulong hi = (ulong)(m >> 64);
        if (hi == 0)
        {
            return (ulong)m;
        }

        int shift = 64 - BitOperations.LeadingZeroCount(hi);
        sticky |= (m & ((UInt128.One << shift) - 1)) != 0;
        exp += shift;
        return (ulong)(m >> shift);
    }

    private static bool RoundsUp(RoundingMode rm, bool negative, ulong kept, ulong rem, ulong half, bool sticky) => rm switch
    {
        RoundingMode.TowardZero => false,
        RoundingMode.Up => !negative && (rem != 0 || sticky),
        RoundingMode.Down => negative && (rem != 0 || sticky),
        RoundingMode.NearestMaxMagnitude => rem >= half,
        _ => rem > half || (rem == half && (sticky || (kept & 1) != 0)),
    };

    /// <summary>
    /// Rounds (−1)^negative × (sig + f) × 2^exp, where f is 0 if !sticky and strictly between 0 and 1 otherwise,
    /// to binary32 or binary64 and returns the encoding. When sticky is set, sig must have at least p + 2
    /// significant bits so the fraction lies below the rounding position. A zero sig (exact zero) gives a
    /// signed zero.
    /// </summary>
    private static ulong RoundCore(bool negative, ulong sig, int exp, bool sticky, RoundingMode rm, bool isDouble, ref FloatFlags flags)
    {
        int p = isDouble ? 53 : 24;
        int emin = isDouble ? -1022 : -126;
        int emax = isDouble ? 1023 : 127;
        ulong signBit = negative ? (isDouble ? 1UL << 63 : 1UL << 31) : 0;
        if (sig == 0)
        {
            Debug.Assert(!sticky, "a sticky fraction needs a significand");
            return signBit;
        }

        Debug.Assert(!sticky || sig >= 1UL << (p + 1), "too few significand bits for a sticky fraction");

        // Normalize the top bit to bit 62.
        int lz = BitOperations.LeadingZeroCount(sig);
        if (lz == 0)
        {
            sticky |= (sig & 1) != 0;
            sig >>= 1;
            exp++;
        }
        else if (lz > 1)
        {
            sig <<= lz - 1;
            exp -= lz - 1;
        }

        int e = exp + 62; // 2^e <= |value| < 2^(e+1)
        int qmin = emin - p + 1; // exponent of the smallest subnormal
        int q = Math.Max(e - p + 1, qmin); // exponent of the result's last place
        int shift = q - exp; // >= 63 - p

        ulong kept;
        bool inexact, up;
        if (shift >= 64)
        {
            kept = 0;
            inexact = true;
            up = RoundsUp(rm, negative, 0, 1, 2, false); // below half a unit: only directed modes round away
        }
        else
        {
            ulong rem = sig & ((1UL << shift) - 1);
            kept = sig >> shift;
            inexact = rem != 0 || sticky;
            up = RoundsUp(rm, negative, kept, rem, 1UL << (shift - 1), sticky);
        }

        ulong r = kept + (up ? 1UL : 0UL);
        if (r == 1UL << p)
        {
            r >>= 1;
            q++;
        }

        if (r >= 1UL << (p - 1) && q + p - 1 > emax)
        {
            flags |= FloatFlags.Overflow | FloatFlags.Inexact;
            ulong inf = isDouble ? 0x7FF0_0000_0000_0000UL : 0x7F80_0000UL;
            return signBit | (OverflowToInfinity(negative, rm) ? inf : inf - 1);
        }

        if (inexact)
        {
            flags |= FloatFlags.Inexact;
            if (e < emin)
            {
                bool tiny = true;
                if (e == emin - 1)
                {
                    // Tininess after rounding: would rounding to p bits with unbounded exponent reach 2^emin?
                    int su = 63 - p;
                    ulong ku = sig >> su;
                    bool upU = RoundsUp(rm, negative, ku, sig & ((1UL << su) - 1), 1UL << (su - 1), sticky);
                    tiny = !(upU && ku == (1UL << p) - 1);
                }

                if (tiny)
                {
                    flags |= FloatFlags.Underflow;
                }
            }
        }

        // For a normal r the hidden bit carries into the exponent field, so this encodes both cases.
        return signBit | (((ulong)(q - qmin) << (p - 1)) + r);
    }
}
