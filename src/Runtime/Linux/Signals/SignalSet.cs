using System.Buffers.Binary;

namespace Isa.Runtime.Linux.Signals;

/// <summary>
/// A set of guest signals, bit <c>n - 1</c> for signal <c>n</c> (up to 128, MIPS's <c>_NSIG</c>).
/// In guest memory it is the kernel's <c>sigset_t</c>: an array of ABI words in guest byte order.
/// </summary>
public readonly record struct SignalSet(UInt128 Bits)
{
    public static SignalSet Empty => default;

    public bool IsEmpty => Bits == UInt128.Zero;

    public bool Contains(int signal) => signal is > 0 and <= 128 && ((Bits >> (signal - 1)) & UInt128.One) != UInt128.Zero;

    public SignalSet With(int signal) => signal is > 0 and <= 128 ? new(Bits | (UInt128.One << (signal - 1))) : this;

    public SignalSet Without(int signal) => signal is > 0 and <= 128 ? new(Bits & ~(UInt128.One << (signal - 1))) : this;

    public SignalSet Union(SignalSet other) => new(Bits | other.Bits);

    public SignalSet Except(SignalSet other) => new(Bits & ~other.Bits);

    public SignalSet Intersect(SignalSet other) => new(Bits & other.Bits);

    /// <summary>The lowest signal in the set, or 0.</summary>
    public int Lowest => IsEmpty ? 0 : (int)UInt128.TrailingZeroCount(Bits) + 1;

    /// <summary>Reads a guest <c>sigset_t</c> of <paramref name="source"/>'s length made of <paramref name="wordBytes"/>-byte words.</summary>
    public static SignalSet Read(ReadOnlySpan<byte> source, int wordBytes, bool bigEndian)
    {
        UInt128 bits = UInt128.Zero;
        for (int word = 0; (word + 1) * wordBytes <= source.Length && word * wordBytes < 16; word++)
        {
            ReadOnlySpan<byte> w = source.Slice(word * wordBytes, wordBytes);
            ulong value = wordBytes == 8
                ? (bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(w) : BinaryPrimitives.ReadUInt64LittleEndian(w))
                : (bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(w) : BinaryPrimitives.ReadUInt32LittleEndian(w));
            bits |= (UInt128)value << (word * wordBytes * 8);
        }

        return new SignalSet(bits);
    }

    /// <summary>Writes the set as a guest <c>sigset_t</c> filling <paramref name="target"/>.</summary>
    public void Write(Span<byte> target, int wordBytes, bool bigEndian)
    {
        target.Clear();
        var w = new GuestStructWriter(target, bigEndian);
        for (int word = 0; (word + 1) * wordBytes <= target.Length && word * wordBytes < 16; word++)
        {
            ulong value = (ulong)(Bits >> (word * wordBytes * 8));
            if (wordBytes == 8)
            {
                w.U64(word * 8, value);
            }
            else
            {
                w.U32(word * 4, (uint)value);
            }
        }
    }
}
