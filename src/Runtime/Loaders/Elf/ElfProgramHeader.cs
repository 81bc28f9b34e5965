namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// One program header (segment): what a loader maps. <paramref name="Data"/> is the segment's
/// <paramref name="FileSize"/> bytes of the image, already checked to lie inside the file, so a
/// loader copies it without further bounds checks; the rest up to <paramref name="MemorySize"/> is zero.
/// </summary>
public sealed record ElfProgramHeader(
    int Index,
    ElfSegmentType Type,
    ulong Offset,
    ulong VirtualAddress,
    ulong PhysicalAddress,
    ulong FileSize,
    ulong MemorySize,
    ElfSegmentFlags Flags,
    ulong Align,
    ReadOnlyMemory<byte> Data);
