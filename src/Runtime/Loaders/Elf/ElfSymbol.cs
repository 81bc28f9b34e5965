namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// One symbol table entry. <paramref name="SectionIndex"/> is st_shndx as stored: 0 for undefined
/// symbols, 0xff00 and up for the reserved indices (SHN_ABS, SHN_COMMON, ...), otherwise a
/// section index the parser has checked to exist.
/// </summary>
public sealed record ElfSymbol(
    int Index,
    string Name,
    ulong Value,
    ulong Size,
    ElfSymbolType Type,
    ElfSymbolBinding Binding,
    ushort SectionIndex)
{
    /// <summary>SHN_LORESERVE: section indices from here on are special markers, not sections.</summary>
    public const ushort FirstReservedSectionIndex = 0xff00;

    /// <summary>True if the symbol lives in a real section of this file (not undefined, absolute or common).</summary>
    public bool IsInSection => SectionIndex != 0 && SectionIndex < FirstReservedSectionIndex;
}
