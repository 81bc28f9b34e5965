using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Disassembly;

/// <summary>
/// The code of one file as the disassembler sees it: its regions, the ISA to read them with, and
/// the symbols (if any) that label addresses. ELF files and raw binaries look the same from here.
/// </summary>
public sealed class CodeImage
{
    /// <summary>SHN_COMMON: a symbol that is only a size request, not a place.</summary>
    private const ushort ShnCommon = 0xfff2;

    private CodeImage(string path, GuestIsa isa, IReadOnlyList<CodeRegion> regions, ElfFile? elf)
    {
        Path = path;
        Isa = isa;
        Regions = regions;
        Elf = elf;
        HasSymbols = elf is not null && elf.Symbols.Any(IsObjdumpSymbol);
    }

    public string Path { get; }

    public GuestIsa Isa { get; }

    /// <summary>The executable sections (or the raw binary), in file order.</summary>
    public IReadOnlyList<CodeRegion> Regions { get; }

    /// <summary>The ELF file, or null for a raw binary.</summary>
    public ElfFile? Elf { get; }

    /// <summary>
    /// Whether objdump would find any symbol in the file. Without one it prints code addresses as
    /// <c>0x400334</c>; with some, as <c>400334 &lt;main+0x10&gt;</c>. Both sides of a comparison
    /// must agree on that, and it is objdump's choice, not the ISA's.
    /// </summary>
    public bool HasSymbols { get; }

    /// <summary>Every executable section of <paramref name="elf"/> that has bytes in the file.</summary>
    public static CodeImage FromElf(ElfFile elf, GuestIsa isa)
    {
        ArgumentNullException.ThrowIfNull(elf);
        ArgumentNullException.ThrowIfNull(isa);
        CodeRegion[] regions = elf.ExecutableSections
            .Where(section => section.Data.Length > 0)
            .Select(section => new CodeRegion(section.Name, section.Address, section.Data, section))
            .ToArray();
        return new CodeImage(elf.Path ?? "(image)", isa, regions, elf);
    }

    /// <summary>A raw binary loaded at <paramref name="baseAddress"/>; objdump calls its one section <c>.data</c>.</summary>
    public static CodeImage FromRaw(string path, ReadOnlyMemory<byte> bytes, GuestIsa isa, ulong baseAddress)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(isa);
        return new CodeImage(path, isa, [new CodeRegion(".data", baseAddress, bytes, Section: null)], elf: null);
    }

    /// <summary>The first region named <paramref name="name"/>, or null.</summary>
    public CodeRegion? FindRegion(string name) => Regions.FirstOrDefault(region => region.Name == name);

    /// <summary>
    /// The label objdump would print for <paramref name="address"/> seen from code in
    /// <paramref name="region"/>: the nearest symbol at or before it (<c>main+0x10</c>); before
    /// the first symbol of the region, the next one (<c>main-0x8</c>); without either, the region's
    /// name (<c>.text+0x40</c>). Null when the file has no symbols at all.
    /// </summary>
    public string? Label(CodeRegion region, ulong address)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!HasSymbols || Elf is null)
        {
            return null;
        }

        // Relocatable files put every section at 0, so an address in the current region is looked
        // up there; otherwise in whichever section holds it.
        bool inRegion = region.Section is not null && region.Contains(address);
        string? symbol = inRegion
            ? Elf.SymbolAt(region.Section!, address, out ulong offset)
            : Elf.SymbolAt(address, out offset);
        if (symbol is not null)
        {
            return offset == 0 ? symbol : $"{symbol}+0x{offset:x}";
        }

        // Before the first symbol of its section, or outside every section: objdump takes the
        // nearest symbol before it wherever it is, else the first one after it.
        ElfSymbol? nearest = inRegion ? NextLabel(symbol => symbol.SectionIndex == region.Section!.Index && symbol.Value > address) : NearestLabelAnywhere(address);
        if (nearest is not null)
        {
            return nearest.Value <= address ? $"{nearest.Name}+0x{address - nearest.Value:x}" : $"{nearest.Name}-0x{nearest.Value - address:x}";
        }

        return address >= region.Address
            ? address == region.Address ? region.Name : $"{region.Name}+0x{address - region.Address:x}"
            : $"{region.Name}-0x{region.Address - address:x}";
    }

    /// <summary>The name of a symbol that starts exactly at <paramref name="address"/> in <paramref name="region"/>, or null.</summary>
    public string? SymbolStartingAt(CodeRegion region, ulong address)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (!HasSymbols || Elf is null || region.Section is null)
        {
            return null;
        }

        string? symbol = Elf.SymbolAt(region.Section, address, out ulong offset);
        return offset == 0 ? symbol : null;
    }

    /// <summary>
    /// The lowest label that satisfies <paramref name="filter"/>. Only asked for addresses before a
    /// section's first symbol or outside all sections, so a scan is fine.
    /// </summary>
    private ElfSymbol? NextLabel(Func<ElfSymbol, bool> filter) => Elf!.Symbols
        .Where(symbol => IsLabel(symbol) && filter(symbol))
        .OrderBy(symbol => symbol.Value)
        .ThenBy(symbol => symbol.Name, StringComparer.Ordinal)
        .FirstOrDefault();

    /// <summary>The label nearest at or before <paramref name="address"/> in any section, else the first after it.</summary>
    private ElfSymbol? NearestLabelAnywhere(ulong address) =>
        Elf!.Symbols
            .Where(symbol => IsLabel(symbol) && symbol.Value <= address)
            .OrderByDescending(symbol => symbol.Value)
            .ThenBy(symbol => symbol.Name, StringComparer.Ordinal)
            .FirstOrDefault()
        ?? NextLabel(symbol => symbol.Value > address);

    /// <summary>The symbols <see cref="ElfFile.SymbolAt(ulong, out ulong)"/> labels code with: named functions and untyped labels in a section.</summary>
    private static bool IsLabel(ElfSymbol symbol) =>
        symbol.IsInSection && symbol.Name.Length > 0 && !symbol.Name.StartsWith('$')
        && symbol.Type is (ElfSymbolType.Func or ElfSymbolType.NoType);

    /// <summary>
    /// What objdump keeps after dropping "useless" symbols: named, not a section or file symbol,
    /// not undefined or common (binutils remove_useless_symbols).
    /// </summary>
    private static bool IsObjdumpSymbol(ElfSymbol symbol) =>
        symbol.Name.Length > 0
        && symbol.Type is not (ElfSymbolType.Section or ElfSymbolType.File)
        && symbol.SectionIndex != 0
        && symbol.SectionIndex != ShnCommon;
}
