using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Isa.Runtime.Cpu;

public enum Endianness
{
    Little,
    Big,
}

/// <summary>
/// The guest's byte order as a type parameter: generated interpreters are generic over it, so one
/// spec yields a little- and a big-endian CPU and the JIT specialises the swap away.
/// </summary>
public interface IByteOrder
{
    static abstract Endianness Endianness { get; }

    static abstract ushort Convert16(ushort value);

    static abstract uint Convert32(uint value);

    static abstract ulong Convert64(ulong value);
}

public readonly struct LittleEndian : IByteOrder
{
    public static Endianness Endianness => Endianness.Little;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Convert16(ushort value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Convert32(uint value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Convert64(ulong value) => value;
}

public readonly struct BigEndian : IByteOrder
{
    public static Endianness Endianness => Endianness.Big;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Convert16(ushort value) => BinaryPrimitives.ReverseEndianness(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Convert32(uint value) => BinaryPrimitives.ReverseEndianness(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Convert64(ulong value) => BinaryPrimitives.ReverseEndianness(value);
}
