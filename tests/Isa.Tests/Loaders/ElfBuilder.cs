using System.Buffers.Binary;
using System.Text;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Tests.Loaders;

/// <summary>
/// Writes small, valid ELF32 images (either byte order) for the parser tests, and remembers where it
/// put everything so tests can check parsed values against the layout and corrupt chosen fields.
/// Layout: ELF header, program headers, section contents (in the order added, then .symtab/.dynsym,
/// .strtab, .shstrtab), section header table. Allocated sections get address = base + file offset
/// (0 in relocatable files); symbols are written locals first, as the ELF rules require.
/// </summary>
internal sealed class ElfBuilder(Endianness endianness)
{
    public const int HeaderSize = 52;
    public const int ProgramHeaderSize = 32;
    public const int SectionHeaderSize = 40;
    public const int SymbolSize = 16;

    // ELF header field offsets.
    public const int EPhOff = 28;
    public const int EShOff = 32;
    public const int EPhEntSize = 42;
    public const int EPhNum = 44;
    public const int EShEntSize = 46;
    public const int EShNum = 48;
    public const int EShStrNdx = 50;

    // Program header field offsets.
    public const int PType = 0;
    public const int POffset = 4;
    public const int PVAddr = 8;
    public const int PFileSz = 16;
    public const int PMemSz = 20;

    // Section header field offsets.
    public const int ShName = 0;
    public const int ShType = 4;
    public const int ShOffset = 16;
    public const int ShSize = 20;
    public const int ShLink = 24;
    public const int ShInfo = 28;
    public const int ShEntSize = 36;

    // Symbol field offsets.
    public const int StName = 0;
    public const int StShndx = 14;

    /// <summary>Pass as a symbol's section for SHN_ABS.</summary>
    public const string Absolute = "*ABS*";

    private readonly List<SectionSpec> _sections = [];
    private readonly List<SymbolSpec> _symbols = [];
    private readonly List<SegmentSpec> _segments = [];
    private readonly Dictionary<string, SectionLayout> _layout = [];
    private readonly List<SymbolSpec> _writtenSymbols = [];

    public Endianness Endianness { get; } = endianness;

    public ElfType Type { get; init; } = ElfType.Executable;

    public ushort Machine { get; init; } = ElfMachine.Mips;

    public uint Flags { get; init; }

    public uint BaseAddress { get; init; } = 0x0040_0000;

    /// <summary>The symbol whose value becomes e_entry (0 if null).</summary>
    public string? EntrySymbol { get; init; }

    /// <summary>Write the symbols as .dynsym (SHT_DYNSYM) instead of .symtab.</summary>
    public bool DynamicSymbols { get; init; }

    public int ProgramHeaderTableOffset { get; private set; }

    public int SectionHeaderTableOffset { get; private set; }

    public int SectionCount { get; private set; }

    public string SymbolTableName => DynamicSymbols ? ".dynsym" : ".symtab";

    /// <summary>A MIPS-flavoured executable with code, data, bss, an interpreter and a few symbols.</summary>
    public static ElfBuilder Sample(Endianness endianness) =>
        new ElfBuilder(endianness) { Flags = 0x7000_1007, EntrySymbol = "__start" }.AddSampleContents();

