namespace Isa.Runtime.Loaders.Elf;

/// <summary>The ELF header fields the parser needs after the identification bytes.</summary>
internal readonly record struct ElfHeader(
    ElfType Type,
    ushort Machine,
    uint Flags,
    ulong Entry,
    ulong ProgramHeaderOffset,
    ushort ProgramHeaderEntrySize,
    ushort ProgramHeaderCount,
    ulong SectionHeaderOffset,
    ushort SectionHeaderEntrySize,
    ushort SectionHeaderCount,
    ushort SectionNameTableIndex);
