using System.Runtime.CompilerServices;

namespace Isa.Runtime.FloatingPoint;

/// <summary>
/// The spec language's floating-point builtins that are not plain IEEE operations: sign-bit
/// operations, and conversions to integers that saturate (NaN and too-large values give the
/// largest value, too-small ones the smallest) and raise Invalid, as RISC-V defines them.
/// ISAs with other out-of-range results test the Invalid flag in their semantics.
/// </summary>
public static class GuestFloat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Abs(float value) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) & 0x7FFF_FFFF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Abs(double value) => BitConverter.UInt64BitsToDouble(BitConverter.DoubleToUInt64Bits(value) & 0x7FFF_FFFF_FFFF_FFFF);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Negate(float value) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) ^ 0x8000_0000);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Negate(double value) => BitConverter.UInt64BitsToDouble(BitConverter.DoubleToUInt64Bits(value) ^ 0x8000_0000_0000_0000);

    public static int ToInt32(double value, RoundingMode rm, ref FloatFlags flags)
        => IeeeFloat.TryToInt32(value, rm, out int result, ref flags) ? result : (value < 0 ? int.MinValue : int.MaxValue);

    public static int ToInt32(float value, RoundingMode rm, ref FloatFlags flags) => ToInt32((double)value, rm, ref flags);

    public static uint ToUInt32(double value, RoundingMode rm, ref FloatFlags flags)
        => IeeeFloat.TryToUInt32(value, rm, out uint result, ref flags) ? result : (value < 0 ? 0 : uint.MaxValue);

    public static uint ToUInt32(float value, RoundingMode rm, ref FloatFlags flags) => ToUInt32((double)value, rm, ref flags);

    public static long ToInt64(double value, RoundingMode rm, ref FloatFlags flags)
        => IeeeFloat.TryToInt64(value, rm, out long result, ref flags) ? result : (value < 0 ? long.MinValue : long.MaxValue);

    public static long ToInt64(float value, RoundingMode rm, ref FloatFlags flags) => ToInt64((double)value, rm, ref flags);

    public static ulong ToUInt64(double value, RoundingMode rm, ref FloatFlags flags)
        => IeeeFloat.TryToUInt64(value, rm, out ulong result, ref flags) ? result : (value < 0 ? 0 : ulong.MaxValue);

    public static ulong ToUInt64(float value, RoundingMode rm, ref FloatFlags flags) => ToUInt64((double)value, rm, ref flags);

    public static float ToSingle(int value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.Int32ToSingle(value, rm, ref flags);

    public static float ToSingle(uint value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.UInt32ToSingle(value, rm, ref flags);

    public static float ToSingle(long value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.Int64ToSingle(value, rm, ref flags);

    public static float ToSingle(ulong value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.UInt64ToSingle(value, rm, ref flags);

    public static double ToDouble(int value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.Int32ToDouble(value, rm, ref flags);

    public static double ToDouble(uint value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.UInt32ToDouble(value, rm, ref flags);

    public static double ToDouble(long value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.Int64ToDouble(value, rm, ref flags);

    public static double ToDouble(ulong value, RoundingMode rm, ref FloatFlags flags) => IeeeFloat.UInt64ToDouble(value, rm, ref flags);
}
