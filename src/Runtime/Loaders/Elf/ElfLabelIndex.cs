namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// The symbols that make good disassembly labels, sorted by section and address so each lookup is a
/// binary search: a disassembler asks once per instruction, and executables carry thousands of symbols.
/// At one address the best label sorts last, chosen as GNU objdump chooses (compare_symbols) so our
/// listings name the same symbols: functions before untyped labels, globals before weak before
/// locals, then the larger symbol, a name not starting with '.', and the first name in byte order
/// (<c>_IO_printf</c> over <c>printf</c>).
/// </summary>
internal sealed class ElfLabelIndex
{
    private readonly ElfSymbol[] _labels;

    public ElfLabelIndex(IEnumerable<ElfSymbol> symbols)
    {
        _labels = symbols.Where(IsLabel).ToArray();
        Array.Sort(_labels, CompareForLookup);
    }

    /// <summary>The label at or nearest before <paramref name="address"/> in section <paramref name="sectionIndex"/>.</summary>
    public ElfSymbol? NearestAtOrBefore(int sectionIndex, ulong address)
    {
        int low = 0;
        int high = _labels.Length;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            ElfSymbol label = _labels[middle];
            bool atOrBefore = label.SectionIndex < sectionIndex || (label.SectionIndex == sectionIndex && label.Value <= address);
            if (atOrBefore)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low > 0 && _labels[low - 1].SectionIndex == sectionIndex ? _labels[low - 1] : null;
    }

    /// <summary>
    /// Named functions and untyped labels in a real section. Names starting with '$' are ARM/RISC-V
    /// mapping symbols ($x, $d), which mark code or data runs rather than name anything.
    /// </summary>
    private static bool IsLabel(ElfSymbol symbol) =>
        symbol.Type is ElfSymbolType.Func or ElfSymbolType.NoType
        && symbol.IsInSection
        && symbol.Name.Length > 0
        && !symbol.Name.StartsWith('$');

    private static int CompareForLookup(ElfSymbol a, ElfSymbol b)
    {
        int order = a.SectionIndex.CompareTo(b.SectionIndex);
        order = order != 0 ? order : a.Value.CompareTo(b.Value);
        order = order != 0 ? order : Preference(a).CompareTo(Preference(b));
        order = order != 0 ? order : a.Size.CompareTo(b.Size);
        order = order != 0 ? order : b.Name.StartsWith('.').CompareTo(a.Name.StartsWith('.'));
        order = order != 0 ? order : string.CompareOrdinal(b.Name, a.Name);
        return order != 0 ? order : b.Index.CompareTo(a.Index);
    }

    private static int Preference(ElfSymbol symbol)
    {
        int typeRank = symbol.Type == ElfSymbolType.Func ? 4 : 0;
        int bindingRank = symbol.Binding switch
        {
            ElfSymbolBinding.Global => 2,
            ElfSymbolBinding.Weak => 1,
            _ => 0,
        };
        return typeRank + bindingRank;
    }
}
