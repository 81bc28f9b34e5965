using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Isa.Runtime.Cpu;

/// <summary>Bit operations on values of any width up to 64, as the spec language's builtins define them.</summary>
public static class GuestBits
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LeadingZeros(uint value, int width) => (uint)(BitOperations.LeadingZeroCount(value) - (32 - width));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong LeadingZeros(ulong value, int width) => (ulong)(BitOperations.LeadingZeroCount(value) - (64 - width));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint TrailingZeros(uint value, int width) => value == 0 ? (uint)width : (uint)BitOperations.TrailingZeroCount(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong TrailingZeros(ulong value, int width) => value == 0 ? (ulong)width : (ulong)BitOperations.TrailingZeroCount(value);

    public static uint Reverse(uint value, int width) => (uint)(Reverse((ulong)value, 64) >> (64 - width));

    public static ulong Reverse(ulong value, int width)
    {
        ulong v = value;
        v = ((v >> 1) & 0x5555555555555555UL) | ((v & 0x5555555555555555UL) << 1);
        v = ((v >> 2) & 0x3333333333333333UL) | ((v & 0x3333333333333333UL) << 2);
        v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((v & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(v) >> (64 - width);
    }

    /// <summary>Reverses the bytes of a value <paramref name="width"/> bits wide (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SwapBytes(uint value, int width) => width == 32 ? BinaryPrimitives.ReverseEndianness(value) : BinaryPrimitives.ReverseEndianness(value) >> (32 - width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SwapBytes(ulong value, int width) => BinaryPrimitives.ReverseEndianness(value) >> (64 - width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateRight(uint value, int amount, int width) => width == 32
        ? BitOperations.RotateRight(value, amount)
        : (uint)RotateRight((ulong)value, amount, width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RotateRight(ulong value, int amount, int width)
    {
        if (width == 64)
        {
            return BitOperations.RotateRight(value, amount);
        }

        int n = amount % width;
        ulong mask = (1UL << width) - 1;
        return n == 0 ? value : ((value >> n) | (value << (width - n))) & mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RotateLeft(uint value, int amount, int width) => RotateRight(value, width - (amount % width), width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RotateLeft(ulong value, int amount, int width) => RotateRight(value, width - (amount % width), width);
}
