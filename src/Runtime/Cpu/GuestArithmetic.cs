using System.Runtime.CompilerServices;

namespace Isa.Runtime.Cpu;

/// <summary>
/// Integer division as the spec language defines it: total, never throwing. Division by zero
/// gives all ones (unsigned) or -1 (signed) and the remainder is the dividend; MIN / -1 gives MIN
/// with remainder 0. These are RISC-V's results; ISAs that differ say so in their semantics.
/// </summary>
public static class GuestArithmetic
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Divide(uint a, uint b) => b == 0 ? uint.MaxValue : a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Divide(ulong a, ulong b) => b == 0 ? ulong.MaxValue : a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Divide(int a, int b) => b == 0 ? -1 : (b == -1 ? unchecked(0 - a) : a / b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Divide(long a, long b) => b == 0 ? -1 : (b == -1 ? unchecked(0 - a) : a / b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Remainder(uint a, uint b) => b == 0 ? a : a % b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Remainder(ulong a, ulong b) => b == 0 ? a : a % b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Remainder(int a, int b) => b == 0 ? a : (b == -1 ? 0 : a % b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Remainder(long a, long b) => b == 0 ? a : (b == -1 ? 0 : a % b);
}
