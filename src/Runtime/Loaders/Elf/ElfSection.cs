namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// One section header with its contents. <paramref name="Data"/> is the section's slice of the
/// image (checked to lie inside the file); SHT_NOBITS and SHT_NULL sections occupy no file bytes,
/// so theirs is empty even when <paramref name="Size"/> is not.
/// </summary>
public sealed record ElfSection(
    int Index,
    string Name,
    ElfSectionType Type,
    ElfSectionFlags Flags,
    ulong Address,
    ulong Offset,
    ulong Size,
    uint Link,
    uint Info,
    ulong Alignment,
    ulong EntrySize,
    ReadOnlyMemory<byte> Data)
{
    /// <summary>True if <paramref name="address"/> falls inside the section's memory image.</summary>
    public bool Contains(ulong address) => address >= Address && address - Address < Size;
}
