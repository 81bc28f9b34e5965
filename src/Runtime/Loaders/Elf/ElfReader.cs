using System.Buffers.Binary;
using Isa.Runtime.Cpu;

namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// The image seen through the file's byte order, handing out only ranges it has checked. The parser
/// asks here for whole records and tables, so a lying offset, size or count becomes an
/// <see cref="ElfFormatException"/> that names the piece instead of an index or overflow exception;
/// fields are then read at fixed offsets inside records already known to be long enough.
/// All range arithmetic is on 64-bit values that cannot overflow for 32-bit fields.
/// </summary>
internal readonly struct ElfReader
{
    private readonly ReadOnlyMemory<byte> _image;
    private readonly Endianness _endianness;
    private readonly string? _path;

    public ElfReader(ReadOnlyMemory<byte> image, Endianness endianness, string? path)
    {
        _image = image;
        _endianness = endianness;
        _path = path;
    }

    public ReadOnlyMemory<byte> Image => _image;

    public Endianness Endianness => _endianness;

    public string? Path => _path;

    private ulong Length => (ulong)_image.Length;

    public ElfReader WithEndianness(Endianness endianness) => new(_image, endianness, _path);

    public ElfFormatException Error(string problem) => new(_path, problem);

    /// <summary>The bytes [offset, offset + size) of the file, or an error naming <paramref name="part"/>.</summary>
    public ReadOnlyMemory<byte> Slice(ulong offset, ulong size, ElfPart part)
    {
        if (offset > Length || size > Length - offset)
        {
            throw Truncated(offset, size, part);
        }

        return _image.Slice((int)offset, (int)size);
    }

    public ReadOnlySpan<byte> Record(ulong offset, ulong size, ElfPart part) => Slice(offset, size, part).Span;

    /// <summary>
    /// A table of <paramref name="count"/> entries. If it does not fit, the error names the first entry
    /// that does not, so a huge count fails before anything is allocated for it.
    /// </summary>
    public ReadOnlySpan<byte> Table(ulong offset, ulong count, int entrySize, string entryKind)
    {
        if (count == 0)
        {
            return [];
        }

        ulong fitting = offset > Length ? 0 : (Length - offset) / (ulong)entrySize;
        if (count > fitting)
        {
            throw Truncated(offset + (fitting * (ulong)entrySize), (ulong)entrySize, new ElfPart(entryKind, (long)fitting));
        }

        return _image.Span.Slice((int)offset, (int)(count * (ulong)entrySize));
    }

    private ElfFormatException Truncated(ulong offset, ulong size, ElfPart part) =>
        Error($"truncated: {part} at offset 0x{offset:x} (0x{size:x} bytes) extends past the end of the file (size 0x{Length:x})");

    public ushort U16(ReadOnlySpan<byte> record, int at) => _endianness == Endianness.Little
        ? BinaryPrimitives.ReadUInt16LittleEndian(record[at..])
        : BinaryPrimitives.ReadUInt16BigEndian(record[at..]);

    public uint U32(ReadOnlySpan<byte> record, int at) => _endianness == Endianness.Little
        ? BinaryPrimitives.ReadUInt32LittleEndian(record[at..])
        : BinaryPrimitives.ReadUInt32BigEndian(record[at..]);
}