    public ElfBuilder AddSampleContents() => this
        .AddSection(".interp", ElfSectionType.ProgBits, ElfSectionFlags.Alloc, Encoding.ASCII.GetBytes("/lib/ld.so.1\0"), alignment: 1)
        .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, Pattern(64, 0x10), alignment: 16)
        .AddSection(".rodata", ElfSectionType.ProgBits, ElfSectionFlags.Alloc, Pattern(12, 0x80))
        .AddSection(".data", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, Pattern(16, 0xc0))
        .AddSection(".bss", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, new byte[0x100])
        .AddSection(".comment", ElfSectionType.ProgBits, ElfSectionFlags.Merge | ElfSectionFlags.Strings, Encoding.ASCII.GetBytes("GCC: 12\0"), alignment: 1)
        .AddSymbol("sample.c", Absolute, 0, 0, ElfSymbolType.File, ElfSymbolBinding.Local)
        .AddSymbol("__start", ".text", 0, 16, ElfSymbolType.Func, ElfSymbolBinding.Global)
        .AddSymbol("helper", ".text", 16, 32, ElfSymbolType.Func, ElfSymbolBinding.Local)
        .AddSymbol("loop", ".text", 24, 0, ElfSymbolType.NoType, ElfSymbolBinding.Local)
        .AddSymbol("$d", ".text", 32, 0, ElfSymbolType.NoType, ElfSymbolBinding.Local)
        .AddSymbol("weak_alias", ".text", 48, 16, ElfSymbolType.Func, ElfSymbolBinding.Weak)
        .AddSymbol("tail", ".text", 48, 16, ElfSymbolType.Func, ElfSymbolBinding.Global)
        .AddSymbol("table", ".rodata", 0, 12, ElfSymbolType.Object, ElfSymbolBinding.Global)
        .AddSymbol("counter", ".bss", 4, 4, ElfSymbolType.Object, ElfSymbolBinding.Global)
        .AddSymbol("printf", null, 0, 0, ElfSymbolType.Func, ElfSymbolBinding.Global)
        .AddSegment(ElfSegmentType.Phdr, ElfSegmentFlags.Read)
        .AddSegment(ElfSegmentType.Interp, ElfSegmentFlags.Read, ".interp")
        .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".interp", ".rodata")
        .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Write, ".data", ".bss")
        .AddSegment(ElfSegmentType.GnuStack, ElfSegmentFlags.Read | ElfSegmentFlags.Write);

    public static byte[] Pattern(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>For SHT_NOBITS only the length of <paramref name="contents"/> is used.</summary>
    public ElfBuilder AddSection(string name, ElfSectionType type, ElfSectionFlags flags, byte[] contents, uint alignment = 4)
    {
        _sections.Add(new SectionSpec(name, type, flags, contents, alignment));
        return this;
    }

    /// <summary><paramref name="section"/> null means undefined; <see cref="Absolute"/> means SHN_ABS.</summary>
    public ElfBuilder AddSymbol(string name, string? section, uint offset, uint size, ElfSymbolType type, ElfSymbolBinding binding)
    {
        _symbols.Add(new SymbolSpec(name, section, offset, size, type, binding));
        return this;
    }

    /// <summary>
    /// A segment spanning <paramref name="firstSection"/> to <paramref name="lastSection"/>; PT_PHDR
    /// without sections covers the program header table, other types without sections are empty.
    /// </summary>
    public ElfBuilder AddSegment(ElfSegmentType type, ElfSegmentFlags flags, string? firstSection = null, string? lastSection = null)
    {
        _segments.Add(new SegmentSpec(type, flags, firstSection, lastSection ?? firstSection));
        return this;
    }

    public int IndexOf(string section) => _layout[section].Index;

    public int OffsetOf(string section) => _layout[section].Offset;

    public uint AddressOf(string section) => _layout[section].Address;

    public int SectionHeaderOffset(string section) => SectionHeaderTableOffset + (IndexOf(section) * SectionHeaderSize);

    public int ProgramHeaderOffset(int index) => ProgramHeaderTableOffset + (index * ProgramHeaderSize);

    /// <summary>Index of a symbol in the written table (entry 0 is the null symbol).</summary>
    public int SymbolIndexOf(string name) => _writtenSymbols.FindIndex(symbol => symbol.Name == name) + 1;

    public int SymbolEntryOffset(string name) => OffsetOf(SymbolTableName) + (SymbolIndexOf(name) * SymbolSize);

    public uint SymbolValue(string name) => ValueOf(_writtenSymbols[SymbolIndexOf(name) - 1]);

    public byte[] Build()
    {
        List<SectionSpec> all = AllSections(out Dictionary<string, int> sectionNames, out Dictionary<string, int> symbolNames);
        LayOut(all);
        if (_symbols.Count > 0)
        {
            int index = IndexOf(SymbolTableName);
            all[index] = all[index] with { Contents = SymbolTable(symbolNames) };
        }

        var image = new byte[SectionHeaderTableOffset + (all.Count * SectionHeaderSize)];
        WriteHeader(image, all.Count);
        WriteProgramHeaders(image);
        WriteSections(image, all, sectionNames);
        return image;
    }

    public void Put16(byte[] image, int offset, ushort value)
    {
        if (Endianness == Endianness.Little)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(offset), value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(image.AsSpan(offset), value);
        }
    }

    public void Put32(byte[] image, int offset, uint value)
    {
        if (Endianness == Endianness.Little)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(offset), value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(offset), value);
        }
    }

    /// <summary>All sections with their final sizes; the symbol table is a placeholder until the layout gives addresses.</summary>
    private List<SectionSpec> AllSections(out Dictionary<string, int> sectionNames, out Dictionary<string, int> symbolNames)
    {
        var all = new List<SectionSpec> { new(string.Empty, ElfSectionType.Null, ElfSectionFlags.None, [], 0) };
        all.AddRange(_sections);
        _writtenSymbols.Clear();
        _writtenSymbols.AddRange(_symbols.Where(symbol => symbol.Binding == ElfSymbolBinding.Local));
        _writtenSymbols.AddRange(_symbols.Where(symbol => symbol.Binding != ElfSymbolBinding.Local));
        symbolNames = [];
        if (_symbols.Count > 0)
        {
            ElfSectionType type = DynamicSymbols ? ElfSectionType.DynSym : ElfSectionType.SymTab;
            var placeholder = new byte[(_symbols.Count + 1) * SymbolSize];
            all.Add(new SectionSpec(SymbolTableName, type, DynamicSymbols ? ElfSectionFlags.Alloc : ElfSectionFlags.None, placeholder, 4));
            all.Add(new SectionSpec(".strtab", ElfSectionType.StrTab, ElfSectionFlags.None, StringTable(_writtenSymbols.Select(symbol => symbol.Name), out symbolNames), 1));
        }

        all.Add(new SectionSpec(".shstrtab", ElfSectionType.StrTab, ElfSectionFlags.None, [], 1));
        all[^1] = all[^1] with { Contents = StringTable(all.Select(section => section.Name), out sectionNames) };
        SectionCount = all.Count;
        return all;
    }

    private void LayOut(List<SectionSpec> all)
    {
        ProgramHeaderTableOffset = _segments.Count > 0 ? HeaderSize : 0;
        int offset = HeaderSize + (_segments.Count * ProgramHeaderSize);
        _layout.Clear();
        _layout[string.Empty] = new SectionLayout(0, 0, 0);
        for (int i = 1; i < all.Count; i++)
        {
            SectionSpec section = all[i];
            offset = Align(offset, (int)Math.Max(section.Alignment, 1));
            bool allocated = section.Flags.HasFlag(ElfSectionFlags.Alloc) && Type != ElfType.Relocatable;
            _layout[section.Name] = new SectionLayout(i, offset, allocated ? BaseAddress + (uint)offset : 0);
            offset += section.Type == ElfSectionType.NoBits ? 0 : section.Contents.Length;
        }

        SectionHeaderTableOffset = Align(Math.Max(offset, HeaderSize), 4);
    }

    private static byte[] StringTable(IEnumerable<string> names, out Dictionary<string, int> offsets)
    {
        var bytes = new List<byte> { 0 };
        offsets = new Dictionary<string, int> { [string.Empty] = 0 };
        foreach (string name in names.Where(name => name.Length > 0))
        {
            if (offsets.TryAdd(name, bytes.Count))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(name));
                bytes.Add(0);
            }
        }

        return [.. bytes];
    }

    private byte[] SymbolTable(Dictionary<string, int> nameOffsets)
    {
        var table = new byte[(_writtenSymbols.Count + 1) * SymbolSize];
        for (int i = 0; i < _writtenSymbols.Count; i++)
        {
            SymbolSpec symbol = _writtenSymbols[i];
            int at = (i + 1) * SymbolSize;
            Put32(table, at, (uint)nameOffsets[symbol.Name]);
            Put32(table, at + 4, ValueOf(symbol));
            Put32(table, at + 8, symbol.Size);
            table[at + 12] = (byte)(((int)symbol.Binding << 4) | (int)symbol.Type);
            Put16(table, at + StShndx, SectionIndexOf(symbol));
        }

        return table;
    }

    private uint ValueOf(SymbolSpec symbol) =>
        symbol.Section is null or Absolute ? symbol.Offset : AddressOf(symbol.Section) + symbol.Offset;

    private ushort SectionIndexOf(SymbolSpec symbol) => symbol.Section switch
    {
        null => 0,
        Absolute => 0xfff1,
        string name => (ushort)IndexOf(name),
    };

    private void WriteHeader(byte[] image, int sectionCount)
    {
        "\x7f"u8.CopyTo(image);
        "ELF"u8.CopyTo(image.AsSpan(1));
        image[4] = 1;
        image[5] = Endianness == Endianness.Little ? (byte)1 : (byte)2;
        image[6] = 1;
        Put16(image, 16, (ushort)Type);
        Put16(image, 18, Machine);
        Put32(image, 20, 1);
        Put32(image, 24, EntrySymbol is null ? 0 : SymbolValue(EntrySymbol));
        Put32(image, EPhOff, (uint)ProgramHeaderTableOffset);
        Put32(image, EShOff, (uint)SectionHeaderTableOffset);
        Put32(image, 36, Flags);
        Put16(image, 40, HeaderSize);
        Put16(image, EPhEntSize, ProgramHeaderSize);
        Put16(image, EPhNum, (ushort)_segments.Count);
        Put16(image, EShEntSize, SectionHeaderSize);
        Put16(image, EShNum, (ushort)sectionCount);
        Put16(image, EShStrNdx, (ushort)(sectionCount - 1));
    }

    private void WriteProgramHeaders(byte[] image)
    {
        for (int i = 0; i < _segments.Count; i++)
        {
            SegmentSpec segment = _segments[i];
            (uint offset, uint address, uint fileSize, uint memorySize) = Extent(segment);
            int at = ProgramHeaderOffset(i);
            Put32(image, at + PType, (uint)segment.Type);
            Put32(image, at + POffset, offset);
            Put32(image, at + PVAddr, address);
            Put32(image, at + 12, address);
            Put32(image, at + PFileSz, fileSize);
            Put32(image, at + PMemSz, memorySize);
            Put32(image, at + 24, (uint)segment.Flags);
            Put32(image, at + 28, segment.Type == ElfSegmentType.Load ? 0x1000u : 4u);
        }
    }

    private (uint Offset, uint Address, uint FileSize, uint MemorySize) Extent(SegmentSpec segment)
    {
        if (segment.First is null || segment.Last is null)
        {
            uint tableSize = (uint)(_segments.Count * ProgramHeaderSize);
            return segment.Type == ElfSegmentType.Phdr
                ? ((uint)ProgramHeaderTableOffset, BaseAddress + (uint)ProgramHeaderTableOffset, tableSize, tableSize)
                : (0, 0, 0, 0);
        }

        SectionSpec last = _sections.Single(section => section.Name == segment.Last);
        uint fileEnd = (uint)OffsetOf(last.Name) + (last.Type == ElfSectionType.NoBits ? 0 : (uint)last.Contents.Length);
        uint memoryEnd = AddressOf(last.Name) + (uint)last.Contents.Length;
        uint offset = (uint)OffsetOf(segment.First);
        uint address = AddressOf(segment.First);
        return (offset, address, fileEnd - offset, memoryEnd - address);
    }

    private void WriteSections(byte[] image, List<SectionSpec> all, Dictionary<string, int> nameOffsets)
    {
        for (int i = 0; i < all.Count; i++)
        {
            SectionSpec section = all[i];
            SectionLayout layout = _layout[section.Name];
            if (i > 0 && section.Type != ElfSectionType.NoBits)
            {
                section.Contents.CopyTo(image, layout.Offset);
            }

            int at = SectionHeaderTableOffset + (i * SectionHeaderSize);
            bool isSymbolTable = section.Name == SymbolTableName && _symbols.Count > 0;
            Put32(image, at + ShName, (uint)nameOffsets[section.Name]);
            Put32(image, at + ShType, (uint)section.Type);
            Put32(image, at + 8, (uint)section.Flags);
            Put32(image, at + 12, layout.Address);
            Put32(image, at + ShOffset, (uint)layout.Offset);
            Put32(image, at + ShSize, (uint)section.Contents.Length);
            Put32(image, at + ShLink, isSymbolTable ? (uint)IndexOf(".strtab") : 0);
            Put32(image, at + ShInfo, isSymbolTable ? (uint)_symbols.Count(symbol => symbol.Binding == ElfSymbolBinding.Local) + 1 : 0);
            Put32(image, at + 32, section.Alignment);
            Put32(image, at + ShEntSize, isSymbolTable ? SymbolSize : 0u);
        }
    }

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private sealed record SectionSpec(string Name, ElfSectionType Type, ElfSectionFlags Flags, byte[] Contents, uint Alignment);

    private sealed record SymbolSpec(string Name, string? Section, uint Offset, uint Size, ElfSymbolType Type, ElfSymbolBinding Binding);

    private sealed record SegmentSpec(ElfSegmentType Type, ElfSegmentFlags Flags, string? First, string? Last);

    private sealed record SectionLayout(int Index, int Offset, uint Address);
}
