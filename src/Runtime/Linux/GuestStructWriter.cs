using System.Buffers.Binary;

namespace Isa.Runtime.Linux;

/// <summary>Writes fields of a guest structure at byte offsets in the guest's byte order.</summary>
public readonly ref struct GuestStructWriter(Span<byte> target, bool bigEndian)
{
    private readonly Span<byte> _target = target;

    public void U16(int offset, ushort value)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_target[offset..], value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_target[offset..], value);
        }
    }

    public void U32(int offset, uint value)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_target[offset..], value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_target[offset..], value);
        }
    }

    public void U64(int offset, ulong value)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_target[offset..], value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_target[offset..], value);
        }
    }
}
